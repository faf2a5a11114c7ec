"""Support figures against a fixture worked out by hand, then properties over any input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.support.intents import INTENTS, OTHER
from aftercart.domain.support.metrics import (
    Contact,
    automation_rate,
    figures,
    first_response_percentiles,
    iso_week,
    nearest_rank,
    recontact_rate,
    volume_by_intent,
    wismo_per_100_orders,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W10
H = timedelta(hours=1)


def _fixture() -> tuple[list[Contact], list[tuple[str, datetime]]]:
    """Store "a": 8 orders in W10, 4 in W11; store "b": 2 orders in W10.

    Contacts (the figures below are counted from this list by hand, in the comments):
      1 a W10 track_order   ana  automated at +1 min            (WISMO)
      2 a W10 track_order   ana  opened +30 h after #1's answer → a recontact of #1
      3 a W10 get_refund    bo   person answered +2 h
      4 a W11 delivery_period cy automated at +5 min             (WISMO) — cy never again
      5 a W11 track_order   di   automated at +1 min             (WISMO) — di again +73 h: too late
      6 a W11 other         di   opened 73 h + 1 min after #5's answer, unanswered
      7 b W10 track_order   ed   person answered +10 h           (WISMO)
    """
    c = [
        Contact("a", T0, "track_order", "ana", True, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1)),
        Contact("a", T0 + 30 * H + timedelta(minutes=1), "track_order", "ana", False, T0 + 31 * H),
        Contact("a", T0 + 2 * H, "get_refund", "bo", False, T0 + 4 * H),
        Contact(
            "a",
            T0 + 7 * 24 * H,
            "delivery_period",
            "cy",
            True,
            T0 + 7 * 24 * H + timedelta(minutes=5),
            T0 + 7 * 24 * H + timedelta(minutes=5),
        ),
        Contact(
            "a",
            T0 + 8 * 24 * H,
            "track_order",
            "di",
            True,
            T0 + 8 * 24 * H + timedelta(minutes=1),
            T0 + 8 * 24 * H + timedelta(minutes=1),
        ),
        Contact("a", T0 + 8 * 24 * H + 73 * H + timedelta(minutes=2), OTHER, "di"),
        Contact("b", T0 + 3 * H, "track_order", "ed", False, T0 + 13 * H),
    ]
    orders = (
        [("a", T0 + i * H) for i in range(8)]
        + [("a", T0 + 7 * 24 * H + i * H) for i in range(4)]
        + [("b", T0), ("b", T0 + H)]
    )
    return c, orders


def test_weekly_wismo_per_100_orders_by_hand():
    contacts, orders = _fixture()
    rows = {(r.store, r.week): r for r in wismo_per_100_orders(contacts, orders)}
    # a W10: WISMO #1, #2 over 8 orders = 25.0; a W11: #4, #5 over 4 = 50.0; b W10: #7 over 2 = 50.0
    assert (rows["a", "2026-W10"].wismo_contacts, rows["a", "2026-W10"].orders) == (2, 8)
    assert rows["a", "2026-W10"].per_100_orders == 25.0
    assert rows["a", "2026-W11"].per_100_orders == 50.0
    assert rows["b", "2026-W10"].per_100_orders == 50.0
    assert list(rows) == [("a", "2026-W10"), ("a", "2026-W11"), ("b", "2026-W10")]


def test_a_week_without_orders_has_no_rate_rather_than_zero():
    rows = wismo_per_100_orders([Contact("a", T0, "track_order")], [])
    assert rows[0].per_100_orders is None and rows[0].wismo_contacts == 1


def test_automation_and_recontact_by_hand():
    contacts, _ = _fixture()
    # automated: #1, #4, #5 of 7 contacts
    assert automation_rate(contacts) == 3 / 7
    # of those three, only #1 was followed by the same customer within 72 h (#2 at +30 h); #6
    # came 73 h + 1 min after #5's answer
    assert recontact_rate(contacts) == 1 / 3


def test_recontact_window_bounds_are_inclusive_at_72_hours():
    answered = T0 + timedelta(minutes=1)
    first = Contact("a", T0, "track_order", "ana", True, answered, answered)
    at_edge = Contact("a", answered + timedelta(hours=72), OTHER, "ana")
    assert recontact_rate([first, at_edge]) == 1.0
    past = Contact("a", answered + timedelta(hours=72, seconds=1), OTHER, "ana")
    assert recontact_rate([first, past]) == 0.0
    # someone else writing is no recontact, nor is a contact with no known customer
    assert recontact_rate([first, Contact("a", answered + H, OTHER, "bo")]) == 0.0
    anonymous = Contact("a", T0, "track_order", "", True, answered, answered)
    assert recontact_rate([anonymous, Contact("a", answered + H, OTHER, "")]) == 0.0


def test_first_response_percentiles_by_hand():
    contacts, _ = _fixture()
    # answered: #1 60 s, #2 (31 h − 30 h 1 min) = 3540 s, #3 7200 s, #4 300 s, #5 60 s, #7 36000 s
    # sorted: 60, 60, 300, 3540, 7200, 36000 → p50 = 3rd (ceil 3) = 300, p90 = 6th (ceil 5.4) = 36000
    assert first_response_percentiles(contacts) == (300.0, 36000.0)


def test_volume_by_intent_by_hand():
    contacts, _ = _fixture()
    assert volume_by_intent(contacts) == [
        ("track_order", 4),
        ("delivery_period", 1),
        ("get_refund", 1),
        ("other", 1),
    ]


def test_figures_overall():
    contacts, orders = _fixture()
    f = figures(contacts, orders)
    assert (f.contacts, f.wismo_contacts, f.orders) == (7, 5, 14)
    assert f.wismo_per_100_orders == round(500 / 14, 2) == 35.71
    assert figures([], []).automation_rate is None and figures([], []).wismo_per_100_orders is None


def test_iso_week_names_the_year_of_the_week():
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
    assert iso_week(datetime(2026, 12, 28, tzinfo=UTC)) == "2026-W53"
    assert iso_week(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-W01"


# -- properties --------------------------------------------------------------------------------

_moments = st.integers(min_value=0, max_value=60 * 24 * 30).map(lambda m: T0 + timedelta(minutes=m))


@st.composite
def _contacts(draw):
    opened = draw(_moments)
    answer = draw(st.none() | st.integers(min_value=0, max_value=60 * 24 * 5))
    answered = None if answer is None else opened + timedelta(minutes=answer)
    automated = answered is not None and draw(st.booleans())
    return Contact(
        store=draw(st.sampled_from(["a", "b"])),
        opened_at=opened,
        intent=draw(st.sampled_from([*INTENTS, OTHER])),
        customer=draw(st.sampled_from(["", "ana", "bo", "cy"])),
        automated=automated,
        first_response_at=answered,
        automated_at=answered if automated else None,
    )


_orders = st.lists(st.tuples(st.sampled_from(["a", "b"]), _moments), max_size=40)


@given(st.lists(_contacts(), max_size=40), _orders)
def test_rates_are_shares_and_percentiles_ordered(contacts, orders):
    f = figures(contacts, orders)
    for rate in (f.automation_rate, f.recontact_rate):
        assert rate is None or 0 <= rate <= 1
    if f.first_response_p50 is not None:
        assert f.first_response_p90 is not None and 0 <= f.first_response_p50 <= f.first_response_p90
    assert sum(n for _, n in f.by_intent) == f.contacts
    assert sum(w.wismo_contacts for w in f.weekly) == f.wismo_contacts
    assert sum(w.orders for w in f.weekly) == f.orders


@given(st.lists(_contacts(), min_size=1, max_size=30), _orders)
def test_doubling_everything_leaves_the_rates_alone(contacts, orders):
    once, twice = figures(contacts, orders), figures(contacts * 2, orders * 2)
    assert twice.automation_rate == once.automation_rate
    assert twice.wismo_per_100_orders == once.wismo_per_100_orders
    assert [w.per_100_orders for w in twice.weekly] == [w.per_100_orders for w in once.weekly]
    assert (twice.first_response_p50, twice.first_response_p90) == (
        once.first_response_p50,
        once.first_response_p90,
    )


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50), st.floats(1, 100))
def test_nearest_rank_is_a_value_with_p_percent_at_or_below(values, p):
    got = nearest_rank(values, p)
    assert got in values
    assert sum(v <= got for v in values) >= p / 100 * len(values) - 1e-9
