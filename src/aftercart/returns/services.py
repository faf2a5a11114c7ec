"""Writes for returns, one transaction each: save a policy version, request a return (judged by the
store's current policy), and move a return through its lifecycle. Every step appends a
``ReturnFact``; a refused request or move raises before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aftercart.domain.returns import (
    Note,
    OfferKind,
    PolicyError,
    RequestedLine,
    ReturnDecision,
    ReturnPolicy,
    judge_return,
    settle,
)
from aftercart.domain.returns.lifecycle import (
    IllegalTransition,
    Inspection,
    Resolution,
    ReturnEvent,
    ReturnStatus,
    next_status,
)
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.returns import selectors
from aftercart.returns.models import Return, ReturnFact, ReturnLine, ReturnPolicyVersion
from aftercart.stores.models import Store

__all__ = [
    "IllegalTransition",
    "PolicyError",
    "ReturnRefused",
    "return_policy_save",
    "return_request",
    "return_transition",
]


class ReturnRefused(Exception):
    """The request cannot become a return as asked. ``code`` names the first problem
    (``over_quantity``, ``unknown_line``, ``already_returned``, ``window_closed``, ``final_sale``,
    ``resolution_not_offered``, ``duplicate_submission`` …); ``notes`` are all of them, by line."""

    def __init__(self, code: str, text: str, *, errors: list[dict[str, str]], existing: Return | None = None):
        super().__init__(text)
        self.code, self.text, self.errors, self.existing = code, text, errors, existing


@transaction.atomic
def return_policy_save(
    *, store: Store, data: Mapping[str, Any], actor: str = "", now: datetime | None = None
) -> ReturnPolicyVersion:
    """Save ``data`` as the store's next policy version (versions are never changed).

    Raises :class:`PolicyError` naming the field when the data is invalid."""
    ReturnPolicy.from_dict(data)  # validate before taking a number
    # Lock the store row so two editors cannot take the same number.
    Store.objects.select_for_update().filter(pk=store.pk).first()
    latest = ReturnPolicyVersion.objects.filter(store=store).aggregate(v=Max("version"))["v"] or 0
    policy = ReturnPolicy.from_dict(data, version=latest + 1)
    return ReturnPolicyVersion.objects.create(
        store=store,
        version=policy.version,
        data=policy.to_dict(),
        created_at=now or timezone.now(),
        created_by=actor[:200],
    )


@dataclass(frozen=True)
class LineChoice:
    """One requested line and how the shopper wants it resolved."""

    request: RequestedLine
    resolution: OfferKind
    reason_text: str = ""


@dataclass(frozen=True)
class RequestResult:
    ret: Return
    created: bool


def _refusal(decision: ReturnDecision) -> ReturnRefused:
    errors = []
    first: Note | None = None
    for index, line in enumerate(decision.lines):
        for note in line.reasons:
            if line.eligible:
                continue
            first = first or note
            errors.append({"field": f"lines[{index}]", "code": note.code, "message": note.text})
    for note in decision.problems:
        first = first or note
        errors.append({"field": "lines", "code": note.code, "message": note.text})
    assert first is not None
    return ReturnRefused(first.code, first.text, errors=errors)


def _same_request(ret: Return, choices: Sequence[LineChoice]) -> bool:
    asked = sorted((c.request.line_id, c.request.quantity, c.resolution.value) for c in choices)
    have = sorted((ln.line_id, ln.quantity, ln.resolution) for ln in ret.lines.all())
    return asked == have


@transaction.atomic
def return_request(
    *,
    store: Store,
    order: Order,
    choices: Sequence[LineChoice],
    client_key: str = "",
    source: str = "api",
    actor: str = "",
    now: datetime | None = None,
) -> RequestResult:
    """Judge a return request by the store's current policy and, when every line may come back,
    record it (approved at once unless the policy wants a person to review it).

    The same ``client_key`` again returns the return already made (``created=False``) — a different
    request under a used key is refused as ``duplicate_submission``. Anything the policy refuses
    raises :class:`ReturnRefused` and writes nothing."""
    now = now or timezone.now()
    # One return at a time per order, so two submissions cannot both claim the same units.
    order = Order.objects.select_for_update().get(pk=order.pk)
    if client_key:
        existing = Return.objects.filter(store=store, client_key=client_key).prefetch_related("lines").first()
        if existing is not None:
            if existing.order_id == order.pk and _same_request(existing, choices):
                return RequestResult(existing, created=False)
            raise ReturnRefused(
                "duplicate_submission",
                f"this submission key was already used for return {existing.rma}",
                errors=[{"field": "client_key", "code": "duplicate_submission", "message": "already used"}],
                existing=existing,
            )
    version = selectors.policy_current(store)
    policy = selectors.policy_of(version)
    state = order_state(order)
    the_order = selectors.order_for_return(order, state)
    decision = judge_return(
        policy=policy,
        order=the_order,
        request=[c.request for c in choices],
        history=selectors.customer_history(store, order.email),
        now=now,
    )
    if not decision.eligible:
        raise _refusal(decision)
    picked = {c.request.line_id: c.resolution for c in choices}
    for index, choice in enumerate(choices):
        line = decision.line(choice.request.line_id)
        assert line is not None
        if line.offer(choice.resolution) is None:
            why = (
                "; ".join(n.text for n in line.reasons if n.code != "eligible") or "not offered by the policy"
            )
            raise ReturnRefused(
                "resolution_not_offered",
                f"{choice.resolution.value.replace('_', ' ')} is not offered for line {line.line_id}: {why}",
                errors=[
                    {"field": f"lines[{index}].resolution", "code": "resolution_not_offered", "message": why}
                ],
            )
    if version is None:
        # The defaults become version 1 the first time they judge a return, so the return can
        # point at the exact policy it was judged under.
        version = ReturnPolicyVersion.objects.create(
            store=store,
            version=1,
            data=ReturnPolicy(version=1).to_dict(),
            created_at=now,
            created_by="defaults",
        )
    by_id = {line.line_id: line for line in the_order.lines}
    ret = Return(
        store=store,
        order=order,
        policy=version,
        decision=decision.to_json(),
        needs_review=decision.needs_review,
        review_reasons=[n.to_json() for n in decision.review_reasons],
        client_key=client_key,
        source=source,
        email=order.email,
        currency=decision.currency,
        created_at=now,
        updated_at=now,
    )
    ship_by = [o.deadline for o in decision.offers if o.deadline]
    ret.ship_by = min(ship_by) if ship_by else None
    try:
        with transaction.atomic():
            ret.save()
    except IntegrityError:
        # A concurrent submission with the same key won the race.
        raise ReturnRefused(
            "duplicate_submission",
            "this submission key was already used",
            errors=[{"field": "client_key", "code": "duplicate_submission", "message": "already used"}],
        ) from None
    rows = []
    for choice in choices:
        asked = choice.request
        line = decision.line(asked.line_id)
        assert line is not None
        part = settle(decision, picked, accepted=[asked.line_id])
        paid = by_id[asked.line_id]
        offer = line.offer(choice.resolution)
        assert offer is not None
        rows.append(
            ReturnLine(
                ret=ret,
                line_id=asked.line_id,
                sku=paid.sku,
                product_id=paid.product_id,
                variant=paid.variant,
                title=paid.title,
                quantity=asked.quantity,
                reason=asked.reason.value,
                reason_text=choice.reason_text[:1000],
                condition=asked.condition.value,
                resolution=choice.resolution.value,
                exchange_for=None
                if asked.exchange_for is None
                else {
                    "product_id": asked.exchange_for.product_id,
                    "variant": asked.exchange_for.variant,
                    "sku": asked.exchange_for.sku,
                    "unit_price": str(asked.exchange_for.unit_price),
                },
                value=line.value,
                refund_amount=part.refund,
                credit_amount=part.store_credit,
                exchange_amount=part.exchange_credit,
                charge_amount=part.charge,
                fee_amount=part.fees,
                bonus_amount=part.bonus,
                keep_item=offer.keep_item,
            )
        )
    ReturnLine.objects.bulk_create(rows)
    _total(ret, rows)
    ret.keep_items = all(r.keep_item for r in rows)
    ret.save()
    _fact(
        ret,
        "requested",
        actor=actor or source,
        now=now,
        key=f"{ret.rma}:requested",
        payload={"lines": [_line_json(r) for r in rows], "policy_version": version.version},
    )
    if not decision.needs_review:
        _move(
            ret, ReturnEvent.APPROVE, actor="policy", now=now, key=f"{ret.rma}:approve:requested", payload={}
        )
    return RequestResult(ret, created=True)


def _line_json(row: ReturnLine) -> dict[str, Any]:
    return {
        "line_id": row.line_id,
        "quantity": row.quantity,
        "reason": row.reason,
        "condition": row.condition,
        "resolution": row.resolution,
        "value": str(row.value),
    }


def _total(ret: Return, rows: Sequence[ReturnLine]) -> None:
    """The return's amounts: the sum over lines inspection did not turn down."""
    kept = [r for r in rows if r.accepted is not False]
    for name in ("refund", "credit", "exchange", "charge", "fee", "bonus"):
        setattr(ret, f"{name}_amount", sum((getattr(r, f"{name}_amount") for r in kept), Decimal(0)))
    ret.returned_value = sum((r.value for r in kept), Decimal(0))


def _fact(
    ret: Return, kind: str, *, actor: str, now: datetime, key: str, payload: dict[str, Any]
) -> ReturnFact:
    return ReturnFact.objects.create(
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


def _move(
    ret: Return,
    event: ReturnEvent,
    *,
    actor: str,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    **rules: Any,
) -> None:
    ret.status = next_status(ReturnStatus(ret.status), event, keep_items=ret.keep_items, **rules).value
    ret.updated_at = now
    ret.save()
    _fact(ret, event.value, actor=actor, now=now, key=key, payload=payload)


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
    ret.status = new.value
    ret.updated_at = now
    ret.save()
    _fact(ret, event.value, actor=actor, now=now, key=key, payload=payload)
    return TransitionResult(ret, applied=True)
