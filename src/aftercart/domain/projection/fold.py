"""Fold an order's facts into its state (:class:`~aftercart.domain.projection.state.OrderState`).

The state is a pure function of the *set* of facts: they are de-duplicated by idempotency key and
folded in one total order (:attr:`Fact.sort_key`), so arrival order and duplicates never matter.
Rules that make late or contradictory reports harmless live here and nowhere else:

* the latest trustworthy carrier statement is a parcel's status, and "delivered" is no exception:
  a delivery the carrier later corrects (misdelivered, an addressing error, out for delivery again,
  a failed attempt, held for pickup: :data:`REOPENS_DELIVERY`) is reopened, and the next delivery
  is counted as another one (:attr:`ShipmentState.deliveries`). A later bare "in transit",
  "pending" or "expired" after a delivery is kept in the timeline, never as the status: carriers
  send stray scans after delivery that do not mean the customer lost the parcel;
* at one instant, a carrier's note on an event (``annotation``: "signature image recorded") never
  replaces the event it annotates as the status;
* a line does not move back through the warehouse flow (a late "picking" after "packed"), except
  out of ``on_hold`` / ``unavailable``, which a restock or release legitimately ends;
* a cancelled order stays cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aftercart.domain.facts import CustomerChoice, Fact, FactKind, normalise_tracking_number
from aftercart.domain.projection.state import (
    LINE_PRODUCT_FIELDS,
    ORDER_TEXT_FIELDS,
    Checkpoint,
    LineState,
    OrderState,
    Pickup,
    ShipmentState,
)
from aftercart.domain.projection.values import _as_date, _as_datetime, _as_decimal
from aftercart.domain.vocabulary import (
    FULFILMENT_PROGRESS,
    CarrierTag,
    FulfilmentStatus,
    Stage,
    Subtag,
    aftership_status,
)

#: Carrier statements that a delivered parcel is in the carrier's hands again: the delivery was a
#: mistake (a real Canada Post history: delivered to the wrong address, "customer addressing error
#: found", out for delivery again, delivered two days later). Only affirmative statements about the
#: parcel count; see the module docstring for what does not.
REOPENS_DELIVERY = frozenset(
    {
        CarrierTag.EXCEPTION,
        CarrierTag.OUT_FOR_DELIVERY,
        CarrierTag.ATTEMPT_FAIL,
        CarrierTag.AVAILABLE_FOR_PICKUP,
    }
)


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
    for name in ORDER_TEXT_FIELDS:
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
        for name in LINE_PRODUCT_FIELDS:
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
    # "Expired" is the tracker giving up, not a scan: it must not make a silent parcel look recent.
    scan = tag is not CarrierTag.EXPIRED
    if scan and (shipment.last_checkpoint_at is None or fact.occurred_at > shipment.last_checkpoint_at):
        shipment.last_checkpoint_at = fact.occurred_at
    if tag.value not in shipment.tags_seen:
        shipment.tags_seen.append(tag.value)
    # A pickup notice after a missed delivery ("attempted") is a failed attempt too: the customer
    # is told the attempt failed before being told where to collect.
    if tag is CarrierTag.ATTEMPT_FAIL or p.get("attempted") is True:
        shipment.failed_attempts += 1
    if tag is CarrierTag.EXCEPTION and subtag.value not in shipment.exception_subtags:
        shipment.exception_subtags.append(subtag.value)
    estimate = _as_date(p.get("estimated_delivery"))
    if estimate and not shipment.is_delivered:
        shipment.estimated_delivery = estimate
        shipment.first_estimated_delivery = shipment.first_estimated_delivery or estimate
    if tag is CarrierTag.PENDING and shipment.status_at is not None:
        return  # "no information yet" never overwrites information
    if tag is CarrierTag.EXPIRED and shipment.status_at is not None and fact.occurred_at < shipment.status_at:
        return  # the tracker gave up before a later scan: that scan is the news
    if tag not in (CarrierTag.PENDING, CarrierTag.INFO_RECEIVED, CarrierTag.EXPIRED):
        shipment.first_scan_at = shipment.first_scan_at or fact.occurred_at
    same_instant = fact.occurred_at == shipment.status_at
    if same_instant and p.get("annotation") is True:
        return  # a note on the event of this instant, not news: that event stays the status
    if shipment.is_delivered:
        if tag is CarrierTag.DELIVERED and same_instant:
            # The same delivery in the carrier's own words (its line beats a note at that instant).
            shipment.subtag, shipment.raw_code, shipment.raw_message = subtag, raw_code, raw_message
            return
        if tag not in REOPENS_DELIVERY:
            return
    _set_status(shipment, tag, subtag, fact.occurred_at)
    shipment.raw_code, shipment.raw_message = raw_code, raw_message


def _set_status(shipment: ShipmentState, tag: CarrierTag, subtag: Subtag, at: datetime) -> None:
    """Make ``tag``/``subtag`` the parcel's status at ``at``: entering "delivered" counts one more
    delivery and dates it; leaving it (a correction) clears the date, the count keeps the history."""
    was_delivered = shipment.is_delivered
    shipment.tag, shipment.subtag = tag, subtag
    shipment.status_at = at
    if tag is CarrierTag.DELIVERED and not was_delivered:
        shipment.delivered_at = at
        shipment.deliveries += 1
        if shipment.pickup and shipment.pickup.collected_at is None:
            shipment.pickup.collected_at = at
    elif tag is not CarrierTag.DELIVERED:
        shipment.delivered_at = None


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
            _set_status(shipment, CarrierTag.DELIVERED, Subtag.DELIVERED_PICKED_UP, fact.occurred_at)
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
