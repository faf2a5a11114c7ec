"""Fold an order's facts into its state.

The state is a pure function of the *set* of facts: they are de-duplicated by idempotency key and
folded in one total order (:attr:`Fact.sort_key`), so arrival order and duplicates never matter.
Rules that make late or contradictory reports harmless live here and nowhere else:

* a shipment that is delivered stays delivered (a later "in transit" scan is kept in the timeline,
  never as the status);
* a line does not move back through the warehouse flow (a late "picking" after "packed"), except
  out of ``on_hold`` / ``unavailable``, which a restock or release legitimately ends;
* a cancelled order stays cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aftercart.domain.facts import Fact, FactKind, normalise_tracking_number
from aftercart.domain.vocabulary import (
    FULFILMENT_PROGRESS,
    CarrierTag,
    FulfilmentStatus,
    Stage,
    Subtag,
    aftership_status,
)


@dataclass(slots=True)
class Checkpoint:
    """One carrier scan, as the timeline shows it."""

    occurred_at: datetime
    tag: CarrierTag
    subtag: Subtag
    raw_code: str = ""
    raw_message: str = ""
    location: str = ""


@dataclass(slots=True)
class Pickup:
    """A parcel or line waiting at a store or pickup point."""

    location_name: str = ""
    address: str = ""
    hours: str = ""
    ready_at: datetime | None = None
    deadline: datetime | None = None
    collected_at: datetime | None = None


@dataclass(slots=True)
class LineState:
    """One order line and where it is."""

    line_id: str
    sku: str = ""
    title: str = ""
    variant: str = ""
    product_id: str = ""
    quantity: int = 1
    unit_price: Decimal | None = None
    status: FulfilmentStatus = FulfilmentStatus.PLACED
    status_at: datetime | None = None
    unavailable_quantity: int = 0
    shipped_quantity: int = 0
    location: str = ""
    pickup: Pickup | None = None

    @property
    def open_quantity(self) -> int:
        """Units neither shipped, unavailable nor cancelled: what is still to be prepared."""
        if self.status in (FulfilmentStatus.CANCELLED, FulfilmentStatus.PICKED_UP):
            return 0
        return max(self.quantity - self.shipped_quantity - self.unavailable_quantity, 0)


@dataclass(slots=True)
class ShipmentState:
    """One parcel and what its carrier last said about it."""

    key: str
    shipment_id: str = ""
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    lines: dict[str, int] = field(default_factory=dict)
    tag: CarrierTag = CarrierTag.PENDING
    subtag: Subtag = Subtag.PENDING
    raw_code: str = ""
    raw_message: str = ""
    status_at: datetime | None = None
    created_at: datetime | None = None
    first_scan_at: datetime | None = None
    delivered_at: datetime | None = None
    estimated_delivery: date | None = None
    first_estimated_delivery: date | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    pickup: Pickup | None = None

    @property
    def is_delivered(self) -> bool:
        """Delivered, or collected from a pickup point."""
        return self.tag is CarrierTag.DELIVERED


@dataclass(slots=True)
class OrderState:
    """Everything Aftercart knows about one order, derived from its facts."""

    order_ref: str
    number: str = ""
    placed_at: datetime | None = None
    email: str = ""
    phone: str = ""
    postal_code: str = ""
    country: str = ""
    customer_name: str = ""
    locale: str = ""
    timezone: str = ""
    currency: str = ""
    total: Decimal | None = None
    lines: dict[str, LineState] = field(default_factory=dict)
    shipments: dict[str, ShipmentState] = field(default_factory=dict)
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    last_event_at: datetime | None = None
    fact_count: int = 0
    stage: Stage = Stage.CONFIRMATION

    @property
    def active_lines(self) -> list[LineState]:
        """Lines the customer is still waiting for or has received (not cancelled)."""
        return [ln for ln in self.lines.values() if ln.status is not FulfilmentStatus.CANCELLED]

    @property
    def unshipped_lines(self) -> list[LineState]:
        """Lines with units still to be prepared."""
        return [ln for ln in self.lines.values() if ln.open_quantity > 0]

    @property
    def unavailable_lines(self) -> list[LineState]:
        """Lines the merchant cannot supply (in whole or in part)."""
        return [
            ln
            for ln in self.lines.values()
            if ln.unavailable_quantity > 0 and ln.status is not FulfilmentStatus.CANCELLED
        ]

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict, for the stored cache and the API."""
        return _jsonable(asdict(self))


