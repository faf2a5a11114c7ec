"""Requesting a return: judged by the store's current policy, recorded with its lines, approved
at once unless the policy wants a review (approval issues the label, see
:mod:`aftercart.returns.services.labels`), replacements of exchanges reserved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import (
    Note,
    OfferKind,
    RequestedLine,
    ReturnDecision,
    ReturnMethod,
    ReturnPolicy,
    judge_return,
    settle,
)
from aftercart.domain.returns.lifecycle import ReturnEvent
from aftercart.domain.returns.notices import REQUESTED
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.returns import selectors
from aftercart.returns.models import Return, ReturnLine, ReturnPolicyVersion, StockLevel
from aftercart.returns.services.labels import _after_approval, _needs_label
from aftercart.returns.services.steps import _fact, _move, _total
from aftercart.stores.models import Store


class ReturnRefused(Exception):
    """The request cannot become a return as asked. ``code`` names the first problem
    (``over_quantity``, ``unknown_line``, ``already_returned``, ``window_closed``, ``final_sale``,
    ``resolution_not_offered``, ``duplicate_submission`` …); ``notes`` are all of them, by line."""

    def __init__(self, code: str, text: str, *, errors: list[dict[str, str]], existing: Return | None = None):
        super().__init__(text)
        self.code, self.text, self.errors, self.existing = code, text, errors, existing


def require_order_placed(order: Order, state: OrderState) -> None:
    """Refuse (``order_not_placed``, naming ``order_id``) a return on an order known only from its
    tracking: the store has not sent the order, so it has no lines to return yet."""
    if not selectors.order_placed(order, state):
        raise ReturnRefused(
            "order_not_placed",
            f"order {order.external_id} has no lines to return yet: only its tracking has arrived, "
            "not the order itself",
            errors=[
                {"field": "order_id", "code": "order_not_placed", "message": "has no lines to return yet"}
            ],
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
    require_order_placed(order, state)
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
                    # Another product's name, for the shopper's page and the exchange order.
                    **({"title": asked.exchange_for.title} if asked.exchange_for.title else {}),
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
