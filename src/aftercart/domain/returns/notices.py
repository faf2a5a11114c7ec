"""Which return milestones a step of a return reaches: the shopper's e-mails and the store's
webhook events. Pure: the returns app records the step and writes what this says to the outbox in
the same transaction."""

from __future__ import annotations

from aftercart.domain.milestones import Milestone
from aftercart.domain.returns.lifecycle import ReturnStatus

__all__ = ["EXCHANGE_RELEASED", "REQUESTED", "milestones_for_step", "return_stale_reason"]

#: Step names that are not lifecycle events: the request itself, and an instant exchange's
#: replacement released on the carrier's first scan.
REQUESTED = "requested"
EXCHANGE_RELEASED = "exchange_released"


def milestones_for_step(
    step: str,
    status: ReturnStatus,
    *,
    refund: bool = False,
    credit: bool = False,
    exchange_created: bool = False,
) -> list[Milestone]:
    """The milestones reached by ``step`` (a :class:`~aftercart.domain.returns.lifecycle.ReturnEvent`
    value, :data:`REQUESTED` or :data:`EXCHANGE_RELEASED`) leaving the return ``status``.

    A resolution tells the shopper each thing issued: a refund, store credit, the replacement
    (``exchange_created``: the exchange order was made by this step, not earlier by an instant
    exchange). A rejection — at review or at inspection — is told; a cancellation is the
    shopper's own doing and is not."""
    if step == REQUESTED:
        return [Milestone.RETURN_CREATED, Milestone.RETURN_REQUESTED]
    if step == EXCHANGE_RELEASED:
        return [Milestone.EXCHANGE_SHIPPED]
    if status == ReturnStatus.REJECTED:
        return [Milestone.RETURN_REJECTED]
    found: list[Milestone] = []
    if step == "approve":
        found.append(Milestone.RETURN_APPROVED)
    elif step == "issue_label":
        found.append(Milestone.LABEL_READY)
    elif step == "mark_received":
        found.append(Milestone.RETURN_RECEIVED)
    elif step == "resolve":
        if refund:
            found.append(Milestone.REFUND_ISSUED)
        if credit:
            found.append(Milestone.CREDIT_ISSUED)
        if exchange_created:
            found.append(Milestone.EXCHANGE_SHIPPED)
        found.append(Milestone.RETURN_RESOLVED)
    return found


S = ReturnStatus
#: The statuses in which each of the shopper's return e-mails is still news. An e-mail waiting in
#: the outbox (a retry, a slow worker, quiet hours) renders the return's *current* next step: a
#: "label ready" going out once the parcel has arrived would say "we received your return" next
#: to "print the attached label". Milestones not listed are news whatever the status.
_NEWS_WHILE: dict[Milestone, frozenset[ReturnStatus]] = {
    Milestone.RETURN_REQUESTED: frozenset({S.REQUESTED, S.APPROVED, S.LABEL_ISSUED}),
    Milestone.LABEL_READY: frozenset({S.LABEL_ISSUED}),
    Milestone.RETURN_RECEIVED: frozenset({S.RECEIVED, S.INSPECTED}),
    Milestone.RETURN_REJECTED: frozenset({S.REJECTED}),
}


def return_stale_reason(milestone: Milestone, status: ReturnStatus | str) -> str:
    """Why a return e-mail about ``milestone`` would contradict the return, now ``status`` ("" when
    it is still news): the return has moved past the moment it tells of (as an order's
    milestones are superseded, :func:`aftercart.domain.messaging.stale_reason`)."""
    news = _NEWS_WHILE.get(milestone)
    if news is None or ReturnStatus(status) in news:
        return ""
    return f"superseded by return {ReturnStatus(status).value}"
