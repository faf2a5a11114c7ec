"""Writes for returns, one transaction each: save a policy version, request a return (judged by the
store's current policy), issue its label or drop-off code, move it through its lifecycle, and keep
the store's stock for exchanges. Every step appends a ``ReturnFact`` and, in the same transaction,
the outbox rows of the milestones it reaches (:mod:`aftercart.returns.notify`); a refused request
or move raises before anything is written.

Stable entry points (the portal, the API, the ledger's carrier events and the demo call these):
:func:`return_request` (with ``method``), :func:`return_issue_label`, :func:`return_transition`,
:func:`return_carrier_event`, :func:`stock_set`, :func:`stock_shopify_webhook_record`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from aftercart.domain.facts import normalise_tracking_number
from aftercart.domain.milestones import Milestone
from aftercart.domain.returns import (
    Note,
    OfferKind,
    PolicyError,
    RequestedLine,
    ReturnDecision,
    ReturnMethod,
    ReturnPolicy,
    judge_return,
    quantize,
    settle,
)
from aftercart.domain.returns.lifecycle import (
    IllegalTransition,
    Inspection,
    Resolution,
    ReturnEvent,
    ReturnStatus,
    carrier_event,
    next_status,
)
from aftercart.domain.returns.notices import EXCHANGE_RELEASED, REQUESTED, milestones_for_step
from aftercart.integrations.labels.providers import CarrierLabel, label_provider
from aftercart.integrations.shopify.inventory import LocationLevel, VariantStock
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.services import inbound_delivery_record
from aftercart.returns import notify, selectors
from aftercart.returns.models import (
    Return,
    ReturnFact,
    ReturnLine,
    ReturnPolicyVersion,
    StockLevel,
    new_dropoff_code,
)
from aftercart.stores.models import Store

__all__ = [
    "IllegalTransition",
    "PolicyError",
    "ReturnRefused",
    "return_carrier_event",
    "return_issue_label",
    "return_policy_save",
    "return_request",
    "return_transition",
    "stock_set",
    "stock_shopify_webhook_record",
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
    #: References to the shopper's photos of the item (stored paths or URLs).
    photos: tuple[str, ...] = ()


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
    method: str = ReturnMethod.LABEL.value,
    now: datetime | None = None,
) -> RequestResult:
    """Judge a return request by the store's current policy and, when every line may come back,
    record it (approved at once unless the policy wants a person to review it; approval issues the
    label or drop-off code, see :func:`return_issue_label`).

    ``method`` is how the items go back: ``"label"`` (default), ``"dropoff"`` (box-free, QR code)
    or ``"in_store"``; the policy's ``methods`` say which are offered (``method_not_offered``
    otherwise). An exchange for a replacement the store's stock feed says it lacks is refused as
    ``out_of_stock``, naming the next offer; an accepted exchange reserves the replacement.

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
    if method not in {m.value for m in policy.methods}:
        offered = ", ".join(m.value for m in ReturnMethod if m in policy.methods)
        raise ReturnRefused(
            "method_not_offered",
            f"{method.replace('_', ' ')} returns are not offered (offered: {offered})",
            errors=[{"field": "method", "code": "method_not_offered", "message": f"offered: {offered}"}],
        )
    state = order_state(order)
    the_order = selectors.order_for_return(order, state)
    decision = judge_return(
        policy=policy,
        order=the_order,
        request=[c.request for c in choices],
        history=selectors.customer_history(store, order.email),
        now=now,
        stock=selectors.stock_levels(store, [c.request for c in choices]),
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
            code = "resolution_not_offered"
            if choice.resolution == OfferKind.EXCHANGE and any(
                n.code == "out_of_stock" for n in line.reasons
            ):
                code = "out_of_stock"
                if line.offers:
                    best = line.offers[0]
                    why += f"; next offer: {best.kind.value.replace('_', ' ')} of {best.amount} {decision.currency}"
            raise ReturnRefused(
                code,
                f"{choice.resolution.value.replace('_', ' ')} is not offered for line {line.line_id}: {why}",
                errors=[{"field": f"lines[{index}].resolution", "code": code, "message": why}],
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
        method=method,
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
                photos=[str(p)[:500] for p in choice.photos][:10],
            )
        )
    ReturnLine.objects.bulk_create(rows)
    _total(ret, rows)
    ret.keep_items = all(r.keep_item for r in rows)
    ret.save()
    _reserve_stock(store, rows)
    label_follows = not decision.needs_review and _needs_label(ret)
    _fact(
        ret,
        REQUESTED,
        actor=actor or source,
        now=now,
        key=f"{ret.rma}:requested",
        payload={
            "lines": [_line_json(r) for r in rows],
            "policy_version": version.version,
            "method": method,
        },
        # One e-mail, not two a second apart: the label e-mail says the return was accepted.
        suppress={Milestone.RETURN_REQUESTED: "consolidated into label_ready"} if label_follows else None,
    )
    if not decision.needs_review:
        _move(
            ret, ReturnEvent.APPROVE, actor="policy", now=now, key=f"{ret.rma}:approve:requested", payload={}
        )
        _after_approval(ret, now=now)
    return RequestResult(ret, created=True)


