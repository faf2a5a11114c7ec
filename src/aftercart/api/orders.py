"""Orders: create, update, cancel, read with the next step, and the fact timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from ninja import Field, Query, Router, Schema, Status

from aftercart.api.openapi import refuses
from aftercart.api.problems import Problem
from aftercart.domain.facts import CustomerChoice
from aftercart.domain.next_step import NextStep, StepCode
from aftercart.domain.options import ChoiceRefused, Refusal
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import Stage
from aftercart.integrations.canonical.schemas import (
    Moment,
    OrderCancelledIn,
    OrderIn,
    OrderUpdateIn,
    event_fact,
    order_placed_fact,
    order_updated_fact,
)
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step
from aftercart.notifications import links
from aftercart.orders import selectors
from aftercart.orders.cancel import OrderDelivered, order_cancel
from aftercart.orders.customer_choices import customer_choice_record, order_options
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.orders.windows import delivery_window, promise_json, window_json
from aftercart.stores.http import StoreRequest

router = Router(tags=["orders"])


class OrderOut(Schema):
    id: str
    order_id: str
    number: str
    stage: str
    placed_at: datetime | None
    email: str
    currency: str
    total: str | None
    next_step: dict[str, Any]
    lines: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    cancelled_at: datetime | None
    #: What the customer may choose now (the same offers the tracking page shows).
    options: list[dict[str, Any]] = []
    #: The earliest–latest delivery window learned from the store's history (null until it has
    #: enough deliveries, and once delivered): ``earliest``, ``latest``, ``stage``, ``share``,
    #: ``explanation``.
    delivery_window: dict[str, Any] | None = None
    #: The window promised at confirmation, kept as made (null when none was made).
    promise: dict[str, Any] | None = None
    #: The customer's signed tracking page, as in the store's e-mails.
    tracking_url: str = ""
    #: The order-confirmation widget for the store's thank-you page (docs/widget.md): put it in
    #: the snippet's ``data-aftercart-widget`` and ``<noscript><iframe src>``.
    widget_url: str = ""


class ChoiceIn(Schema):
    """A customer's answer, given through a store agent. ``subject`` is an offer's ``subject`` from
    ``GET /orders/{order_id}`` (``line:<id>``, a shipment id, or "" for the whole order)."""

    subject: str = Field("", max_length=200)
    choice: CustomerChoice


class OrderSummaryOut(Schema):
    id: str
    order_id: str
    number: str
    stage: str
    next_step: str
    placed_at: datetime | None
    last_event_at: datetime | None


class CancelIn(Schema):
    # Every field optional: a body that is not an object is refused for every endpoint at once
    # (aftercart.api.v1.ObjectParser), not taken as "no fields given".
    reason: str = ""
    cancelled_at: Moment | None = None


class FactOut(Schema):
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    payload: dict[str, Any]


def serialise(order: Order, state: OrderState, step: NextStep) -> dict[str, Any]:
    """The API's order shape (also used by other touchpoints that want JSON)."""
    data = state.to_json()
    shipments = []
    for s in data["shipments"].values():
        s = dict(s)
        s.pop("key", None)
        shipments.append(s)
    return {
        "id": order.public_id,
        "order_id": order.external_id,
        "number": state.number,
        "stage": state.stage.value,
        "placed_at": state.placed_at,
        "email": state.email,
        "currency": state.currency,
        "total": data["total"],
        "next_step": _step_json(step, state),
        "lines": list(data["lines"].values()),
        "shipments": shipments,
        "cancelled_at": state.cancelled_at,
    }


def _step_json(step: NextStep, state: OrderState) -> dict[str, Any]:
    """The next step with the same wording the customer sees (in English: the API's language);
    ``params`` stay raw (ISO dates, carrier slugs) for programs."""
    data = step.to_json()
    with translation.override("en"):
        data["headline"], data["detail"] = render_next_step(step, customer_zone(state))
    return data


def _order_or_404(request: StoreRequest, order_id: str) -> Order:
    order = selectors.order_by_external_id(request.store, order_id)
    if order is None:
        raise Problem(404, "Order not found", f"No order with order_id {order_id!r} in this store.")
    return order


def _read(request: StoreRequest, order_id: str) -> dict[str, Any]:
    order = _order_or_404(request, order_id)
    now = timezone.now()
    state, step = selectors.order_view(order, now)
    data = serialise(order, state, step)
    data["options"] = [offer.to_json() for offer in order_options(order=order, state=state, now=now)]
    data["delivery_window"] = window_json(delivery_window(order, state, now))
    data["promise"] = promise_json(order)
    data["tracking_url"] = links.tracking_url(order)
    data["widget_url"] = links.widget_url(order, request.store.slug)
    return data