def project(facts: Iterable[Fact], order_ref: str = "") -> OrderState:
    """Fold the facts of one order into its state. Order and duplicates of the input do not matter."""
    unique = {f.idempotency_key: f for f in facts}
    ordered = sorted(unique.values(), key=lambda f: f.sort_key)
    state = OrderState(order_ref=order_ref or next((f.order_ref for f in ordered if f.order_ref), ""))
    shipment_keys = _shipment_index(ordered)
    for fact in ordered:
        _apply(state, fact, shipment_keys)
        state.fact_count += 1
        if state.last_event_at is None or fact.occurred_at > state.last_event_at:
            state.last_event_at = fact.occurred_at
    _attribute_shipped_quantities(state)
    state.stage = derive_stage(state)
    return state


def _shipment_index(facts: list[Fact]) -> dict[str, str]:
    """tracking number → shipment key, from every ``shipment.created`` in the set.

    Built before folding so that a carrier scan stamped earlier than the shipment record (labels
    are often scanned before the OMS reports the shipment) lands on the same parcel.
    """
    index: dict[str, str] = {}
    for fact in facts:
        if fact.kind is FactKind.SHIPMENT_CREATED:
            number = normalise_tracking_number(fact.payload.get("tracking_number"))
            shipment_id = str(fact.payload.get("shipment_id") or "")
            if number and shipment_id:
                index[number] = shipment_id
    return index


def _shipment_for(state: OrderState, fact: Fact, index: Mapping[str, str]) -> ShipmentState:
    payload = fact.payload
    number = normalise_tracking_number(payload.get("tracking_number") or fact.tracking_number)
    key = str(payload.get("shipment_id") or "") or (index.get(number, "") if number else "")
    key = key or f"trk:{number}"
    shipment = state.shipments.get(key)
    if shipment is None:
        shipment = state.shipments[key] = ShipmentState(key=key)
    if number and not shipment.tracking_number:
        shipment.tracking_number = number
    if payload.get("carrier") and not shipment.carrier:
        shipment.carrier = str(payload["carrier"])
    return shipment


def _apply(state: OrderState, fact: Fact, index: Mapping[str, str]) -> None:
    p = fact.payload
    kind = fact.kind
    if kind in (FactKind.ORDER_PLACED, FactKind.ORDER_UPDATED):
        _apply_order_fields(state, p, fact)
    elif kind is FactKind.ORDER_CANCELLED:
        if state.cancelled_at is None:
            state.cancelled_at = fact.occurred_at
            state.cancel_reason = str(p.get("reason") or "")
        for line in state.lines.values():
            if line.shipped_quantity == 0 and line.status is not FulfilmentStatus.PICKED_UP:
                line.status = FulfilmentStatus.CANCELLED
    elif kind is FactKind.LINE_STATUS:
        _apply_line_status(state, p, fact)
    elif kind is FactKind.SHIPMENT_CREATED:
        shipment = _shipment_for(state, fact, index)
        shipment.shipment_id = str(p.get("shipment_id") or shipment.shipment_id)
        shipment.service = str(p.get("service") or shipment.service)
        shipment.tracking_url = str(p.get("tracking_url") or shipment.tracking_url)
        if shipment.created_at is None:
            shipment.created_at = fact.occurred_at
        for item in p.get("lines") or ():
            shipment.lines[str(item["line_id"])] = int(item.get("quantity") or 1)
        _attribute_shipped_quantities(state)
        estimate = _as_date(p.get("estimated_delivery"))
        if estimate:
            shipment.estimated_delivery = estimate
            shipment.first_estimated_delivery = shipment.first_estimated_delivery or estimate
    elif kind is FactKind.TRACKING_EVENT:
        _apply_tracking(_shipment_for(state, fact, index), p, fact)
    elif kind is FactKind.PICKUP_READY:
        _apply_pickup_ready(state, p, fact, index)
    elif kind is FactKind.PICKUP_COLLECTED:
        _apply_pickup_collected(state, p, fact, index)


