"""Returns and exchanges: request a return (judged by the store's policy), move it through its
lifecycle, read it, edit the policy (each edit a new version) and the numbers behind returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.utils import timezone, translation
from ninja import Body, Field, Query, Router, Schema, Status

from aftercart.api.openapi import refuses
from aftercart.api.problems import Problem, field_problem
from aftercart.domain.returns import (
    Condition,
    ExchangeTarget,
    OfferKind,
    PolicyError,
    Reason,
    RequestedLine,
    ReturnMethod,
    judge_return,
)
from aftercart.domain.returns.lifecycle import (
    IllegalTransition,
    Inspection,
    ReturnEvent,
    ReturnStatus,
)
from aftercart.integrations.canonical.schemas import Moment, Money
from aftercart.kernel.presenter import params_json, present
from aftercart.orders import selectors as order_selectors
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.returns import selectors
from aftercart.returns.metrics import returns_metrics
from aftercart.returns.models import Return
from aftercart.returns.payloads import amounts_json, line_json
from aftercart.returns.services.labels import return_issue_label
from aftercart.returns.services.policy import return_policy_save
from aftercart.returns.services.request import (
    LineChoice,
    ReturnRefused,
    require_order_placed,
    return_request,
)
from aftercart.returns.services.transition import return_transition
from aftercart.stores.http import StoreRequest

router = Router(tags=["returns"])


class ExchangeIn(Schema):
    """The replacement wanted: another variant of the same product or another product."""

    product_id: str = Field(..., min_length=1, max_length=128)
    variant: str = Field("", max_length=200)
    sku: str = Field("", max_length=128)
    unit_price: Money
    title: str = Field("", max_length=300, description="Another product's name, for the shopper.")


class ReturnLineIn(Schema):
    line_id: str = Field(..., min_length=1, max_length=128)
    quantity: int = Field(1, ge=1, le=100_000)
    reason: Reason
    reason_text: str = Field("", max_length=1000)
    condition: Condition = Condition.NEW_WITH_TAGS
    resolution: OfferKind = OfferKind.REFUND
    exchange_for: ExchangeIn | None = None
    photos: list[str] = Field(default_factory=list, max_length=10, description="Photo URLs or references.")


class ReturnIn(Schema):
    """A return request. ``client_key`` is your id for this submission: sending it again never
    makes a second return. ``method``: how the items go back (the policy's ``methods``)."""

    order_id: str = Field(..., min_length=1, max_length=128)
    client_key: str = Field("", max_length=200)
    method: ReturnMethod = ReturnMethod.LABEL
    lines: list[ReturnLineIn] = Field(..., min_length=1, max_length=200)


class LabelIn(Schema):
    """A label the store bought itself (the ``manual`` provider): its tracking number, carrier and
    where the carrier's label can be downloaded. Empty: the configured label provider issues one."""

    tracking_number: str = Field("", max_length=64)
    carrier: str = Field("", max_length=64)
    label_url: str = Field(
        "",
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        description="The carrier's label (PDF) for the shopper to print: an http(s) URL.",
    )


class TransitionIn(Schema):
    idempotency_key: str = Field("", max_length=200)
    reason: str = Field("", max_length=500)
    reference: str = Field(
        "", max_length=200, description="Your id for the refund, credit or exchange order."
    )
    details: dict[str, Any] = Field(default_factory=dict)


class InspectIn(TransitionIn):
    result: Inspection
    accepted_lines: list[str] = Field(default_factory=list, max_length=200)
    photos: list[str] = Field(
        default_factory=list, max_length=20, description="References to the inspection's photos."
    )


class ReturnOut(Schema):
    rma: str
    order_id: str
    order_number: str
    status: str
    needs_review: bool
    review_reasons: list[dict[str, Any]]
    policy_version: int
    currency: str
    amounts: dict[str, str]
    keep_items: bool
    ship_by: date | None
    resolution: str
    rejection_reason: str
    method: str
    label: dict[str, Any] | None
    label_purchase: dict[str, Any] | None = None
    exchange_order: dict[str, Any] | None
    next_step: dict[str, Any]
    lines: list[dict[str, Any]]
    decision: dict[str, Any]
    facts: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


def _purchase_json(ret: Return) -> dict[str, Any] | None:
    """The label being bought (EasyPost stores): ``pending`` / ``buying`` / ``bought`` / ``failed``,
    its attempts, the last error and when it is tried next; ``None`` when nothing is bought."""
    try:
        purchase = ret.label_purchase
    except ObjectDoesNotExist:
        return None
    return {
        "status": purchase.status,
        "attempts": purchase.attempts,
        "error": purchase.last_error,
        "next_attempt_at": None if purchase.status in ("bought", "failed") else purchase.next_attempt_at,
        "fallback": purchase.fallback,
    }


def _next_step_json(ret: Return) -> dict[str, Any]:
    """The return's next step as the order API gives the order's: headline, detail and action
    labels rendered in English (a store's own wording is its business), raw params and actions."""
    step = selectors.return_step(ret)
    with translation.override("en"):
        shown = present(step, ZoneInfo("UTC"))
    return {
        "code": shown.code,
        "headline": shown.headline,
        "detail": shown.detail,
        "action": step.action,
        "params": params_json(step.params),
        "actions": [{"code": a.code, "label": a.label, "params": dict(a.params)} for a in shown.actions],
    }


def serialise(ret: Return, *, with_facts: bool = True) -> dict[str, Any]:
    """The API's return shape (amounts as strings in the return's currency's minor unit)."""
    cur = ret.currency
    return {
        "rma": ret.rma,
        "order_id": ret.order.external_id,
        "order_number": ret.order.number,
        "status": ret.status,
        "needs_review": ret.needs_review,
        "review_reasons": ret.review_reasons,
        "policy_version": ret.policy.version,
        "currency": ret.currency,
        "amounts": amounts_json(ret),
        "keep_items": ret.keep_items,
        "ship_by": ret.ship_by,
        "resolution": ret.resolution,
        "rejection_reason": ret.rejection_reason,
        "method": ret.method,
        "label": None
        if ret.label_issued_at is None
        else {
            "provider": ret.label_provider,
            "carrier": ret.carrier,
            "tracking_number": ret.tracking_number,
            "label_url": ret.label_url,
            "dropoff_code": ret.dropoff_code,
            "issued_at": ret.label_issued_at,
            # A bought label: its service, what it cost the store, and the carrier's own drop-off
            # QR code (an image URL) when the carrier gave one.
            "service": ret.label_service,
            "cost": None
            if ret.label_cost is None
            else {"amount": str(ret.label_cost), "currency": ret.label_cost_currency},
            "carrier_qr_url": ret.carrier_qr_url,
        },
        "label_purchase": _purchase_json(ret),
        "exchange_order": ret.exchange_order,
        "next_step": _next_step_json(ret),
        "lines": [
            {**line_json(ln, cur), "keep_item": ln.keep_item, "photos": ln.photos} for ln in ret.lines.all()
        ],
        "decision": ret.decision,
        "facts": [
            {
                "kind": f.kind,
                "status": f.status,
                "actor": f.actor,
                "occurred_at": f.occurred_at,
                "payload": f.payload,
            }
            for f in ret.facts.all()
        ]
        if with_facts
        else [],
        "created_at": ret.created_at,
        "updated_at": ret.updated_at,
    }


#: HTTP status and problem type per refusal: conflicts with what already exists are 409, requests
#: the policy turns down 422.
_REFUSAL_STATUS = {"duplicate_submission": 409, "already_returned": 409}


def refusal_problem(refused: ReturnRefused) -> Problem:
    """A refused return request as problem+json (registered for the API in :mod:`aftercart.api.v1`)."""
    titles = {
        "over_quantity": "More items than can be returned",
        "unknown_line": "Line not in this order",
        "already_returned": "Already returned",
        "window_closed": "Return window closed",
        "final_sale": "Final sale item",
        "duplicate_submission": "Already submitted",
        "not_delivered": "Not delivered yet",
        "not_sent": "Never sent",
        "condition_not_accepted": "Condition not accepted",
        "resolution_not_offered": "Resolution not offered",
        "out_of_stock": "Replacement out of stock",
        "method_not_offered": "Return method not offered",
        "order_not_placed": "Order has no lines yet",
    }
    detail = refused.text
    if refused.existing is not None:
        detail = f"This submission was already made: return {refused.existing.rma}."
    return Problem(
        _REFUSAL_STATUS.get(refused.code, 422),
        titles.get(refused.code, "Return not possible"),
        detail,
        kind=f"return-{refused.code.replace('_', '-')}",
        errors=[{"field": e["field"], "message": e["message"], "code": e["code"]} for e in refused.errors],
    )


def _choices(payload: ReturnIn) -> list[LineChoice]:
    return [
        LineChoice(
            request=RequestedLine(
                line_id=line.line_id,
                quantity=line.quantity,
                reason=line.reason,
                condition=line.condition,
                exchange_for=None
                if line.exchange_for is None
                else ExchangeTarget(
                    product_id=line.exchange_for.product_id,
                    variant=line.exchange_for.variant,
                    sku=line.exchange_for.sku,
                    unit_price=line.exchange_for.unit_price,
                    title=line.exchange_for.title,
                ),
            ),
            resolution=line.resolution,
            reason_text=line.reason_text,
            photos=tuple(line.photos),
        )
        for line in payload.lines
    ]


def _order(request: StoreRequest, order_id: str) -> Order:
    order = order_selectors.order_by_external_id(request.store, order_id)
    if order is None:
        raise Problem(
            404,
            "Order not found",
            f"No order with order_id {order_id!r} in this store.",
            errors=[{"field": "order_id", "message": "not found"}],
        )
    return order


def illegal_transition_problem(refused: IllegalTransition) -> Problem:
    """A move the return's lifecycle does not allow now: 409 (see :mod:`aftercart.api.v1`)."""
    return Problem(
        409,
        "Not possible now",
        refused.reason,
        kind="return-illegal-transition",
        errors=[{"field": "status", "message": refused.reason}],
    )


def policy_problem(error: PolicyError) -> Problem:
    """An invalid return policy: 422 naming the field (see :mod:`aftercart.api.v1`): the document takes
    any object, the policy's own parser says which keys and values it knows."""
    return field_problem("Invalid policy", [{"field": error.field, "message": error.message}], status=422)


def _return(request: StoreRequest, rma: str) -> Return:
    ret = selectors.return_by_rma(request.store, rma)
    if ret is None:
        raise Problem(404, "Return not found", f"No return {rma!r} in this store.")
    return ret


@router.post("", response={201: ReturnOut}, summary="Request a return", openapi_extra=refuses(404, 409, 422))
def create_return(request: StoreRequest, payload: ReturnIn) -> Status[dict[str, Any]]:
    """Judge the request by the store's current policy and record it: approved at once, or waiting
    for review when the policy's abuse limits say so. Anything the policy refuses (too many items, a
    line of another order or already returned, a closed window, a final-sale item, a resolution not
    on offer, a key already used) answers problem+json naming it, and nothing is written."""
    order = _order(request, payload.order_id)
    result = return_request(
        store=request.store,
        order=order,
        choices=_choices(payload),
        client_key=payload.client_key,
        source="api",
        method=payload.method.value,
    )
    if not result.created:
        # The same submission again: nothing new is written; say which return it already made.
        raise refusal_problem(
            ReturnRefused(
                "duplicate_submission",
                "already submitted",
                errors=[{"field": "client_key", "code": "duplicate_submission", "message": "already used"}],
                existing=result.ret,
            )
        )
    return Status(201, serialise(_return(request, result.ret.rma)))


@router.post(
    "/quote",
    response=dict[str, Any],
    summary="What a return would give back, without making it",
    openapi_extra=refuses(404, 409, 422),
)
def quote_return(request: StoreRequest, payload: ReturnIn) -> dict[str, Any]:
    """The policy's judgement of a request — eligibility and reasons per line, the offers in order
    (exchange, store credit with bonus, refund) with amounts, fees and deadlines, and the return
    methods offered — writing nothing. An exchange for a replacement out of stock (the inventory
    feed) is not offered: the line's reasons say ``out_of_stock`` and the next offer leads."""
    order = _order(request, payload.order_id)
    version = selectors.policy_current(request.store)
    policy = selectors.policy_of(version)
    state = order_state(order)
    require_order_placed(order, state)
    requested = [c.request for c in _choices(payload)]
    decision = judge_return(
        policy=policy,
        order=selectors.order_for_return(order, state),
        request=requested,
        history=selectors.customer_history(request.store, order.email),
        now=timezone.now(),
        stock=selectors.stock_levels(request.store, requested),
    )
    return {**decision.to_json(), "methods": [m.value for m in ReturnMethod if m in policy.methods]}


@router.get("", response=list[ReturnOut], summary="List returns")
def list_returns(
    request: StoreRequest,
    status: ReturnStatus | None = None,
    needs_review: bool | None = None,
    order_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    """Newest first; filter by ``status``, ``needs_review`` (the review queue is
    ``status=requested&needs_review=true``) and ``order_id``."""
    qs = selectors.returns_list(
        request.store,
        status=status.value if status else None,
        needs_review=needs_review,
        order_id=order_id,
    )
    return [serialise(ret, with_facts=False) for ret in qs[:limit]]


@router.get(
    "/metrics", response=dict[str, Any], summary="Return rate, exchange rate, retained revenue, reasons"
)
def return_metrics(
    request: StoreRequest, since: Moment | None = None, until: Moment | None = None
) -> dict[str, Any]:
    """Orders placed and returns requested between ``since`` and ``until``: the return rate (orders
    with a return / orders), the shares of returned value resolved by exchange, store credit and
    refund, retained revenue (exchange + credit) and the top reasons by product and variant."""
    return returns_metrics(request.store, since=since, until=until)


@router.get("/policy", response=dict[str, Any], summary="The store's current return policy")
def get_policy(request: StoreRequest) -> dict[str, Any]:
    """The current version (version 0: the defaults, before the store saves a policy)."""
    version = selectors.policy_current(request.store)
    return selectors.policy_of(version).to_dict()


@router.put("/policy", response={201: dict[str, Any]}, summary="Save a new version of the return policy")
def put_policy(request: StoreRequest, payload: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    """Saves the policy as the next version; returns keep the version they were judged under.
    An invalid policy answers 422 naming the field."""
    data = dict(payload)
    data.pop("version", None)  # the server numbers versions
    saved = return_policy_save(store=request.store, data=data, actor="api")
    return Status(201, saved.data)


@router.get("/{rma}", response=ReturnOut, summary="Get a return")
def get_return(request: StoreRequest, rma: str) -> dict[str, Any]:
    """The return with its lines, amounts, the policy's decision, its facts and the next step."""
    return serialise(_return(request, rma))


def _transition(
    request: StoreRequest, rma: str, event: ReturnEvent, payload: TransitionIn, **extra: Any
) -> dict[str, Any]:
    ret = _return(request, rma)
    return_transition(
        ret=ret,
        event=event,
        actor="api",
        idempotency_key=payload.idempotency_key,
        reason=payload.reason,
        reference=payload.reference,
        details=payload.details,
        **extra,
    )
    return serialise(_return(request, rma))


@router.post(
    "/{rma}/approve",
    response=ReturnOut,
    summary="Approve a return (from review)",
    openapi_extra=refuses(409, 422),
)
def approve(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.APPROVE, payload)


@router.post(
    "/{rma}/reject",
    response=ReturnOut,
    summary="Reject a return (from review); needs a reason",
    openapi_extra=refuses(409, 422),
)
def reject(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.REJECT, payload)


@router.post(
    "/{rma}/label",
    response=ReturnOut,
    summary="Issue the return's label or drop-off code",
    openapi_extra=refuses(409, 422),
)
def issue_label(request: StoreRequest, rma: str, payload: LabelIn) -> dict[str, Any]:
    """Approval issues the label itself; call this to give the tracking number, carrier and label
    URL of a label you bought yourself (its carrier events then move the return), or to reissue
    one. Again with the same number and URL: nothing changes."""
    ret = _return(request, rma)
    return_issue_label(
        ret, tracking_number=payload.tracking_number, carrier=payload.carrier, label_url=payload.label_url
    )
    return serialise(_return(request, rma))


@router.get("/{rma}/label.pdf", summary="The printable 4×6 return label (PDF)")
def label_pdf(request: StoreRequest, rma: str) -> HttpResponse:
    """404 problem until the label is issued (approval issues it)."""
    ret = _return(request, rma)
    try:
        pdf = selectors.return_label_pdf(ret)
    except selectors.LabelNotIssued as missing:
        raise Problem(404, "No label yet", str(missing), kind="return-no-label") from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-{ret.rma}.pdf"'
    return response


@router.get("/{rma}/qr.svg", summary="The box-free drop-off QR code (SVG)")
def qr_svg(request: StoreRequest, rma: str) -> HttpResponse:
    """404 problem for returns without a drop-off code (not box-free, or not approved yet)."""
    return _qr(request, rma, "svg", "image/svg+xml")


@router.get("/{rma}/qr.png", summary="The box-free drop-off QR code (PNG)")
def qr_png(request: StoreRequest, rma: str) -> HttpResponse:
    return _qr(request, rma, "png", "image/png")


def _qr(request: StoreRequest, rma: str, fmt: str, content_type: str) -> HttpResponse:
    ret = _return(request, rma)
    try:
        body = selectors.return_dropoff_qr(ret, fmt)
    except selectors.LabelNotIssued as missing:
        raise Problem(404, "No drop-off code", str(missing), kind="return-no-label") from None
    return HttpResponse(body, content_type=content_type)


@router.post(
    "/{rma}/in-transit",
    response=ReturnOut,
    summary="Record the carrier's first scan of the return",
    openapi_extra=refuses(409, 422),
)
def in_transit(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.MARK_IN_TRANSIT, payload)


@router.post(
    "/{rma}/receive",
    response=ReturnOut,
    summary="Record that the items arrived",
    openapi_extra=refuses(409, 422),
)
def receive(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.MARK_RECEIVED, payload)


@router.post(
    "/{rma}/inspect",
    response=ReturnOut,
    summary="Record the inspection: accept all, part or reject",
    openapi_extra=refuses(409, 422),
)
def inspect(request: StoreRequest, rma: str, payload: InspectIn) -> dict[str, Any]:
    """``accept_part`` needs ``accepted_lines``; ``reject`` needs a ``reason``. Amounts are
    recomputed over the accepted lines."""
    if payload.photos:
        payload.details = {**payload.details, "photos": payload.photos}
    return _transition(
        request,
        rma,
        ReturnEvent.INSPECT,
        payload,
        inspection=payload.result,
        accepted_lines=payload.accepted_lines,
    )


@router.post(
    "/{rma}/resolve",
    response=ReturnOut,
    summary="Record the refund, credit or exchange order issued",
    openapi_extra=refuses(409, 422),
)
def resolve(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.RESOLVE, payload)


@router.post(
    "/{rma}/cancel",
    response=ReturnOut,
    summary="Cancel a return before the items are sent",
    openapi_extra=refuses(409, 422),
)
def cancel(request: StoreRequest, rma: str, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, rma, ReturnEvent.CANCEL, payload)
