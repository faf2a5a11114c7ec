"""A return's lifecycle as a pure state machine (the shopper's next step on it is
:mod:`aftercart.domain.returns.next_step`).

::

    requested ─approve─▶ approved ─issue_label─▶ label_issued ─mark_in_transit─▶ in_transit
        │                   │  ╲                     │                             │
        │                   │   ╲ mark_in_transit / mark_received (drop-off, in store)
        │                   │    ╲                   ▼                             ▼
        │                   │     ──────────────▶ received ◀──────────mark_received┘
        │                   │                        │ inspect (accept all / part)   (reject all)
        │                   │ resolve (keep it)      ▼                               ─────────▶ rejected
        │                   └──────────────────▶ inspected ─resolve─▶ resolved
        └─reject─▶ rejected     cancel: from requested, approved, label_issued ─▶ cancelled

Every accepted transition becomes a fact of the return; an illegal one is refused with a reason
and nothing is written.
"""

from __future__ import annotations

from enum import StrEnum

from aftercart.domain.vocabulary import CarrierTag

__all__ = [
    "TERMINAL",
    "IllegalTransition",
    "Inspection",
    "Resolution",
    "ReturnEvent",
    "ReturnStatus",
    "carrier_event",
    "next_status",
]


class ReturnStatus(StrEnum):
    """Where a return is."""

    REQUESTED = "requested"
    APPROVED = "approved"
    LABEL_ISSUED = "label_issued"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


TERMINAL = frozenset({ReturnStatus.RESOLVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED})


class ReturnEvent(StrEnum):
    """What can happen to a return."""

    APPROVE = "approve"
    REJECT = "reject"
    ISSUE_LABEL = "issue_label"
    MARK_IN_TRANSIT = "mark_in_transit"
    MARK_RECEIVED = "mark_received"
    INSPECT = "inspect"
    RESOLVE = "resolve"
    CANCEL = "cancel"


class Inspection(StrEnum):
    """The warehouse's verdict on what came back."""

    ACCEPT_ALL = "accept_all"
    ACCEPT_PART = "accept_part"
    REJECT = "reject"


class Resolution(StrEnum):
    """How a line (or the return) was settled."""

    REFUND_ISSUED = "refund_issued"
    CREDIT_ISSUED = "credit_issued"
    EXCHANGE_CREATED = "exchange_created"


_MOVES: dict[ReturnStatus, dict[ReturnEvent, ReturnStatus]] = {
    ReturnStatus.REQUESTED: {
        ReturnEvent.APPROVE: ReturnStatus.APPROVED,
        ReturnEvent.REJECT: ReturnStatus.REJECTED,
        ReturnEvent.CANCEL: ReturnStatus.CANCELLED,
    },
    ReturnStatus.APPROVED: {
        ReturnEvent.ISSUE_LABEL: ReturnStatus.LABEL_ISSUED,
        # Box-free drop-off: the carrier's first scan; in-store: straight to received.
        ReturnEvent.MARK_IN_TRANSIT: ReturnStatus.IN_TRANSIT,
        ReturnEvent.MARK_RECEIVED: ReturnStatus.RECEIVED,
        ReturnEvent.RESOLVE: ReturnStatus.RESOLVED,
        ReturnEvent.CANCEL: ReturnStatus.CANCELLED,
    },
    ReturnStatus.LABEL_ISSUED: {
        ReturnEvent.ISSUE_LABEL: ReturnStatus.LABEL_ISSUED,
        ReturnEvent.MARK_IN_TRANSIT: ReturnStatus.IN_TRANSIT,
        ReturnEvent.MARK_RECEIVED: ReturnStatus.RECEIVED,
        ReturnEvent.CANCEL: ReturnStatus.CANCELLED,
    },
    ReturnStatus.IN_TRANSIT: {ReturnEvent.MARK_RECEIVED: ReturnStatus.RECEIVED},
    ReturnStatus.RECEIVED: {ReturnEvent.INSPECT: ReturnStatus.INSPECTED},
    ReturnStatus.INSPECTED: {ReturnEvent.RESOLVE: ReturnStatus.RESOLVED},
}


#: Carrier statuses that mean the parcel is in the carrier's hands (scanned): "info_received" is
#: only the label being printed, "pending" and "expired" say nothing happened.
_SCANNED = frozenset(
    {
        CarrierTag.IN_TRANSIT,
        CarrierTag.OUT_FOR_DELIVERY,
        CarrierTag.ATTEMPT_FAIL,
        CarrierTag.AVAILABLE_FOR_PICKUP,
        CarrierTag.EXCEPTION,
    }
)


def carrier_event(status: ReturnStatus, tag: str) -> ReturnEvent | None:
    """What a carrier event for the return's own parcel does to a return that is ``status``:
    the first scan puts it in transit, delivery (to the store's warehouse) means received.
    ``None`` when it changes nothing: a status already past it (events arrive out of order), a
    label being printed, a return that is over or not yet approved."""
    if status not in (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT):
        return None
    if tag == CarrierTag.DELIVERED:
        return ReturnEvent.MARK_RECEIVED
    if tag in _SCANNED and status != ReturnStatus.IN_TRANSIT:
        return ReturnEvent.MARK_IN_TRANSIT
    return None


class IllegalTransition(ValueError):
    """A transition the lifecycle does not allow; ``reason`` says why in words."""

    def __init__(self, status: ReturnStatus, event: ReturnEvent, reason: str):
        super().__init__(reason)
        self.status, self.event, self.reason = status, event, reason


def next_status(
    status: ReturnStatus,
    event: ReturnEvent,
    *,
    inspection: Inspection | None = None,
    reason: str = "",
    keep_items: bool = False,
) -> ReturnStatus:
    """The status after ``event``, or :class:`IllegalTransition` naming why it cannot happen.

    ``inspect`` needs an ``inspection``; rejecting everything needs a ``reason`` and ends the
    return as rejected. ``reject`` needs a ``reason``. Resolving before anything came back is only
    for returns whose items the shopper keeps."""
    if status in TERMINAL:
        raise IllegalTransition(status, event, f"the return is already {status.value}")
    target = _MOVES[status].get(event)
    if target is None:
        allowed = ", ".join(e.value for e in _MOVES[status]) or "nothing"
        raise IllegalTransition(
            status,
            event,
            f"cannot {event.value.replace('_', ' ')} a return that is {status.value}; allowed now: {allowed}",
        )
    if event == ReturnEvent.REJECT and not reason.strip():
        raise IllegalTransition(status, event, "a rejection needs a reason")
    if event == ReturnEvent.INSPECT:
        if inspection is None:
            raise IllegalTransition(
                status, event, "say what the inspection found: accept_all, accept_part or reject"
            )
        if inspection == Inspection.REJECT:
            if not reason.strip():
                raise IllegalTransition(status, event, "a rejection needs a reason")
            return ReturnStatus.REJECTED
    if event == ReturnEvent.RESOLVE and status == ReturnStatus.APPROVED and not keep_items:
        raise IllegalTransition(
            status, event, "the items have not come back yet (only keep-it returns resolve on approval)"
        )
    return target
