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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aftercart.domain.facts import CustomerChoice, Fact, FactKind, normalise_tracking_number
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
    #: The deadline before the customer extended it (once), or ``None`` if never extended.
    extended_from: datetime | None = None
    #: The customer asked for it to be delivered instead: nobody is coming to collect it.
    delivery_requested: bool = False

    @property
    def awaiting_collection(self) -> bool:
        """Still waiting for the customer to come: not collected, not switched to delivery."""
        return self.collected_at is None and not self.delivery_requested


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
    #: The customer's answer to the line being unavailable (a :class:`CustomerChoice` value), or "".
    customer_choice: str = ""
    #: What the store offers instead of an unavailable line (its title), or "" when it offers none.
    substitute: str = ""

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
    # Summaries of the checkpoints, so that decisions never need the whole timeline (snapshots
    # leave it out to stay small; see :func:`to_snapshot`).
    tags_seen: list[str] = field(default_factory=list)
    exception_subtags: list[str] = field(default_factory=list)
    failed_attempts: int = 0
    checkpoint_count: int = 0
    last_checkpoint_at: datetime | None = None

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
    #: The customer ticked "text me about this order" (or the store's SMS consent) when ordering:
    #: without it no SMS is sent (see :mod:`aftercart.domain.messaging`). Withdrawn by a later
    #: ``order.updated`` carrying ``sms_consent: false``.
    sms_consent: bool = False
    lines: dict[str, LineState] = field(default_factory=dict)
    shipments: dict[str, ShipmentState] = field(default_factory=dict)
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    last_event_at: datetime | None = None
    fact_count: int = 0
    stage: Stage = Stage.CONFIRMATION
    #: The customer's answer to the whole order being late (keep waiting or cancel), or "".
    customer_choice: str = ""
    #: The sort key of the last fact folded in: later facts can be folded onto this state as is.
    last_sort_key: tuple[datetime, int, str] | None = None

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
        """Lines the merchant cannot supply (in whole or in part) and the customer has not yet
        answered (wait, refund or substitute): the ones that still need the customer."""
        return [
            ln
            for ln in self.lines.values()
            if ln.unavailable_quantity > 0
            and ln.status is not FulfilmentStatus.CANCELLED
            and not ln.customer_choice
        ]

    @property
    def awaited_lines(self) -> list[LineState]:
        """Unavailable lines the customer chose to wait for (or to take the substitute of): still
        to come, once restocked or replaced."""
        return [
            ln
            for ln in self.lines.values()
            if ln.unavailable_quantity > 0
            and ln.status is not FulfilmentStatus.CANCELLED
            and ln.customer_choice in (CustomerChoice.WAIT, CustomerChoice.SUBSTITUTE)
        ]

    def to_json(self, checkpoints: bool = True, times: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """A JSON-safe dict, for the API and snapshots.

        Written out by hand: ``dataclasses.asdict`` deep-copies every value and was the largest
        cost of ingest. ``times`` turns each date and time into JSON (default: ISO 8601 text).
        """
        t = times or _iso
        return {
            "order_ref": self.order_ref,
            "number": self.number,
            "placed_at": t(self.placed_at),
            "email": self.email,
            "phone": self.phone,
            "postal_code": self.postal_code,
            "country": self.country,
            "customer_name": self.customer_name,
            "locale": self.locale,
            "timezone": self.timezone,
            "currency": self.currency,
            "total": None if self.total is None else str(self.total),
            "sms_consent": self.sms_consent,
            "lines": {k: _line_json(v, t) for k, v in self.lines.items()},
            "shipments": {k: _shipment_json(v, checkpoints, t) for k, v in self.shipments.items()},
            "cancelled_at": t(self.cancelled_at),
            "cancel_reason": self.cancel_reason,
            "last_event_at": t(self.last_event_at),
            "fact_count": self.fact_count,
            "stage": self.stage.value,
            "customer_choice": self.customer_choice,
            "last_sort_key": None
            if self.last_sort_key is None
            else [t(self.last_sort_key[0]), self.last_sort_key[1], self.last_sort_key[2]],
        }


def project(
    facts: Iterable[Fact],
    order_ref: str = "",
    base: OrderState | None = None,
    *,
    checkpoints: bool = True,
) -> OrderState:
    """Fold the facts of one order into its state. Order and duplicates of the input do not matter.

    With ``base``, fold onto that earlier state instead of from nothing; the caller guarantees
    every fact sorts after ``base.last_sort_key`` (see :func:`can_extend`), which makes the result
    the same as folding everything from scratch (checkpoint list aside: snapshots omit it).
    ``checkpoints=False`` leaves the parcels' checkpoint lists alone (the ledger's projection
    stores and decides from the per-parcel summaries; only timelines show the list).
    """
    unique = {f.idempotency_key: f for f in facts}
    ordered = sorted(unique.values(), key=lambda f: f.sort_key)
    if base is not None:
        state = base
    else:
        first_ref = next((f.order_ref for f in ordered if f.order_ref), "")
        state = OrderState(order_ref=order_ref or first_ref or "")
    for fact in ordered:
        _apply(state, fact, checkpoints)
        state.fact_count += 1
        state.last_sort_key = fact.sort_key
        if state.last_event_at is None or fact.occurred_at > state.last_event_at:
            state.last_event_at = fact.occurred_at
    _attribute_shipped_quantities(state)
    state.stage = derive_stage(state)
    return state


def can_extend(base: OrderState, facts: Iterable[Fact]) -> bool:
    """Whether ``facts`` can be folded onto ``base``: all of them sort after what it has seen."""
    if base.last_sort_key is None:
        return False
    return all(f.sort_key > base.last_sort_key for f in facts)


def _shipment_for(state: OrderState, fact: Fact) -> ShipmentState:
    """The shipment a fact is about, by shipment id or tracking number.

    A carrier scan can arrive before the shipment record (labels are scanned before the OMS says
    it shipped): it starts a parcel keyed by tracking number, which the shipment record later
    renames to its id, so both orders of arrival end in the same state.
    """
    payload = fact.payload
    number = normalise_tracking_number(payload.get("tracking_number") or fact.tracking_number)
    shipment_id = str(payload.get("shipment_id") or "")
    if not shipment_id and number:
        shipment_id = next((k for k, s in state.shipments.items() if s.tracking_number == number), "")
    key = shipment_id or f"trk:{number}"
    shipment = state.shipments.get(key)
    if shipment is None and number and f"trk:{number}" in state.shipments and shipment_id:
        shipment = state.shipments.pop(f"trk:{number}")
        shipment.key = key
        state.shipments[key] = shipment
    if shipment is None:
        shipment = state.shipments[key] = ShipmentState(key=key)
    if number and not shipment.tracking_number:
        shipment.tracking_number = number
    if payload.get("carrier") and not shipment.carrier:
        shipment.carrier = str(payload["carrier"])
    return shipment


def _apply(state: OrderState, fact: Fact, checkpoints: bool = True) -> None:
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
        shipment = _shipment_for(state, fact)
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
        _apply_tracking(_shipment_for(state, fact), p, fact, checkpoints)
    elif kind is FactKind.PICKUP_READY:
        _apply_pickup_ready(state, p, fact)
    elif kind is FactKind.PICKUP_COLLECTED:
        _apply_pickup_collected(state, p, fact)
    elif kind is FactKind.CUSTOMER_CHOICE:
        _apply_customer_choice(state, p, fact)


_LINE_ANSWERS = (CustomerChoice.WAIT, CustomerChoice.REFUND, CustomerChoice.SUBSTITUTE)
_PICKUP_ANSWERS = (CustomerChoice.EXTEND_PICKUP, CustomerChoice.SWITCH_TO_DELIVERY)


def _apply_customer_choice(state: OrderState, p: Mapping[str, Any], fact: Fact) -> None:
    """Fold a customer's answer. What was valid is decided when it is recorded
    (:mod:`aftercart.domain.options`); here only rules that keep late or repeated answers
    harmless: the first answer for an unavailable line or for the whole order counts, a pickup is
    extended at most once and never after it was collected or switched to delivery, and a cancel
    holds only while nothing has shipped. An answer about something unknown changes nothing (it
    stays in the ledger)."""
    try:
        choice = CustomerChoice(str(p.get("choice") or ""))
    except ValueError:
        return
    if choice in _LINE_ANSWERS:
        line = state.lines.get(str(p.get("line_id") or ""))
        if line is not None and not line.customer_choice:
            line.customer_choice = choice.value
    elif choice in _PICKUP_ANSWERS:
        pickup = _pickup_for_choice(state, p)
        if pickup is None or not pickup.awaiting_collection:
            return
        if choice is CustomerChoice.SWITCH_TO_DELIVERY:
            pickup.delivery_requested = True
        elif pickup.extended_from is None and pickup.deadline is not None:
            deadline = _as_datetime(p.get("deadline"))
            if deadline is not None and deadline > pickup.deadline:
                pickup.extended_from, pickup.deadline = pickup.deadline, deadline
    elif not state.customer_choice and state.cancelled_at is None:
        if choice is CustomerChoice.CANCEL:
            if state.shipments:
                return  # too late: something left already (the store is told by the webhook)
            state.cancelled_at = fact.occurred_at
            state.cancel_reason = "cancelled by the customer: order late"
            for line in state.lines.values():
                if line.status is not FulfilmentStatus.PICKED_UP:
                    line.status = FulfilmentStatus.CANCELLED
        state.customer_choice = choice.value


def _pickup_for_choice(state: OrderState, p: Mapping[str, Any]) -> Pickup | None:
    if p.get("line_id"):
        line = state.lines.get(str(p["line_id"]))
        return line.pickup if line is not None and line.status is FulfilmentStatus.READY_FOR_PICKUP else None
    shipment = state.shipments.get(str(p.get("shipment_id") or ""))
    return shipment.pickup if shipment is not None and not shipment.is_delivered else None


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
    if p.get("sms_consent") is not None:
        state.sms_consent = p["sms_consent"] is True
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
        line.substitute = str(p.get("substitute") or "")[:200]
    elif new is not FulfilmentStatus.CANCELLED:
        line.unavailable_quantity = 0


def _apply_tracking(shipment: ShipmentState, p: Mapping[str, Any], fact: Fact, checkpoints: bool) -> None:
    tag, subtag = aftership_status(p.get("tag"), p.get("subtag"))
    raw_code, raw_message = str(p.get("raw_code") or ""), str(p.get("raw_message") or "")
    if checkpoints:
        shipment.checkpoints.append(
            Checkpoint(
                occurred_at=fact.occurred_at,
                tag=tag,
                subtag=subtag,
                raw_code=raw_code,
                raw_message=raw_message,
                location=str(p.get("location") or ""),
            )
        )
    shipment.checkpoint_count += 1
    if shipment.last_checkpoint_at is None or fact.occurred_at > shipment.last_checkpoint_at:
        shipment.last_checkpoint_at = fact.occurred_at
    if tag.value not in shipment.tags_seen:
        shipment.tags_seen.append(tag.value)
    if tag is CarrierTag.ATTEMPT_FAIL:
        shipment.failed_attempts += 1
    if tag is CarrierTag.EXCEPTION and subtag.value not in shipment.exception_subtags:
        shipment.exception_subtags.append(subtag.value)
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
    shipment.raw_code, shipment.raw_message = raw_code, raw_message
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


def _apply_pickup_ready(state: OrderState, p: Mapping[str, Any], fact: Fact) -> None:
    if p.get("shipment_id") or p.get("tracking_number") or fact.tracking_number:
        shipment = _shipment_for(state, fact)
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


def _apply_pickup_collected(state: OrderState, p: Mapping[str, Any], fact: Fact) -> None:
    if p.get("shipment_id") or p.get("tracking_number") or fact.tracking_number:
        shipment = _shipment_for(state, fact)
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
    for existing in state.lines.values():
        existing.shipped_quantity = 0
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
        not s.is_delivered
        and (s.pickup.awaiting_collection if s.pickup else s.tag is CarrierTag.AVAILABLE_FOR_PICKUP)
        for s in shipments
    ) or any(
        ln.status is FulfilmentStatus.READY_FOR_PICKUP
        and (ln.pickup is None or ln.pickup.awaiting_collection)
        for ln in state.lines.values()
    )
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