def _apply_order_fields(state: OrderState, p: Mapping[str, Any], fact: Fact) -> None:
    if fact.kind is FactKind.ORDER_PLACED and state.placed_at is None:
        state.placed_at = fact.occurred_at
    for name in (
        "number",
        "email",
        "phone",
        "postal_code",
        "country",
        "customer_name",
        "locale",
        "timezone",
        "currency",
    ):
        if p.get(name):
            setattr(state, name, str(p[name]))
    if p.get("total") is not None:
        state.total = _as_decimal(p["total"])
    for item in p.get("lines") or ():
        line_id = str(item["line_id"])
        line = state.lines.get(line_id) or LineState(line_id=line_id)
        state.lines[line_id] = line
        for name in ("sku", "title", "variant", "product_id"):
            if item.get(name):
                setattr(line, name, str(item[name]))
        if item.get("quantity") is not None:
            line.quantity = int(item["quantity"])
        if item.get("unit_price") is not None:
            line.unit_price = _as_decimal(item["unit_price"])


def _apply_line_status(state: OrderState, p: Mapping[str, Any], fact: Fact) -> None:
    line_id = str(p["line_id"])
    line = state.lines.get(line_id)
    if line is None:
        line = state.lines[line_id] = LineState(line_id=line_id)
    new = FulfilmentStatus(p["status"])
    if line.status is FulfilmentStatus.CANCELLED:
        return
    leaving_pause = line.status in (FulfilmentStatus.ON_HOLD, FulfilmentStatus.UNAVAILABLE)
    if FULFILMENT_PROGRESS[new] < FULFILMENT_PROGRESS[line.status] and not leaving_pause:
        return
    line.status = new
    line.status_at = fact.occurred_at
    if p.get("location"):
        line.location = str(p["location"])
    if new is FulfilmentStatus.UNAVAILABLE:
        line.unavailable_quantity = min(int(p.get("quantity") or line.quantity), line.quantity)
    elif new is not FulfilmentStatus.CANCELLED:
        line.unavailable_quantity = 0


def _apply_tracking(shipment: ShipmentState, p: Mapping[str, Any], fact: Fact) -> None:
    tag, subtag = aftership_status(p.get("tag"), p.get("subtag"))
    checkpoint = Checkpoint(
        occurred_at=fact.occurred_at,
        tag=tag,
        subtag=subtag,
        raw_code=str(p.get("raw_code") or ""),
        raw_message=str(p.get("raw_message") or ""),
        location=str(p.get("location") or ""),
    )
    shipment.checkpoints.append(checkpoint)
    estimate = _as_date(p.get("estimated_delivery"))
    if estimate and not shipment.is_delivered:
        shipment.estimated_delivery = estimate
        shipment.first_estimated_delivery = shipment.first_estimated_delivery or estimate
    if tag in (CarrierTag.PENDING, CarrierTag.EXPIRED) and shipment.status_at is not None:
        return  # "no information yet" never overwrites information
    if tag not in (CarrierTag.PENDING, CarrierTag.INFO_RECEIVED, CarrierTag.EXPIRED):
        shipment.first_scan_at = shipment.first_scan_at or fact.occurred_at
    if shipment.is_delivered:
        return
    shipment.tag, shipment.subtag = tag, subtag
    shipment.raw_code, shipment.raw_message = checkpoint.raw_code, checkpoint.raw_message
    shipment.status_at = fact.occurred_at
    if tag is CarrierTag.DELIVERED:
        shipment.delivered_at = fact.occurred_at
        if shipment.pickup and shipment.pickup.collected_at is None:
            shipment.pickup.collected_at = fact.occurred_at


def _pickup_from(p: Mapping[str, Any], fact: Fact) -> Pickup:
    location = p.get("location") or {}
    return Pickup(
        location_name=str(location.get("name") or ""),
        address=str(location.get("address") or ""),
        hours=str(location.get("hours") or ""),
        ready_at=fact.occurred_at,
        deadline=_as_datetime(p.get("deadline")),
    )


