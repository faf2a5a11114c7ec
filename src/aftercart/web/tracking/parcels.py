"""The tracking page's shipments and lines: each parcel with its carrier, estimate and timeline,
and the units of each line not (yet) shipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftercart.domain.carriers import carrier_info
from aftercart.domain.facts import CustomerChoice
from aftercart.domain.outbound_urls import safe_url
from aftercart.domain.projection.state import LineState, OrderState, Pickup, ShipmentState
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag
from aftercart.web.tracking.choices import ANSWER_LABELS
from aftercart.web.tracking.step import _title, maps_href

TAG_LABELS = {
    CarrierTag.PENDING: _("Waiting for the carrier"),
    CarrierTag.INFO_RECEIVED: _("Label created"),
    CarrierTag.IN_TRANSIT: _("In transit"),
    CarrierTag.OUT_FOR_DELIVERY: _("Out for delivery"),
    CarrierTag.ATTEMPT_FAIL: _("Delivery attempted"),
    CarrierTag.DELIVERED: _("Delivered"),
    CarrierTag.AVAILABLE_FOR_PICKUP: _("Ready for pickup"),
    CarrierTag.EXCEPTION: _("Problem reported"),
    CarrierTag.EXPIRED: _("No recent updates"),
}

LINE_LABELS = {
    FulfilmentStatus.PLACED: _("Ordered"),
    FulfilmentStatus.CONFIRMED: _("Confirmed"),
    FulfilmentStatus.ALLOCATED: _("Reserved for you"),
    FulfilmentStatus.PICKING: _("Being picked"),
    FulfilmentStatus.PACKED: _("Packed"),
    FulfilmentStatus.READY_TO_SHIP: _("Ready to ship"),
    FulfilmentStatus.HANDED_TO_CARRIER: _("Handed to the carrier"),
    FulfilmentStatus.READY_FOR_PICKUP: _("Ready for pickup"),
    FulfilmentStatus.PICKED_UP: _("Collected"),
    FulfilmentStatus.UNAVAILABLE: _("Unavailable"),
    FulfilmentStatus.CANCELLED: _("Cancelled"),
    FulfilmentStatus.ON_HOLD: _("On hold"),
}


def pickup_view(pickup: Pickup | None) -> dict[str, Any] | None:
    """Where and until when a pickup waits, or ``None``."""
    if pickup is None or not (pickup.location_name or pickup.address):
        return None
    return {
        "name": pickup.location_name,
        "address": pickup.address,
        "hours": pickup.hours,
        "deadline": pickup.deadline,
        "collected_at": pickup.collected_at,
        "maps_href": maps_href(pickup.address) if pickup.address else "",
    }


def shipment_view(
    shipment: ShipmentState, state: OrderState, now: datetime, anchor: str, zone: ZoneInfo
) -> dict[str, Any]:
    """One parcel: carrier, tracking link, estimate, timeline (newest first) and its items.

    Moments carry their machine-readable form (``<time datetime>``) in the customer's zone, written
    here: the template's date filter takes ~3 times as long for the same string."""
    carrier = carrier_info(shipment.carrier)
    # Newest first; ties keep the order they were reported in, reversed with the rest.
    ordered = sorted(enumerate(shipment.checkpoints), key=lambda pair: (pair[1].occurred_at, pair[0]))
    checkpoints = [
        {
            "at": c.occurred_at,
            "at_iso": c.occurred_at.astimezone(zone).isoformat(),
            "label": str(TAG_LABELS.get(c.tag, c.tag.value)),
            "message": c.raw_message,
            "location": c.location,
        }
        for _i, c in reversed(ordered)
    ]
    items = []
    for line_id, quantity in shipment.lines.items():
        line = state.lines.get(line_id)
        items.append(
            {"title": _title(line, line_id), "variant": line.variant if line else "", "quantity": quantity}
        )
    # The same rule as the next step: a carrier date that has passed is not repeated as a promise.
    estimate = shipment.estimated_delivery
    if estimate is not None and (shipment.is_delivered or estimate < now.date()):
        estimate = None
    # A parcel the carrier has lost, damaged or is sending back has no delivery date to show.
    settled = shipment.tag is CarrierTag.EXCEPTION and shipment.subtag is not Subtag.EXCEPTION_DELAYED
    return {
        "anchor": anchor,
        "show_estimate": not settled,
        "carrier": carrier.name or gettext("the carrier"),
        "tracking_number": shipment.tracking_number,
        "tracking_href": safe_url(shipment.tracking_url) or carrier.url_for(shipment.tracking_number),
        "status": str(TAG_LABELS.get(shipment.tag, shipment.tag.value)),
        "tag": shipment.tag.value,
        "delivered_at": shipment.delivered_at,
        "delivered_iso": shipment.delivered_at.astimezone(zone).isoformat() if shipment.delivered_at else "",
        "estimate": estimate,
        "checkpoints": checkpoints,
        "items": items,
        "pickup": pickup_view(shipment.pickup) if not shipment.is_delivered else None,
    }


def line_views(line: LineState) -> list[dict[str, Any]]:
    """An order line's units not (yet) shipped: those still to come and those unavailable, apart."""
    if line.status is FulfilmentStatus.CANCELLED:
        return []
    rows: list[tuple[int, FulfilmentStatus, bool]] = []
    waiting = line.status if line.status is not FulfilmentStatus.UNAVAILABLE else FulfilmentStatus.PLACED
    if line.open_quantity:
        rows.append((line.open_quantity, waiting, False))
    if line.unavailable_quantity:
        rows.append((line.unavailable_quantity, FulfilmentStatus.UNAVAILABLE, True))
    return [
        {
            "title": _title(line, line.line_id),
            "variant": line.variant,
            "quantity": quantity,
            "status": str(LINE_LABELS.get(status, status.value)),
            "unavailable": unavailable,
            "answer": _answer(line) if unavailable else "",
            "pickup": pickup_view(line.pickup) if status is FulfilmentStatus.READY_FOR_PICKUP else None,
        }
        for quantity, status, unavailable in rows
    ]


def _answer(line: LineState) -> str:
    try:
        return str(ANSWER_LABELS[CustomerChoice(line.customer_choice)])
    except ValueError:
        return ""


def _shipment_order(shipment: ShipmentState) -> tuple[datetime, str]:
    moment = shipment.created_at or shipment.first_scan_at or shipment.status_at
    return (moment or datetime.max.replace(tzinfo=ZoneInfo("UTC")), shipment.key)