# --- snapshots ------------------------------------------------------------------------------------


def to_snapshot(state: OrderState, *, encoded_later: bool = False) -> dict[str, Any]:
    """A compact JSON-safe copy of the state to fold later facts onto, without the checkpoint list
    (decisions use the per-shipment summaries; the timeline is read from the facts).

    ``encoded_later``: dates and times are left as they are for orjson to write, which writes
    exactly the ISO 8601 text of the default, in C (the ledger writes thousands of snapshots a
    second with it).
    """
    return state.to_json(checkpoints=False, times=_as_is if encoded_later else None)


def _as_is(value: Any) -> Any:
    return value


def from_snapshot(data: Mapping[str, Any]) -> OrderState:
    """The state a snapshot was taken of (its checkpoint lists empty)."""
    state = OrderState(order_ref=data["order_ref"])
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
        "cancel_reason",
    ):
        setattr(state, name, data.get(name) or "")
    state.placed_at = _as_datetime(data.get("placed_at"))
    state.cancelled_at = _as_datetime(data.get("cancelled_at"))
    state.last_event_at = _as_datetime(data.get("last_event_at"))
    state.total = _as_decimal(data["total"]) if data.get("total") is not None else None
    state.sms_consent = data.get("sms_consent") is True
    state.fact_count = int(data.get("fact_count") or 0)
    state.stage = Stage(data.get("stage") or Stage.CONFIRMATION)
    state.customer_choice = data.get("customer_choice") or ""
    key = data.get("last_sort_key")
    if key:
        moment = _as_datetime(key[0])
        if moment is not None:
            state.last_sort_key = (moment, int(key[1]), str(key[2]))
    for line_id, ln in (data.get("lines") or {}).items():
        state.lines[line_id] = LineState(
            line_id=line_id,
            sku=ln.get("sku", ""),
            title=ln.get("title", ""),
            variant=ln.get("variant", ""),
            product_id=ln.get("product_id", ""),
            quantity=int(ln.get("quantity", 1)),
            unit_price=_as_decimal(ln["unit_price"]) if ln.get("unit_price") is not None else None,
            status=FulfilmentStatus(ln.get("status", "placed")),
            status_at=_as_datetime(ln.get("status_at")),
            unavailable_quantity=int(ln.get("unavailable_quantity", 0)),
            shipped_quantity=int(ln.get("shipped_quantity", 0)),
            location=ln.get("location", ""),
            pickup=_pickup_from_json(ln.get("pickup")),
            customer_choice=ln.get("customer_choice", ""),
            substitute=ln.get("substitute", ""),
        )
    for key_, sh in (data.get("shipments") or {}).items():
        state.shipments[key_] = ShipmentState(
            key=key_,
            shipment_id=sh.get("shipment_id", ""),
            carrier=sh.get("carrier", ""),
            service=sh.get("service", ""),
            tracking_number=sh.get("tracking_number", ""),
            tracking_url=sh.get("tracking_url", ""),
            lines={k: int(v) for k, v in (sh.get("lines") or {}).items()},
            tag=CarrierTag(sh.get("tag", "pending")),
            subtag=Subtag(sh.get("subtag", "pending")),
            raw_code=sh.get("raw_code", ""),
            raw_message=sh.get("raw_message", ""),
            status_at=_as_datetime(sh.get("status_at")),
            created_at=_as_datetime(sh.get("created_at")),
            first_scan_at=_as_datetime(sh.get("first_scan_at")),
            delivered_at=_as_datetime(sh.get("delivered_at")),
            estimated_delivery=_as_date(sh.get("estimated_delivery")),
            first_estimated_delivery=_as_date(sh.get("first_estimated_delivery")),
            pickup=_pickup_from_json(sh.get("pickup")),
            tags_seen=list(sh.get("tags_seen") or []),
            exception_subtags=list(sh.get("exception_subtags") or []),
            failed_attempts=int(sh.get("failed_attempts") or 0),
            checkpoint_count=int(sh.get("checkpoint_count") or 0),
            last_checkpoint_at=_as_datetime(sh.get("last_checkpoint_at")),
        )
    return state


