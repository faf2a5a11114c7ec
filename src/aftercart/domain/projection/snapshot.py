"""Snapshots of an order's state, to fold later facts onto: :func:`to_snapshot` and
:func:`from_snapshot`, hand-written (the ledger writes and reads thousands a second). A field added
to the state must be added here, to :meth:`OrderState.to_json` and (or deliberately not) to the
ledger's cached columns: ``tests/unit/test_state_fields.py`` fails until it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aftercart.domain.projection.state import ORDER_TEXT_FIELDS, LineState, OrderState, Pickup, ShipmentState
from aftercart.domain.projection.values import _as_date, _as_datetime, _as_decimal
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Stage, Subtag

#: The order's text fields a snapshot restores as they are.
_TEXT_FIELDS = (*ORDER_TEXT_FIELDS, "cancel_reason")


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
    for name in _TEXT_FIELDS:
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
            # Snapshots from before re-deliveries were counted: a delivered parcel was delivered once.
            deliveries=int(sh.get("deliveries") or (1 if sh.get("tag") == "delivered" else 0)),
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