def _needs_label(ret: Return) -> bool:
    """Whether approval issues something to send the items with: a label or a drop-off code
    (in-store returns are handed over; keep-it returns send nothing)."""
    return not ret.keep_items and ret.method in (ReturnMethod.LABEL.value, ReturnMethod.DROPOFF.value)


def _after_approval(ret: Return, *, now: datetime) -> None:
    if _needs_label(ret):
        _issue_label(ret, now=now)


def _reserve_stock(store: Store, rows: Sequence[ReturnLine]) -> None:
    """Take the replacements of accepted exchanges out of the stock the feed reported, so two
    shoppers cannot both be promised the last one (the next feed update overwrites it anyway)."""
    for row in rows:
        target = row.exchange_for
        if row.resolution != OfferKind.EXCHANGE.value or not target:
            continue
        levels = StockLevel.objects.filter(store=store)
        if target.get("sku"):
            levels = levels.filter(sku=target["sku"])
        else:
            levels = levels.filter(
                sku="", product_id=target.get("product_id", ""), variant=target.get("variant", "")
            )
        levels.update(available=F("available") - row.quantity)


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
        refund=ret.refund_amount > 0,
        credit=ret.credit_amount > 0,
        exchange_created=exchange_created,
    )
    notify.return_messages_plan(ret, milestones, now=now, suppress=suppress, occasion=occasion)
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


def _make_exchange_order(ret: Return, lines: Sequence[ReturnLine], *, now: datetime, instant: bool) -> bool:
    """Record the replacement order of the return's exchanged lines (accepted ones, or all of them
    before inspection for an instant exchange). Whether a replacement now ships: False when there
    is none, it exists already, or no exchanged line names one (the credit waits to be spent)."""
    if ret.exchange_order:
        return False
    exchanged = [ln for ln in lines if ln.resolution == OfferKind.EXCHANGE.value and ln.accepted is not False]
    if not exchanged:
        return False
    ret.exchange_order = {
        "id": f"{ret.rma}-X",
        "created_at": now.isoformat(),
        "instant": instant,
        "currency": ret.currency,
        "credit": str(quantize(sum((ln.exchange_amount for ln in exchanged), Decimal(0)), ret.currency)),
        "charge": str(quantize(sum((ln.charge_amount for ln in exchanged), Decimal(0)), ret.currency)),
        "lines": [
            {
                "replaces_line_id": ln.line_id,
                "product_id": (ln.exchange_for or {}).get("product_id", ln.product_id),
                "variant": (ln.exchange_for or {}).get("variant", ""),
                "sku": (ln.exchange_for or {}).get("sku", ""),
                "quantity": ln.quantity,
                "unit_price": (ln.exchange_for or {}).get("unit_price"),
                "title": ln.title,
            }
            for ln in exchanged
            if ln.exchange_for
        ],
    }
    return bool(ret.exchange_order["lines"])


def _release_instant_exchange(ret: Return, lines: Sequence[ReturnLine], *, now: datetime) -> None:
    """Instant exchange (policy ``exchange.instant``): the replacement goes out on the returned
    parcel's first carrier scan instead of after inspection."""
    if not selectors.policy_of(ret.policy).exchange.instant:
        return
    if _make_exchange_order(ret, lines, now=now, instant=True):
        ret.save(update_fields=["exchange_order"])
        _fact(
            ret,
            EXCHANGE_RELEASED,
            actor="policy",
            now=now,
            key=f"{ret.rma}:exchange_released",
            payload={"exchange_order": ret.exchange_order},
        )


# -- labels and drop-off codes --------------------------------------------------------------------


def _provider_name() -> str:
    return str(getattr(settings, "AFTERCART_RETURN_LABEL_PROVIDER", "manual") or "manual")