def _pickup_from_json(data: Mapping[str, Any] | None) -> Pickup | None:
    if not data:
        return None
    return Pickup(
        location_name=data.get("location_name", ""),
        address=data.get("address", ""),
        hours=data.get("hours", ""),
        ready_at=_as_datetime(data.get("ready_at")),
        deadline=_as_datetime(data.get("deadline")),
        collected_at=_as_datetime(data.get("collected_at")),
        extended_from=_as_datetime(data.get("extended_from")),
        delivery_requested=bool(data.get("delivery_requested")),
    )


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _pickup_json(p: Pickup | None, t: Callable[[Any], Any]) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "location_name": p.location_name,
        "address": p.address,
        "hours": p.hours,
        "ready_at": t(p.ready_at),
        "deadline": t(p.deadline),
        "collected_at": t(p.collected_at),
        "extended_from": t(p.extended_from),
        "delivery_requested": p.delivery_requested,
    }


def _line_json(ln: LineState, t: Callable[[Any], Any]) -> dict[str, Any]:
    return {
        "line_id": ln.line_id,
        "sku": ln.sku,
        "title": ln.title,
        "variant": ln.variant,
        "product_id": ln.product_id,
        "quantity": ln.quantity,
        "unit_price": None if ln.unit_price is None else str(ln.unit_price),
        "status": ln.status.value,
        "status_at": t(ln.status_at),
        "unavailable_quantity": ln.unavailable_quantity,
        "shipped_quantity": ln.shipped_quantity,
        "location": ln.location,
        "pickup": _pickup_json(ln.pickup, t),
        "customer_choice": ln.customer_choice,
        "substitute": ln.substitute,
    }


