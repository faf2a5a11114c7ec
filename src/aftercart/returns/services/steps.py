"""Recording a step of a return: the fact it appends and, in the same transaction, the outbox
rows of the milestones it reaches; the move through the lifecycle that records it; the amounts
over the lines inspection kept. Used by every service of the package, inside their transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftercart.domain.exceptions import ExceptionKind
from aftercart.domain.milestones import Milestone
from aftercart.domain.returns.lifecycle import ReturnEvent, ReturnStatus, next_status
from aftercart.domain.returns.notices import milestones_for_step
from aftercart.exceptions.services import exception_record_resolve
from aftercart.returns import notify, selectors
from aftercart.returns.models import Return, ReturnFact, ReturnLine

#: Steps that can take a return out of ``approved``: once it is not waiting for its label any more
#: (bought after a retry, attached by hand, cancelled, sent or settled anyway), the exceptions
#: queue's case of a label that could not be bought is over.
_LEAVING_APPROVED = frozenset(
    e.value
    for e in (
        ReturnEvent.ISSUE_LABEL,
        ReturnEvent.MARK_IN_TRANSIT,
        ReturnEvent.MARK_RECEIVED,
        ReturnEvent.RESOLVE,
        ReturnEvent.CANCEL,
    )
)


def label_case_subject(ret: Return) -> str:
    """The subject of a return's label case in the exceptions queue."""
    return f"return:{ret.rma}"


def _total(ret: Return, rows: Sequence[ReturnLine]) -> None:
    """The return's amounts: the sum over lines inspection did not turn down."""
    kept = [r for r in rows if r.accepted is not False]
    for name in ("refund", "credit", "exchange", "charge", "fee", "bonus"):
        setattr(ret, f"{name}_amount", sum((getattr(r, f"{name}_amount") for r in kept), Decimal(0)))
    ret.returned_value = sum((r.value for r in kept), Decimal(0))


def _fact(
    ret: Return,
    kind: str,
    *,
    actor: str,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    exchange_created: bool = False,
    suppress: dict[Milestone, str] | None = None,
    occasion: str = "",
) -> ReturnFact:
    """Append the step and, in the same transaction, the outbox rows of what it reached: the one
    place every step of a return is recorded and told (``occasion`` tells a milestone again, see
    :func:`aftercart.returns.notify.dedupe_key`)."""
    fact = ReturnFact.objects.create(
        store_id=ret.store_id,
        ret=ret,
        kind=kind,
        status=ret.status,
        actor=actor[:200],
        occurred_at=now,
        recorded_at=timezone.now(),
        idempotency_key=key,
        payload=payload,
    )
    milestones = milestones_for_step(
        kind,
        ReturnStatus(ret.status),
        # Only a line the shopper chose to have refunded makes a "refund" e-mail: an exchange's
        # cheaper replacement gives its difference back too, and its exchange e-mail says so.
        refund=selectors.refunds_money(ret),
        credit=ret.credit_amount > 0,
        exchange_created=exchange_created,
    )
    notify.return_messages_plan(ret, milestones, now=now, suppress=suppress, occasion=occasion)
    if kind in _LEAVING_APPROVED and ret.status != ReturnStatus.APPROVED.value:
        exception_record_resolve(
            order_id=ret.order_id,
            kind=ExceptionKind.RETURN_LABEL_FAILED,
            subject=label_case_subject(ret),
            resolution=f"return {ret.status.replace('_', ' ')}",
            now=now,
        )
    return fact


def _move(
    ret: Return,
    event: ReturnEvent,
    *,
    actor: str,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    occasion: str = "",
    **rules: Any,
) -> None:
    ret.status = next_status(ReturnStatus(ret.status), event, keep_items=ret.keep_items, **rules).value
    ret.updated_at = now
    ret.save()
    _fact(ret, event.value, actor=actor, now=now, key=key, payload=payload, occasion=occasion)
