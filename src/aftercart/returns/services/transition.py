"""Moving a return through its lifecycle one step at a time (approve, reject, issue_label,
mark_in_transit, mark_received, inspect, resolve, cancel): inspection's accepted lines, the
resolution's amounts and exchange order, each step recorded once (idempotency keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from aftercart.domain.returns.lifecycle import (
    IllegalTransition,
    Inspection,
    Resolution,
    ReturnEvent,
    ReturnStatus,
    next_status,
)
from aftercart.returns.models import Return, ReturnFact, ReturnLine
from aftercart.returns.services.exchange import _make_exchange_order, _release_instant_exchange
from aftercart.returns.services.labels import _after_approval
from aftercart.returns.services.steps import _fact, _total

_RESOLUTIONS = {
    "refund": Resolution.REFUND_ISSUED,
    "store_credit": Resolution.CREDIT_ISSUED,
    "exchange": Resolution.EXCHANGE_CREATED,
}


@dataclass(frozen=True)
class TransitionResult:
    ret: Return
    applied: bool


@transaction.atomic
def return_transition(
    *,
    ret: Return,
    event: ReturnEvent,
    actor: str = "",
    now: datetime | None = None,
    idempotency_key: str = "",
    reason: str = "",
    inspection: Inspection | None = None,
    accepted_lines: Sequence[str] = (),
    reference: str = "",
    details: Mapping[str, Any] | None = None,
) -> TransitionResult:
    """Move a return one step (approve, reject, issue_label, mark_in_transit, mark_received,
    inspect, resolve, cancel) and record the step as a fact.

    A step whose idempotency key is already recorded changes nothing (``applied=False``); the
    default key is the step and the status it starts from, so a retried call is harmless. An
    illegal step raises :class:`IllegalTransition` with the reason; nothing is written."""
    now = now or timezone.now()
    ret = Return.objects.select_for_update().get(pk=ret.pk)
    status = ReturnStatus(ret.status)
    key = idempotency_key or f"{ret.rma}:{event.value}:{status.value}"
    if event == ReturnEvent.ISSUE_LABEL and status == ReturnStatus.LABEL_ISSUED and not idempotency_key:
        key = f"{key}:{ret.facts.count()}"  # a reissued label is a new step
    if ReturnFact.objects.filter(store_id=ret.store_id, idempotency_key=key).exists():
        return TransitionResult(ret, applied=False)
    payload: dict[str, Any] = dict(details or {})
    lines = list(ret.lines.all())
    if event == ReturnEvent.INSPECT and inspection is not None:
        known = {ln.line_id for ln in lines}
        if inspection == Inspection.ACCEPT_PART:
            unknown = sorted(set(accepted_lines) - known)
            if not accepted_lines or unknown:
                raise IllegalTransition(
                    status,
                    event,
                    f"not lines of this return: {', '.join(unknown)}"
                    if unknown
                    else "accept_part needs the accepted line ids",
                )
        accepted = known if inspection == Inspection.ACCEPT_ALL else set(accepted_lines)
        if inspection == Inspection.REJECT:
            accepted = set()
        payload.update({"inspection": inspection.value, "accepted_lines": sorted(accepted)})
    if reason:
        payload["reason"] = reason
    if reference:
        payload["reference"] = reference
    new = next_status(status, event, inspection=inspection, reason=reason, keep_items=ret.keep_items)
    if event == ReturnEvent.INSPECT:
        for line in lines:
            line.accepted = line.line_id in accepted
        ReturnLine.objects.bulk_update(lines, ["accepted"])
        _total(ret, lines)
    if new == ReturnStatus.REJECTED:
        ret.rejection_reason = reason[:500]
    exchange_created = False
    if event == ReturnEvent.RESOLVE:
        kinds = sorted({_RESOLUTIONS[ln.resolution].value for ln in lines if ln.accepted is not False})
        ret.resolution = ",".join(kinds)
        payload["resolution"] = ret.resolution
        payload["amounts"] = {
            "refund": str(ret.refund_amount),
            "store_credit": str(ret.credit_amount),
            "exchange": str(ret.exchange_amount),
            "charge": str(ret.charge_amount),
        }
        exchange_created = _make_exchange_order(ret, lines, now=now, instant=False)
        if ret.exchange_order:
            payload["exchange_order"] = ret.exchange_order
    ret.status = new.value
    ret.updated_at = now
    ret.save()
    _fact(ret, event.value, actor=actor, now=now, key=key, payload=payload, exchange_created=exchange_created)
    if event == ReturnEvent.APPROVE:
        _after_approval(ret, now=now)
    if event == ReturnEvent.MARK_IN_TRANSIT:
        _release_instant_exchange(ret, lines, now=now)
    return TransitionResult(ret, applied=True)
