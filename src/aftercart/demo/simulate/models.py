"""A simulated journey as the REST API would receive it: the canonical order and event models, and
the facts they make."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.demo.simulate.journey import Journey, Step
from aftercart.domain.facts import Fact
from aftercart.integrations.canonical.schemas import (
    AddressIn,
    LineIn,
    LineStatusIn,
    OrderCancelledIn,
    OrderIn,
    PickupCollectedIn,
    PickupLocationIn,
    PickupReadyIn,
    ShipmentCreatedIn,
    ShipmentLineIn,
    TrackingEventIn,
    event_fact,
    order_placed_fact,
)


@dataclass
class SimulatedOrder:
    """One simulated order: the order as created, its events up to ``now``, and its scenario."""

    brand: str
    scenario: str
    order: OrderIn
    events: list[Any] = field(default_factory=list)

    def facts(self) -> list[Fact]:
        """The facts the REST API would record for this order and its events."""
        return [order_placed_fact(self.order), *(event_fact(e) for e in self.events)]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def to_models(journey: Journey, seq: int, now: datetime) -> SimulatedOrder:
    brand, rng = journey.brand, journey.rng
    order_id = f"{brand.slug}-{seq:05d}"
    first, last = rng.choice(brand.first_names), rng.choice(brand.last_names)
    subtotal = sum((Decimal(ln["unit_price"]) * ln["quantity"] for ln in journey.lines), Decimal(0))
    shipping = Decimal(0) if subtotal >= brand.free_shipping_over else brand.shipping_fee
    phone = (
        f"+1 {rng.randint(201, 989)} 555 01{rng.randint(0, 99):02d}"  # 555-01xx: reserved for fiction
        if brand.country == "US"
        else f"+33 6 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"  # ARCEP's fiction range
    )
    order = OrderIn(
        order_id=order_id,
        number=f"#{brand.number_prefix}{1000 + seq}",
        placed_at=journey.placed,
        email=f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(brand.email_domains)}",
        phone=phone,
        postal_code=journey.city.postal_code,
        country=journey.city.country,
        customer_name=f"{first} {last}",
        # A made-up street (derived from the order, so the seeded shops stay the same): what a
        # prepaid return label is bought from.
        shipping_address=AddressIn(
            name=f"{first} {last}",
            street1=f"{10 + seq % 190} {'Market Street' if brand.country == 'US' else 'rue de la République'}",
            city=journey.city.name,
            state=journey.city.region if brand.country == "US" else "",
            zip=journey.city.postal_code,
            country=journey.city.country,
        ),
        locale=brand.locale,
        timezone=journey.city.timezone,
        currency=brand.currency,
        total=subtotal + shipping,
        lines=[LineIn(**ln) for ln in journey.lines],
    )
    steps = sorted((s for s in journey.steps if s.at <= now), key=lambda s: (s.at, s.label))
    events = [_event(order_id, step) for step in steps]
    return SimulatedOrder(brand=brand.slug, scenario=journey.scenario, order=order, events=events)


def _event(order_id: str, step: Step) -> Any:
    """The canonical API model for one simulated step."""
    common = {"occurred_at": step.at, "idempotency_key": f"demo:{order_id}:{step.label}"}
    data = dict(step.data)
    if step.kind == "line.status":
        return LineStatusIn(kind="line.status", order_id=order_id, **common, **data)
    if step.kind == "shipment.created":
        shipment_id = f"{order_id}-P{data.pop('parcel')}"
        lines = [ShipmentLineIn(**ln) for ln in data.pop("lines")]
        return ShipmentCreatedIn(
            kind="shipment.created", order_id=order_id, shipment_id=shipment_id, lines=lines, **common, **data
        )
    if step.kind == "tracking.event":
        # Carriers know the tracking number, not the order: the ledger routes it like a webhook.
        return TrackingEventIn(kind="tracking.event", **common, **data)
    if step.kind == "pickup.ready":
        return PickupReadyIn(
            kind="pickup.ready",
            order_id=order_id,
            lines=[ShipmentLineIn(**ln) for ln in data["lines"]],
            location=PickupLocationIn(**data["location"]),
            deadline=data["deadline"],
            **common,
        )
    if step.kind == "pickup.collected":
        lines = [ShipmentLineIn(**ln) for ln in data["lines"]]
        return PickupCollectedIn(kind="pickup.collected", order_id=order_id, lines=lines, **common)
    if step.kind == "order.cancelled":
        return OrderCancelledIn(kind="order.cancelled", order_id=order_id, **common, **data)
    raise ValueError(f"unknown step kind {step.kind!r}")