def _shipment_json(s: ShipmentState, checkpoints: bool, t: Callable[[Any], Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": s.key,
        "shipment_id": s.shipment_id,
        "carrier": s.carrier,
        "service": s.service,
        "tracking_number": s.tracking_number,
        "tracking_url": s.tracking_url,
        "lines": dict(s.lines),
        "tag": s.tag.value,
        "subtag": s.subtag.value,
        "raw_code": s.raw_code,
        "raw_message": s.raw_message,
        "status_at": t(s.status_at),
        "created_at": t(s.created_at),
        "first_scan_at": t(s.first_scan_at),
        "delivered_at": t(s.delivered_at),
        "estimated_delivery": t(s.estimated_delivery),
        "first_estimated_delivery": t(s.first_estimated_delivery),
        "pickup": _pickup_json(s.pickup, t),
        "tags_seen": list(s.tags_seen),
        "exception_subtags": list(s.exception_subtags),
        "failed_attempts": s.failed_attempts,
        "checkpoint_count": s.checkpoint_count,
        "last_checkpoint_at": t(s.last_checkpoint_at),
    }
    if checkpoints:
        data["checkpoints"] = [
            {
                "occurred_at": c.occurred_at.isoformat(),
                "tag": c.tag.value,
                "subtag": c.subtag.value,
                "raw_code": c.raw_code,
                "raw_message": c.raw_message,
                "location": c.location,
            }
            for c in s.checkpoints
        ]
    return data
