"""Never ask while the store owes an apology: who may be surveyed, asked for a review or sent
something promotional, as a pure function of what is open on the customer's order.

A survey, a review request, a replenishment reminder or a cross-sell card sent to a customer whose
parcel is lost, whose return is waiting for a refund, or who just told us they are unhappy reads as
"we did not notice". So every such message passes :func:`gate` first (when it is planned and again
just before it is sent), with the order's :class:`Standing`:

* an **exception** open on the order (a stalled or lost parcel, a failed label, a follow-up a person
  owes the customer), a **claim** open, or a **return** not yet resolved: nothing is asked or
  offered, whatever the purpose;
* the order arrived **late and nobody said so** (delivered after the date promised, with no delay
  or exception message on the way): nothing is asked or offered until a person has followed up
  (the follow-up case is resolved);
* the customer **rated us low** (CSAT ≤ 2, NPS detractor) and that is not resolved: no review
  request, no promotion, no second survey;
* once whatever was open is resolved, the survey asks about the **resolution** rather than the
  delivery (``Verdict.about``).

Product onboarding (how to use and care for what arrived) is service, not promotion: a low rating
does not stop it, an open problem does (care tips for a parcel that is lost are noise).

:func:`standing_after` folds a sequence of events into a standing, so the property tests can check
the rule whatever order the events arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Purpose(StrEnum):
    """Why we would reach out."""

    SURVEY = "survey"
    REVIEW = "review"
    #: Replenishment reminders, cross-sell and loyalty placements.
    PROMOTION = "promotion"
    ONBOARDING = "onboarding"


class About(StrEnum):
    """What a survey asks about."""

    DELIVERY = "delivery"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class Standing:
    """What is open between the store and the customer on one order, right now."""

    #: Kinds of the exception cases open on the order.
    open_exceptions: frozenset[str] = frozenset()
    open_claims: int = 0
    open_returns: int = 0
    #: Delivered after the promise with no word on the way, and no follow-up resolved since.
    late_unexplained: bool = False
    #: The customer rated us low (CSAT ≤ 2, NPS detractor) and no person has resolved it yet.
    low_rating: bool = False
    #: Something was open on the order and has been resolved (ask about the resolution).
    resolved_issue: bool = False

    @property
    def owes_apology(self) -> bool:
        """Whether anything on the order is open or unexplained."""
        return bool(self.open_exceptions or self.open_claims or self.open_returns or self.late_unexplained)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a message of a purpose may go, why not, and what a survey asks about."""

    allowed: bool
    reason: str = ""
    about: About = About.DELIVERY


def gate(standing: Standing, purpose: Purpose) -> Verdict:
    """May we reach out for ``purpose`` given the order's ``standing``? (see the module)."""
    if standing.open_exceptions:
        return Verdict(False, f"an exception is open ({', '.join(sorted(standing.open_exceptions))})")
    if standing.open_claims:
        return Verdict(False, "a claim is open")
    if standing.open_returns:
        return Verdict(False, "a return is open")
    if standing.late_unexplained:
        return Verdict(False, "the order was late and nobody told the customer")
    if standing.low_rating and purpose is not Purpose.ONBOARDING:
        return Verdict(False, "the customer rated us low and it is not resolved")
    about = About.RESOLUTION if standing.resolved_issue else About.DELIVERY
    return Verdict(True, "", about)


def late_unexplained(
    *, delivered_on: date | None, promised_by: date | None, told: bool, followed_up: bool = False
) -> bool:
    """Whether an order arrived after the date it was promised (``promised_by``: the promise's
    latest day, else the carrier's first estimate) while nobody told the customer (``told``: a
    delay or exception message reached them), and no person has followed up since."""
    if delivered_on is None or promised_by is None or told or followed_up:
        return False
    return delivered_on > promised_by


# --- events, for reasoning about order --------------------------------------------------------


class Happening(StrEnum):
    """Something that changes a standing (see :func:`standing_after`)."""

    EXCEPTION_OPENED = "exception_opened"
    EXCEPTION_RESOLVED = "exception_resolved"
    CLAIM_OPENED = "claim_opened"
    CLAIM_CLOSED = "claim_closed"
    RETURN_OPENED = "return_opened"
    RETURN_CLOSED = "return_closed"
    DELIVERED_LATE_UNTOLD = "delivered_late_untold"
    FOLLOWED_UP = "followed_up"
    RATED = "rated"


@dataclass(frozen=True, slots=True)
class Event:
    """One happening, about a subject (an exception's kind, a claim's or a return's reference) or
    with a score (a rating on ``scale_low`` terms: ``low`` says whether it was a low one)."""

    happening: Happening
    subject: str = ""
    low: bool = False


@dataclass(slots=True)
class _Fold:
    exceptions: dict[str, int] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    returns: set[str] = field(default_factory=set)
    late: bool = False
    low: bool = False
    resolved: bool = False


def standing_after(events: Iterable[Event]) -> Standing:
    """The standing after ``events`` in the order given. Closing what was never opened changes
    nothing (events may arrive out of order: a resolution seen before its opening is ignored, as
    the store's records would show the case closed only once it opened). A follow-up resolves a
    late delivery and a low rating."""
    fold = _Fold()
    for event in events:
        h = event.happening
        if h is Happening.EXCEPTION_OPENED:
            fold.exceptions[event.subject] = fold.exceptions.get(event.subject, 0) + 1
        elif h is Happening.EXCEPTION_RESOLVED and fold.exceptions.get(event.subject):
            fold.exceptions[event.subject] -= 1
            fold.resolved = True
        elif h is Happening.CLAIM_OPENED:
            fold.claims.add(event.subject)
        elif h is Happening.CLAIM_CLOSED and event.subject in fold.claims:
            fold.claims.discard(event.subject)
            fold.resolved = True
        elif h is Happening.RETURN_OPENED:
            fold.returns.add(event.subject)
        elif h is Happening.RETURN_CLOSED and event.subject in fold.returns:
            fold.returns.discard(event.subject)
            fold.resolved = True
        elif h is Happening.DELIVERED_LATE_UNTOLD:
            fold.late = True
        elif h is Happening.FOLLOWED_UP and (fold.late or fold.low):
            fold.late = fold.low = False
            fold.resolved = True
        elif h is Happening.RATED:
            fold.low = event.low
    return Standing(
        open_exceptions=frozenset(k for k, n in fold.exceptions.items() if n > 0),
        open_claims=len(fold.claims),
        open_returns=len(fold.returns),
        late_unexplained=fold.late,
        low_rating=fold.low,
        resolved_issue=fold.resolved,
    )