@router.post("", response={201: OrderOut, 200: OrderOut}, summary="Create an order")
def create_order(request: StoreRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    """Record that an order was placed. Posting the same order again changes nothing (200)."""
    result = facts_record(store=request.store, facts=[order_placed_fact(payload)])
    return Status(201 if result.accepted else 200, _read(request, payload.order_id))


@router.get("", response=list[OrderSummaryOut], summary="List orders")
def list_orders(
    request: StoreRequest,
    stage: Stage | None = None,
    next_step: StepCode | None = None,
    limit: int = Query(50, ge=1, le=500),
    after: str | None = None,
) -> list[dict[str, Any]]:
    """Newest first; filter by ``stage`` or ``next_step``; page with ``after`` = the last ``id``."""
    qs = Order.objects.filter(store=request.store).order_by("-public_id")
    if stage:
        qs = qs.filter(stage=stage.value)
    if next_step:
        # The code cached when the order's facts last changed (a sweep refreshes time-based ones).
        qs = qs.filter(next_step=next_step.value)
    if after:
        qs = qs.filter(public_id__lt=after)
    return [
        {
            "id": o.public_id,
            "order_id": o.external_id,
            "number": o.number,
            "stage": o.stage,
            "next_step": o.next_step,
            "placed_at": o.placed_at,
            "last_event_at": o.last_event_at,
        }
        for o in qs[:limit]
    ]


@router.get("/{order_id}", response=OrderOut, summary="Get an order with its next step")
def get_order(request: StoreRequest, order_id: str) -> dict[str, Any]:
    """The order's current state (projected from its facts) and the one next step."""
    return _read(request, order_id)


@router.patch("/{order_id}", response=OrderOut, summary="Update an order")
def update_order(request: StoreRequest, order_id: str, payload: OrderUpdateIn) -> dict[str, Any]:
    """Record changed order fields (address, lines, contact)."""
    _order_or_404(request, order_id)
    facts_record(store=request.store, facts=[order_updated_fact(order_id, payload)])
    return _read(request, order_id)


@router.post("/{order_id}/cancel", response=OrderOut, summary="Cancel an order", openapi_extra=refuses(409))
def cancel_order(request: StoreRequest, order_id: str, payload: CancelIn) -> dict[str, Any]:
    """Record that the store cancelled the order (again: nothing changes). A delivered order has
    nothing left to cancel: 409, nothing written (checked under the order's lock)."""
    order = _order_or_404(request, order_id)
    event = OrderCancelledIn(
        kind="order.cancelled",
        order_id=order_id,
        reason=payload.reason,
        occurred_at=payload.cancelled_at or timezone.now(),
        idempotency_key=f"order:{order_id}:cancelled",
    )
    order_cancel(store=request.store, order=order, fact=event_fact(event))
    return _read(request, order_id)


def delivered_problem(refused: OrderDelivered) -> Problem:
    """A cancellation of a delivered order: 409 (see :mod:`aftercart.api.v1`)."""
    return Problem(
        409,
        "Order already delivered",
        f"Order {refused.order_id!r} was delivered: there is nothing left to cancel. Start a return instead.",
        kind="order-delivered",
        errors=[{"field": "order_id", "message": "delivered"}],
    )


#: What an agent is told when a choice cannot be recorded (problem+json ``detail``).
REFUSAL_DETAILS = {
    Refusal.NOT_OFFERED: "That choice is not on offer for this subject now; GET the order for its options.",
    Refusal.ALREADY_ANSWERED: "The customer has already answered this; the first answer counts.",
    Refusal.ALREADY_EXTENDED: "The pickup deadline can be extended only once, and it already was.",
    Refusal.ALREADY_SHIPPED: "The order can no longer be cancelled: part of it has already shipped.",
}


def choice_problem(refused: ChoiceRefused) -> Problem:
    """A choice not (or no longer) on offer: 409 with the reason (see :mod:`aftercart.api.v1`)."""
    return Problem(
        409,
        "Choice not available",
        REFUSAL_DETAILS[refused.reason],
        kind=f"choice-{refused.reason.value.replace('_', '-')}",
        errors=[{"field": "choice", "message": refused.reason.value}],
    )


@router.post(
    "/{order_id}/choices",
    response={201: OrderOut, 200: OrderOut},
    summary="Record a customer's choice",
    openapi_extra=refuses(409),
)
def record_choice(request: StoreRequest, order_id: str, payload: ChoiceIn) -> Status[dict[str, Any]]:
    """Record the customer's answer to an exception (from the order's ``options``), as a store
    agent would on their behalf: the same check and the same ledger fact as the tracking page.
    A choice not (or no longer) on offer answers 409 with the reason and writes nothing."""
    order = _order_or_404(request, order_id)
    now = timezone.now()
    state = selectors.order_state(order)
    recorded = customer_choice_record(
        order=order,
        state=state,
        subject=payload.subject,
        choice=payload.choice.value,
        source="api",
        now=now,
    )
    return Status(201 if recorded.accepted else 200, _read(request, order_id))


@router.get("/{order_id}/timeline", response=list[FactOut], summary="Every fact of an order")
def order_timeline(request: StoreRequest, order_id: str) -> list[Any]:
    """Every fact recorded for the order, in the order it happened."""
    return selectors.order_timeline(_order_or_404(request, order_id))
