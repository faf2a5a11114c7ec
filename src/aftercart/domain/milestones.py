"""Milestones: the customer-visible moments an order has reached, as stable keys.

The planner compares the milestone set before and after new facts; what is new is what may be worth
telling the customer. Keys name the milestone and what it is about (``shipped:<shipment>``), so the
same milestone is never "new" twice, and a second parcel shipping is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from aftercart.domain.choices import recorded_choices
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag


class Milestone(StrEnum):
    """Every milestone a journey can message about."""

    ORDER_CONFIRMED = "order_confirmed"
    PREPARING = "preparing"
    SHIPPED = "shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    #: Reached by time, not by a fact: the exception sweep sees a pickup deadline coming up.
    PICKUP_EXPIRING = "pickup_expiring"
    #: Reached by time: the store's handling SLA passed with nothing shipped (the customer may keep
    #: waiting or cancel).
    LATE_TO_SHIP = "late_to_ship"
    ATTEMPT_FAILED = "attempt_failed"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    ITEM_UNAVAILABLE = "item_unavailable"
    CANCELLED = "cancelled"
    #: The customer answered an exception (wait, refund, extend a pickup, cancel...): news for the
    #: store's systems, which must act on it, not for the customer, who just gave it.
    CUSTOMER_CHOICE = "customer_choice"
    # -- returns: reached by a return's own facts (aftercart.domain.returns.notices), never by
    # the order's projection; their subject is the return's RMA.
    RETURN_REQUESTED = "return_requested"
    #: The label (or the drop-off QR code) is ready.
    LABEL_READY = "label_ready"
    RETURN_RECEIVED = "return_received"
    REFUND_ISSUED = "refund_issued"
    CREDIT_ISSUED = "credit_issued"
    EXCHANGE_SHIPPED = "exchange_shipped"
    RETURN_REJECTED = "return_rejected"
    #: Events for the store's systems (webhook ``return.created``, ``return.approved``,
    #: ``return.resolved``; ``return.received`` is :attr:`RETURN_RECEIVED`).
    RETURN_CREATED = "return_created"
    RETURN_APPROVED = "return_approved"
    RETURN_RESOLVED = "return_resolved"
    # -- feedback and retention: planned by the feedback app after delivery (aftercart.feedback),
    # never by the order's projection; their subject is the feedback app's reference.
    #: "How did we do?" — the post-delivery (or post-resolution) survey.
    FEEDBACK_SURVEY = "feedback_survey"
    #: How to use and care for what arrived.
    PRODUCT_ONBOARDING = "product_onboarding"
    #: "Running low?" — timed from the store's own repeat-purchase intervals.
    REPLENISHMENT_REMINDER = "replenishment_reminder"
    #: A satisfied customer may be asked for a review: an event for the store's tools
    #: (webhook ``review.requested``, Klaviyo, Iterable), never an e-mail of ours.
    REVIEW_REQUESTED = "review_requested"
    # -- claims: reached by a claim's own facts (aftercart.domain.claims.notices); their subject is
    # the claim's number. Each is e-mailed to the customer and sent to the store's webhook.
    CLAIM_FILED = "claim_filed"
    CLAIM_EVIDENCE_REQUESTED = "claim_evidence_requested"
    CLAIM_APPROVED = "claim_approved"
    CLAIM_DENIED = "claim_denied"
    CLAIM_RESOLVED = "claim_resolved"


#: Milestones that always go out, whatever the frequency caps say.
CRITICAL = frozenset(
    {
        Milestone.DELAYED,
        Milestone.EXCEPTION,
        Milestone.ITEM_UNAVAILABLE,
        Milestone.ATTEMPT_FAILED,
        Milestone.PICKUP_EXPIRING,
        Milestone.LATE_TO_SHIP,
        Milestone.CANCELLED,
    }
)

#: Milestones that close a journey: the news the customer has been waiting for (the parcel arrived,
#: the order was cancelled, the return ended in a refund, a credit or a refusal). They are never
#: dropped by the frequency cap, because a cap that drops the closing message leaves the customer
#: with a stale "out for delivery" as the last word; a pending earlier message of the same order is
#: replaced by them instead, and they are never withdrawn for routine news. Consent, quiet hours and
#: staleness apply to them as to every message. (A parcel returned to its sender is an exception,
#: which is critical, so it already always goes.)
CLOSING = frozenset(
    {
        Milestone.DELIVERED,
        Milestone.CANCELLED,
        Milestone.REFUND_ISSUED,
        Milestone.CREDIT_ISSUED,
        Milestone.RETURN_REJECTED,
    }
)

#: Milestones of a return: told to the shopper by e-mail as the return's facts are recorded, one
#: message per (return, milestone, channel), never consolidated with the order's messages.
RETURN_CUSTOMER = frozenset(
    {
        Milestone.RETURN_REQUESTED,
        Milestone.LABEL_READY,
        Milestone.RETURN_RECEIVED,
        Milestone.REFUND_ISSUED,
        Milestone.CREDIT_ISSUED,
        Milestone.EXCHANGE_SHIPPED,
        Milestone.RETURN_REJECTED,
    }
)
#: Return milestones sent to the store's webhook, as ``return.<name>`` events.
RETURN_WEBHOOK = {
    Milestone.RETURN_CREATED: "return.created",
    Milestone.RETURN_APPROVED: "return.approved",
    Milestone.RETURN_RECEIVED: "return.received",
    Milestone.RETURN_RESOLVED: "return.resolved",
}
RETURN_MILESTONES = RETURN_CUSTOMER | frozenset(RETURN_WEBHOOK)

#: Feedback and retention messages e-mailed to the customer (aftercart.feedback).
FEEDBACK_CUSTOMER = frozenset(
    {Milestone.FEEDBACK_SURVEY, Milestone.PRODUCT_ONBOARDING, Milestone.REPLENISHMENT_REMINDER}
)
#: Feedback milestones sent to the store's tools as events (webhook type by milestone).
FEEDBACK_EVENTS = {Milestone.REVIEW_REQUESTED: "review.requested"}
FEEDBACK_MILESTONES = FEEDBACK_CUSTOMER | frozenset(FEEDBACK_EVENTS)
#: Claim milestones sent to the store's webhook, as ``claim.<name>`` events; every one is also
#: e-mailed to the customer (aftercart.claims.notify).
CLAIM_WEBHOOK = {
    Milestone.CLAIM_FILED: "claim.filed",
    Milestone.CLAIM_EVIDENCE_REQUESTED: "claim.evidence_requested",
    Milestone.CLAIM_APPROVED: "claim.approved",
    Milestone.CLAIM_DENIED: "claim.denied",
    Milestone.CLAIM_RESOLVED: "claim.resolved",
}
CLAIM_MILESTONES = frozenset(CLAIM_WEBHOOK)

_PREPARING = {
    FulfilmentStatus.ALLOCATED,
    FulfilmentStatus.PICKING,
    FulfilmentStatus.PACKED,
    FulfilmentStatus.READY_TO_SHIP,
}


@dataclass(frozen=True, slots=True)
class Reached:
    """A milestone reached, about the whole order (``subject`` "") or one shipment or line."""

    milestone: Milestone
    subject: str = ""
    detail: str = ""
    #: Reached because time passed, not because of a fact (a stalled parcel's slip): the order's
    #: newest fact being old does not make it history.
    by_time: bool = field(default=False, compare=False)
    #: Stable identity: the same moment always has the same key. Computed once: the planner
    #: compares every reached milestone's key on every state change.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = (self.milestone.value, self.subject, self.detail)
        object.__setattr__(self, "key", ":".join(p for p in parts if p))


# Shared, not rebuilt: the ledger asks every re-projected order what it has reached (thousands a
# second from a carrier feed), and the same orders reach the same milestones drain after drain.
# Reached is frozen, so one instance serves every caller.
@lru_cache(maxsize=32768)
def _reached(milestone: Milestone, subject: str = "", detail: str = "") -> Reached:
    return Reached(milestone, subject, detail)


def reached(state: OrderState) -> list[Reached]:
    """Every milestone the order has reached, in journey order."""
    out: list[Reached] = []
    if state.placed_at is not None:
        out.append(_reached(Milestone.ORDER_CONFIRMED))
    if any(ln.status in _PREPARING for ln in state.lines.values()) or state.shipments:
        out.append(_reached(Milestone.PREPARING))
    shipped = [s for s in state.shipments.values() if s.created_at or s.first_scan_at]
    for s in shipped:
        out.append(_reached(Milestone.SHIPPED, s.key))
    if shipped and state.unshipped_lines:
        out.append(_reached(Milestone.PARTIALLY_SHIPPED, "", str(len(shipped))))
    for s in state.shipments.values():
        tags = set(s.tags_seen)
        if CarrierTag.OUT_FOR_DELIVERY in tags:
            out.append(_reached(Milestone.OUT_FOR_DELIVERY, s.key))
        for n in range(1, s.failed_attempts + 1):
            out.append(_reached(Milestone.ATTEMPT_FAILED, s.key, str(n)))
        if s.pickup is not None or CarrierTag.AVAILABLE_FOR_PICKUP in tags:
            out.append(_reached(Milestone.READY_FOR_PICKUP, s.key))
        exceptions = set(s.exception_subtags)
        for subtag in sorted(exceptions - {Subtag.EXCEPTION_DELAYED}):
            out.append(_reached(Milestone.EXCEPTION, s.key, subtag))
        estimate_moved = bool(
            s.first_estimated_delivery
            and s.estimated_delivery
            and s.estimated_delivery > s.first_estimated_delivery
        )
        if Subtag.EXCEPTION_DELAYED in exceptions or estimate_moved:
            new_date = s.estimated_delivery.isoformat() if s.estimated_delivery else ""
            out.append(_reached(Milestone.DELAYED, s.key, new_date))
        # Each delivery is its own moment (a corrected delivery followed by the real one is news
        # twice); the first keeps the plain key. A reopened delivery stays reached: it happened.
        for n in range(1, s.deliveries + 1):
            out.append(_reached(Milestone.DELIVERED, s.key, str(n) if n > 1 else ""))
    for line in state.lines.values():
        if line.unavailable_quantity:
            out.append(_reached(Milestone.ITEM_UNAVAILABLE, line.line_id))
        if line.pickup is not None:
            out.append(_reached(Milestone.READY_FOR_PICKUP, f"line:{line.line_id}"))
    if state.cancelled_at is not None:
        out.append(_reached(Milestone.CANCELLED))
    for choice in recorded_choices(state):
        out.append(_reached(Milestone.CUSTOMER_CHOICE, choice.subject, choice.choice.value))
    return out


def newly_reached(before: list[str], after: list[Reached]) -> list[Reached]:
    """Milestones in ``after`` whose keys were not in ``before``."""
    seen = set(before)
    return [r for r in after if r.key not in seen]
