"""The gate: never ask, nor offer, while the store owes an apology — whatever the order of events."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.feedback.gates import (
    About,
    Event,
    Happening,
    Purpose,
    Standing,
    gate,
    late_unexplained,
    standing_after,
)

H = Happening
SUBJECTS = st.sampled_from(["a", "b", "c"])
EVENTS = st.builds(Event, st.sampled_from(list(Happening)), SUBJECTS, st.booleans())
ASKING = (Purpose.SURVEY, Purpose.REVIEW, Purpose.PROMOTION)


def _open_now(events: list[Event]) -> bool:
    """An independent model of "something is open": counts per subject, closes only what opened."""
    exc: dict[str, int] = {}
    claims: set[str] = set()
    returns: set[str] = set()
    late = low = False
    for e in events:
        if e.happening is H.EXCEPTION_OPENED:
            exc[e.subject] = exc.get(e.subject, 0) + 1
        elif e.happening is H.EXCEPTION_RESOLVED and exc.get(e.subject):
            exc[e.subject] -= 1
        elif e.happening is H.CLAIM_OPENED:
            claims.add(e.subject)
        elif e.happening is H.CLAIM_CLOSED:
            claims.discard(e.subject)
        elif e.happening is H.RETURN_OPENED:
            returns.add(e.subject)
        elif e.happening is H.RETURN_CLOSED:
            returns.discard(e.subject)
        elif e.happening is H.DELIVERED_LATE_UNTOLD:
            late = True
        elif e.happening is H.FOLLOWED_UP:
            late = low = False
        elif e.happening is H.RATED:
            low = e.low
    return any(exc.values()) or bool(claims or returns or late or low)


@given(st.lists(EVENTS, max_size=30))
def test_no_survey_review_or_promotion_to_a_gated_customer_at_any_point(events):
    """After every prefix of any sequence of events: if anything is open or the last rating was low
    and not followed up, nothing is asked or offered; if nothing is, everything may go."""
    for n in range(len(events) + 1):
        prefix = events[:n]
        standing = standing_after(prefix)
        blocked = _open_now(prefix)
        for purpose in ASKING:
            assert gate(standing, purpose).allowed is not blocked, (prefix, purpose)


@given(
    st.lists(st.tuples(st.sampled_from(["exception", "claim", "return"]), SUBJECTS), max_size=8), st.randoms()
)
def test_once_everything_opened_is_resolved_the_verdict_does_not_depend_on_the_order(pairs, rnd):
    """Open and resolve the same problems in any interleaving (each resolved after it opened): the
    customer may be asked again, about the resolution when there was something to resolve."""
    kinds = {
        "exception": (H.EXCEPTION_OPENED, H.EXCEPTION_RESOLVED),
        "claim": (H.CLAIM_OPENED, H.CLAIM_CLOSED),
        "return": (H.RETURN_OPENED, H.RETURN_CLOSED),
    }
    opened = [Event(kinds[k][0], s) for k, s in pairs]
    closed = [Event(kinds[k][1], s) for k, s in pairs]
    rnd.shuffle(opened)
    rnd.shuffle(closed)
    events = [Event(H.RATED, low=False), *opened, *closed]
    verdict = gate(standing_after(events), Purpose.SURVEY)
    assert verdict.allowed
    assert verdict.about is (About.RESOLUTION if pairs else About.DELIVERY)


@given(st.lists(EVENTS, max_size=20))
def test_an_open_problem_stops_even_onboarding_but_a_low_rating_does_not(events):
    standing = standing_after(events)
    if standing.owes_apology:
        assert not gate(standing, Purpose.ONBOARDING).allowed
    elif standing.low_rating:
        assert gate(standing, Purpose.ONBOARDING).allowed
        assert not gate(standing, Purpose.PROMOTION).allowed


def test_reasons_name_what_is_open():
    assert (
        gate(Standing(open_exceptions=frozenset({"lost"})), Purpose.SURVEY).reason
        == "an exception is open (lost)"
    )
    assert gate(Standing(open_returns=1), Purpose.PROMOTION).reason == "a return is open"
    assert gate(Standing(open_claims=1), Purpose.REVIEW).reason == "a claim is open"
    assert "late" in gate(Standing(late_unexplained=True), Purpose.SURVEY).reason
    assert "rated us low" in gate(Standing(low_rating=True), Purpose.REVIEW).reason


def test_resolving_what_never_opened_changes_nothing():
    assert standing_after([Event(H.EXCEPTION_RESOLVED, "a")]) == Standing()
    assert not standing_after([Event(H.RETURN_CLOSED, "r"), Event(H.RETURN_OPENED, "r")]).resolved_issue


def test_late_and_unexplained():
    d = date(2026, 3, 10)
    assert late_unexplained(delivered_on=d, promised_by=date(2026, 3, 8), told=False)
    assert not late_unexplained(delivered_on=d, promised_by=date(2026, 3, 8), told=True)
    assert not late_unexplained(delivered_on=d, promised_by=date(2026, 3, 8), told=False, followed_up=True)
    assert not late_unexplained(delivered_on=d, promised_by=d, told=False)
    assert not late_unexplained(delivered_on=d, promised_by=None, told=False)