def _issue_label(
    ret: Return,
    *,
    now: datetime,
    tracking_number: str = "",
    carrier: str = "",
    provider: str = "",
    label_url: str = "",
) -> None:
    """Buy (or not) the carrier's label, keep its tracking number, make the drop-off code, and
    move the return to label_issued (inside the caller's transaction)."""
    name = provider or _provider_name()
    bought = CarrierLabel(provider=name)
    if not tracking_number:
        # The store gave no tracking number of its own: ask the configured provider. (A provider
        # that calls a carrier's API belongs in a task; the manual one does no I/O.)
        bought = label_provider(name).purchase(selectors.return_parcel(ret))
    ret.label_provider = name
    ret.carrier = (carrier or bought.carrier)[:64]
    ret.tracking_number = (normalise_tracking_number(tracking_number or bought.tracking_number) or "")[:64]
    ret.label_url = label_url[:500]
    if ret.method == ReturnMethod.DROPOFF.value and not ret.dropoff_code:
        ret.dropoff_code = new_dropoff_code()
    ret.label_issued_at = now
    ret.save(
        update_fields=[
            "label_provider",
            "carrier",
            "tracking_number",
            "label_url",
            "dropoff_code",
            "label_issued_at",
        ]
    )
    reissue = ReturnStatus(ret.status) == ReturnStatus.LABEL_ISSUED
    step = ret.facts.count()
    key = f"{ret.rma}:issue_label:{step}" if reissue else f"{ret.rma}:issue_label:approved"
    _move(
        ret,
        ReturnEvent.ISSUE_LABEL,
        actor=name,
        now=now,
        key=key,
        # A new label to print (the store's own carrier label attached after approval, or a
        # replacement) is told again, with it. A drop-off keeps its QR code: nothing new to tell.
        occasion=f"reissue-{step}" if reissue and ret.method == ReturnMethod.LABEL.value else "",
        payload={
            "provider": name,
            "carrier": ret.carrier,
            "tracking_number": ret.tracking_number,
            "label_url": ret.label_url,
            "dropoff_code": bool(ret.dropoff_code),
        },
    )


@transaction.atomic
def return_issue_label(
    ret: Return,
    *,
    now: datetime | None = None,
    tracking_number: str = "",
    carrier: str = "",
    provider: str = "",
    label_url: str = "",
) -> Return:
    """Issue the return's label (``method="label"``) or drop-off QR code (``"dropoff"``) and move
    it to ``label_issued``; the approval of a return calls this itself, automatic or manual.

    The label comes from the configured provider (``AFTERCART_RETURN_LABEL_PROVIDER``, default
    ``manual``: no postage bought, no tracking number) unless the store passes the
    ``tracking_number`` (and ``carrier``, and the ``label_url`` its carrier label can be downloaded
    from) of a label it bought itself — carrier events for that number then move the return
    (:func:`return_carrier_event`). Calling it again without a new tracking number or label URL (or
    with the same ones) changes nothing, whatever happened since; with a new one, the label is
    reissued. In-store returns have nothing to issue and are returned unchanged. An illegal step (a
    return not approved, or already on its way or over) raises :class:`IllegalTransition`; nothing
    is written."""
    now = now or timezone.now()
    ret = Return.objects.select_for_update().get(pk=ret.pk)
    status = ReturnStatus(ret.status)
    if ret.method == ReturnMethod.IN_STORE.value or ret.keep_items:
        return ret
    number = normalise_tracking_number(tracking_number) or ""
    new_number = bool(number) and number != ret.tracking_number
    new_url = bool(label_url) and label_url != ret.label_url
    if ret.label_issued_at is not None and not new_number and not new_url:
        return ret  # issued already, and nothing new: a retried call (whatever happened since)
    next_status(status, ReturnEvent.ISSUE_LABEL, keep_items=ret.keep_items)  # raises when illegal
    _issue_label(
        ret,
        now=now,
        tracking_number=number or (ret.tracking_number if new_url else ""),
        carrier=carrier or (ret.carrier if new_url and not new_number else ""),
        provider=provider,
        label_url=label_url,
    )
    return ret


# -- the return's own parcel, through the ledger ----------------------------------------------------


def return_carrier_event(
    ret: Return, *, tag: str, occurred_at: datetime, fact_key: str = "", now: datetime | None = None
) -> bool:
    """Apply one carrier event for the return's parcel: the first scan moves it to in_transit,
    delivery to received (:func:`~aftercart.domain.returns.lifecycle.carrier_event` decides).
    Called by the ledger's receiver for every tracking event naming a return's tracking number,
    inside the ledger's transaction. Whether the return moved."""
    event = carrier_event(ReturnStatus(ret.status), tag)
    if event is None:
        return False
    result = return_transition(
        ret=ret,
        event=event,
        actor="carrier",
        now=occurred_at,
        details={"tag": tag, "fact": fact_key} if fact_key else {"tag": tag},
    )
    return result.applied


# -- stock for exchanges ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockItem:
    """One stock figure from a feed: by ``sku``, or by ``product_id`` and ``variant``."""

    available: int
    sku: str = ""
    product_id: str = ""
    variant: str = ""