def _apply_pickup_ready(
    state: OrderState, p: Mapping[str, Any], fact: Fact, index: Mapping[str, str]
) -> None:
    if p.get("shipment_id") or p.get("tracking_number") or fact.tracking_number:
        shipment = _shipment_for(state, fact, index)
        shipment.pickup = _pickup_from(p, fact)
        if not shipment.is_delivered:
            shipment.tag, shipment.subtag = CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP
            shipment.status_at = fact.occurred_at
        return
    for item in p.get("lines") or ():
        line = state.lines.setdefault(str(item["line_id"]), LineState(line_id=str(item["line_id"])))
        if line.status in (FulfilmentStatus.CANCELLED, FulfilmentStatus.PICKED_UP):
            continue
        line.pickup = _pickup_from(p, fact)
        line.status, line.status_at = FulfilmentStatus.READY_FOR_PICKUP, fact.occurred_at


def _apply_pickup_collected(
    state: OrderState, p: Mapping[str, Any], fact: Fact, index: Mapping[str, str]
) -> None:
    if p.get("shipment_id") or p.get("tracking_number") or fact.tracking_number:
        shipment = _shipment_for(state, fact, index)
        shipment.pickup = shipment.pickup or Pickup()
        shipment.pickup.collected_at = fact.occurred_at
        if not shipment.is_delivered:
            shipment.tag, shipment.subtag = CarrierTag.DELIVERED, Subtag.DELIVERED_PICKED_UP
            shipment.status_at = shipment.delivered_at = fact.occurred_at
        return
    for item in p.get("lines") or ():
        line = state.lines.setdefault(str(item["line_id"]), LineState(line_id=str(item["line_id"])))
        if line.status is FulfilmentStatus.CANCELLED:
            continue
        line.pickup = line.pickup or Pickup()
        line.pickup.collected_at = fact.occurred_at
        line.status, line.status_at = FulfilmentStatus.PICKED_UP, fact.occurred_at


def _attribute_shipped_quantities(state: OrderState) -> None:
    """Each line's shipped quantity is what its shipments carry (never more than ordered).

    Recomputed from scratch, so a shipment reported twice (create, then update) counts once.
    """
    for line in state.lines.values():
        line.shipped_quantity = 0
    for shipment in state.shipments.values():
        for line_id, quantity in shipment.lines.items():
            line = state.lines.get(line_id)
            if line is None:
                line = state.lines[line_id] = LineState(line_id=line_id, quantity=quantity)
            line.shipped_quantity = min(line.shipped_quantity + quantity, line.quantity)


def derive_stage(state: OrderState) -> Stage:
    """The order's stage: the branch that needs attention first, else how far it has come."""
    if state.cancelled_at is not None and not state.shipments:
        return Stage.CANCELLED
    shipments = list(state.shipments.values())
    if any(s.tag is CarrierTag.EXCEPTION for s in shipments) or state.unavailable_lines:
        return Stage.EXCEPTION
    waiting_pickup = any(
        s.pickup and s.pickup.collected_at is None and not s.is_delivered for s in shipments
    ) or any(ln.status is FulfilmentStatus.READY_FOR_PICKUP for ln in state.lines.values())
    if waiting_pickup:
        return Stage.PICKUP
    undelivered = [s for s in shipments if not s.is_delivered]
    if any(s.tag in (CarrierTag.OUT_FOR_DELIVERY, CarrierTag.ATTEMPT_FAIL) for s in undelivered):
        return Stage.DELIVERY
    if undelivered:
        return Stage.IN_TRANSIT
    if state.cancelled_at is not None and not state.unshipped_lines:
        return Stage.CANCELLED if not shipments else Stage.POST_DELIVERY
    if shipments and not state.unshipped_lines:
        return Stage.POST_DELIVERY
    if any(ln.status is FulfilmentStatus.PICKED_UP for ln in state.lines.values()) and not (
        state.unshipped_lines
    ):
        return Stage.POST_DELIVERY
    if shipments or any(
        FULFILMENT_PROGRESS[ln.status] >= FULFILMENT_PROGRESS[FulfilmentStatus.ALLOCATED]
        for ln in state.active_lines
    ):
        return Stage.FULFILMENT
    return Stage.CONFIRMATION


def _as_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def _as_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
