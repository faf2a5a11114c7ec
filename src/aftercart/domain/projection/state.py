"""What Aftercart knows about an order: :class:`OrderState` and its lines, parcels, pickups and
checkpoints, as folded by :mod:`aftercart.domain.projection.fold`, and their JSON form
(:meth:`OrderState.to_json`, for the API and snapshots)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aftercart.domain.facts import CustomerChoice
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Stage, Subtag

#: The order's text fields an ``order.placed`` or ``order.updated`` sets as given (see the fold), and
#: the snapshot restores (with ``cancel_reason``).
ORDER_TEXT_FIELDS: tuple[str, ...] = (
    "number",
    "email",
    "phone",
    "postal_code",
    "country",
    "customer_name",
    "locale",
    "timezone",
    "currency",
)
#: A line's product fields, likewise.
LINE_PRODUCT_FIELDS: tuple[str, ...] = ("sku", "title", "variant", "product_id")


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
    #: How many times the parcel was delivered: more than one when a carrier corrected a delivery
    #: and delivered again (see the fold); the milestones keep each delivery.
    deliveries: int = 0
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
    def fully_delivered(self) -> bool:
        """Everything arrived: no unit left to prepare, and every parcel delivered or collected
        (at least one, or a line collected in store). Nothing is left to cancel."""
        received = bool(self.shipments) or any(
            ln.status is FulfilmentStatus.PICKED_UP for ln in self.lines.values()
        )
        return received and not self.unshipped_lines and all(s.is_delivered for s in self.shipments.values())

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


# --- JSON form (hand-written: see OrderState.to_json) -------------------------------------------


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
        "deliveries": s.deliveries,
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