@transaction.atomic
def stock_set(*, store: Store, items: Sequence[StockItem], now: datetime | None = None) -> int:
    """Set the store's stock of each item (a batch from its inventory feed); the last figure for an
    item wins. Returns how many items were set."""
    now = now or timezone.now()
    latest: dict[tuple[str, str, str], StockItem] = {}
    for item in items:
        key = (item.sku, "", "") if item.sku else ("", item.product_id, item.variant)
        latest[key] = item
    for (sku, product_id, variant), item in latest.items():
        lookup: dict = {"sku": sku} if sku else {"sku": "", "product_id": product_id, "variant": variant}
        extra = {"product_id": item.product_id, "variant": item.variant} if sku else {}
        StockLevel.objects.update_or_create(
            store=store, **lookup, defaults={"available": item.available, "updated_at": now, **extra}
        )
    return len(latest)


@dataclass(frozen=True)
class StockFeedResult:
    """What one Shopify stock webhook changed: rows ``updated``; levels older than the stored one
    of their location (``stale``); items counted by nobody (``untracked``: Shopify does not track
    them, or a new variant came without a count); levels of ``unknown_items`` (no product webhook
    named them yet)."""

    updated: int = 0
    stale: int = 0
    untracked: int = 0
    unknown_items: tuple[str, ...] = ()


@transaction.atomic
def stock_shopify_webhook_record(
    *,
    store: Store,
    delivery_id: str,
    topic: str,
    variants: Sequence[VariantStock] = (),
    level: LocationLevel | None = None,
) -> tuple[bool, StockFeedResult]:
    """Record a Shopify stock webhook (a product's variants, or one location's level) and its
    delivery together. Returns (is_new, result); a delivery id seen before changes nothing."""
    is_new, _ = inbound_delivery_record(
        store=store, source="shopify", delivery_id=delivery_id, topic=topic, facts=()
    )
    if not is_new:
        return False, StockFeedResult()
    if level is not None:
        return True, _stock_level_set(store, level)
    return True, _stock_variants_set(store, variants)


def _stock_variants_set(store: Store, variants: Sequence[VariantStock]) -> StockFeedResult:
    """Name each variant's row (SKU, product, variant title, inventory item). Its count comes from
    ``inventory_quantity`` only while no location has reported a level for it: once one has, the
    per-location levels are the finer figure and the product's total would undo them."""
    updated = untracked = 0
    for v in variants:
        key = {"sku": v.sku} if v.sku else {"sku": "", "product_id": v.product_id, "variant": v.variant}
        row = StockLevel.objects.filter(store=store, inventory_item_id=v.inventory_item_id).first()
        keyed = StockLevel.objects.filter(store=store, **key).first()
        if row is None:
            row = keyed
        elif keyed is not None and keyed.pk != row.pk:
            # Another row holds the name this item now has (set through the API, or a renamed
            # SKU): the shop says the name is this item's, so one row keeps it.
            keyed.delete()
        if row is None:
            if v.available is None:
                untracked += 1  # never counted: left unknown, so exchanges for it stay possible
                continue
            row = StockLevel(store=store, available=v.available, updated_at=v.updated_at)
        elif v.available is not None and not row.by_location and v.updated_at >= row.updated_at:
            row.available, row.updated_at = v.available, v.updated_at
        row.sku, row.product_id, row.variant = v.sku, v.product_id, v.variant
        row.inventory_item_id = v.inventory_item_id
        row.save()
        updated += 1
    return StockFeedResult(updated=updated, untracked=untracked)


def _stock_level_set(store: Store, level: LocationLevel) -> StockFeedResult:
    """Set one location's count of an item; ``available`` becomes the sum over its locations. A
    level older than the one stored for its location is ignored (webhooks arrive out of order)."""
    row = (
        StockLevel.objects.select_for_update()
        .filter(store=store, inventory_item_id=level.inventory_item_id)
        .first()
    )
    if row is None:
        # Nothing to attach it to; the product webhook that names the item brings its total.
        return StockFeedResult(unknown_items=(level.inventory_item_id,))
    if level.available is None:
        return StockFeedResult(untracked=1)
    stored = row.by_location.get(level.location_id)
    if stored and datetime.fromisoformat(stored["updated_at"]) > level.updated_at:
        return StockFeedResult(stale=1)
    row.by_location = {
        **row.by_location,
        level.location_id: {"available": level.available, "updated_at": level.updated_at.isoformat()},
    }
    row.available = sum(int(loc["available"]) for loc in row.by_location.values())
    row.updated_at = max(row.updated_at, level.updated_at)
    row.save(update_fields=["by_location", "available", "updated_at"])
    return StockFeedResult(updated=1)
