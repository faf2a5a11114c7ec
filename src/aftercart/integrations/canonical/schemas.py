"""The canonical JSON Aftercart accepts over its REST API, and how it becomes facts.

These models are the public contract for integrators (they appear in the OpenAPI document), so
field names are plain, documented and stable. Validation errors name the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from aftercart.domain.carriers import carrier_slug
from aftercart.domain.facts import Fact, FactKind, content_key, normalise_tracking_number, to_utc
from aftercart.domain.vocabulary import AFTERSHIP_TAGS, CarrierTag, FulfilmentStatus, aftership_status

#: What pydantic would read as seconds since 1970 (see ``_no_number``).
_NUMERIC = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

#: An id: stripped like every string here, so it must hold a non-blank character (the document
#: says so with the pattern: " " is refused, and a schema saying only minLength 1 would promise it).
Ref = Annotated[str, Field(min_length=1, max_length=128, pattern=r"\S")]

#: An amount: at most 10 digits before the point and 4 after. pydantic's own schema for a Decimal
#: says neither (any number, any digit string), so the document promised amounts the server refuses.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=4),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,4})?$"},
                {"type": "number", "minimum": 0, "maximum": 9999999999, "multipleOf": 0.0001},
            ],
            "description": "An amount, at most 10 digits before the point and 4 after: a string "
            '("19.90") keeps it exact.',
        }
    ),
]


def _no_number(value: Any) -> Any:
    """pydantic reads a number (or a string of digits) as seconds since 1970: the document says an
    ISO 8601 date-time, and a number sent for one is a mistake to answer, not a moment to guess."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMERIC.fullmatch(value)):
        raise ValueError("an ISO 8601 date-time such as 2026-03-02T15:00:00Z, not a number")
    return value


def _representable_in_utc(value: datetime) -> datetime:
    """The value as sent (keys hash what was sent), once we know UTC can hold it: the ledger stores
    UTC, and ``9999-12-31T23:59:59-05:00`` is in year 10000 there (a ``ValueError`` by the field)."""
    to_utc(value)
    return value


#: A moment from outside: any ISO 8601 spelling pydantic reads, refused by its field when it has no
#: UTC representation (the ends of the calendar with an offset).
Moment = Annotated[datetime, BeforeValidator(_no_number), AfterValidator(_representable_in_utc)]


#: A calendar day, ISO 8601 (pydantic would also read a number as seconds since 1970).
Day = Annotated[date, BeforeValidator(_no_number)]


#: ``_email``'s rule in the document: empty, or an "@" with something on both sides once stripped.
EMAIL_PATTERN = r"^\s*$|^\s*[^@\s][\s\S]*@[\s\S]*[^@\s]\s*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LineIn(_Strict):
    """One order line."""

    line_id: Ref
    sku: str = Field("", max_length=128)
    title: str = Field("", max_length=300)
    variant: str = Field("", max_length=200)
    product_id: str = Field("", max_length=128)
    quantity: int = Field(1, ge=1, le=100_000)
    unit_price: Money | None = None
    category: str = Field(
        "",
        max_length=100,
        description="The product's category: picks the store's care instructions for the packing slip "
        "and the returns policy's per-category rules.",
    )


class LineUpdateIn(_Strict):
    """Changed fields of one order line; fields left out keep their value."""

    line_id: Ref
    sku: str | None = Field(None, max_length=128)
    title: str | None = Field(None, max_length=300)
    variant: str | None = Field(None, max_length=200)
    product_id: str | None = Field(None, max_length=128)
    quantity: int | None = Field(None, ge=1, le=100_000)
    unit_price: Money | None = None


class AddressIn(_Strict):
    """A postal address (EasyPost's field names): where a prepaid return label is bought from."""

    name: str = Field("", max_length=200)
    company: str = Field("", max_length=200)
    street1: str = Field("", max_length=200)
    street2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=100)
    zip: str = Field("", max_length=32)
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2.")
    phone: str = Field("", max_length=32)


class OrderIn(_Strict):
    """An order as the store knows it. ``order_id`` is the store's own id."""

    order_id: Ref
    number: str = Field("", max_length=64, description='What the customer sees, e.g. "#1001".')
    placed_at: Moment
    email: str = Field("", max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})
    phone: str = Field("", max_length=32)
    postal_code: str = Field("", max_length=32)
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2.")
    customer_name: str = Field("", max_length=200)
    shipping_address: AddressIn | None = Field(
        None, description="Where the order went: a prepaid return label is bought from there."
    )
    locale: str = Field("", max_length=16)
    timezone: str = Field("", max_length=64)
    currency: str = Field("", max_length=3, description="ISO 4217.")
    total: Money | None = None
    sms_consent: StrictBool = Field(
        False,
        description="The customer explicitly agreed to text messages about this order. "
        "Without it Aftercart sends no SMS.",
    )
    lines: list[LineIn] = Field(default_factory=list, max_length=1000)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError("not an e-mail address")
        return value.lower()


class OrderUpdateIn(_Strict):
    """Changed fields of an order; lines are merged by ``line_id``."""

    updated_at: Moment
    number: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})
    phone: str | None = Field(None, max_length=32)
    postal_code: str | None = Field(None, max_length=32)
    country: str | None = Field(None, max_length=2)
    customer_name: str | None = Field(None, max_length=200)
    shipping_address: AddressIn | None = Field(
        None,
        description="The whole address (it replaces the one before): a corrected address for a "
        "prepaid return label still to buy.",
    )
    locale: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)
    total: Money | None = None
    sms_consent: StrictBool | None = Field(
        None, description="false withdraws the consent given with the order."
    )
    lines: list[LineUpdateIn] | None = Field(None, max_length=1000)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else OrderIn._email(value)


class _EventBase(_Strict):
    occurred_at: Moment
    idempotency_key: str | None = Field(
        None,
        # The ledger's key is "api:" + this, in a 200-character column: 200 here was a 500 on
        # PostgreSQL (SQLite does not enforce the length).
        max_length=196,
        description="Your id for this event. Sending the same key again is a harmless duplicate. "
        "Defaults to a hash of the event's content.",
    )


class LineStatusIn(_EventBase):
    """A fulfilment update for one order line (from an OMS, WMS or 3PL)."""

    kind: Literal["line.status"]
    order_id: Ref
    line_id: Ref
    status: FulfilmentStatus
    quantity: int | None = Field(None, ge=1, le=100_000)
    location: str = Field("", max_length=200)
    reason: str = Field("", max_length=500)
    #: With ``unavailable``: what the store offers instead (its title), offered to the customer.
    #: ``None`` (left out of the fact) when there is none, so existing events keep their keys.
    substitute: str | None = Field(None, max_length=200)


class ShipmentLineIn(_Strict):
    line_id: Ref
    quantity: int = Field(1, ge=1, le=100_000)


class ShipmentCreatedIn(_EventBase):
    """A parcel left (or is about to leave) the warehouse."""

    kind: Literal["shipment.created"]
    order_id: Ref
    shipment_id: Ref
    carrier: str = Field(..., min_length=1, max_length=64)
    service: str = Field("", max_length=64)
    tracking_number: str = Field("", max_length=64)
    tracking_url: str = Field("", max_length=500)
    lines: list[ShipmentLineIn] = Field(default_factory=list, max_length=1000)
    estimated_delivery: Day | None = None


#: Every tag a tracking event may carry: ours and AfterShip's (the document lists them).
TAGS: list[JsonValue] = [*sorted({*AFTERSHIP_TAGS, *(t.value for t in CarrierTag)})]


class TrackingEventIn(_EventBase):
    """A carrier checkpoint. ``tag`` is ours (``in_transit``) or AfterShip's (``InTransit``)."""

    kind: Literal["tracking.event"]
    # Something besides white space (as Python splits it: tracking numbers are compared without
    # it), so a number that normalises to nothing is refused by the document, not by a 500.
    tracking_number: str = Field(..., min_length=1, max_length=64, pattern=r"[^\s\u001c-\u001f]")
    carrier: str = Field("", max_length=64)
    order_id: str | None = Field(None, max_length=128)
    shipment_id: str | None = Field(None, max_length=128)
    tag: str = Field(..., json_schema_extra={"enum": TAGS})
    subtag: str | None = Field(None, max_length=48)
    raw_code: str = Field("", max_length=64)
    raw_message: str = Field("", max_length=500)
    location: str = Field("", max_length=200)
    estimated_delivery: Day | None = None

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if value not in AFTERSHIP_TAGS and value not in CarrierTag.__members__.values():
            allowed = ", ".join(t.value for t in CarrierTag)
            raise ValueError(f"unknown tag; use one of: {allowed}")
        return value


class PickupLocationIn(_Strict):
    name: str = Field("", max_length=200)
    address: str = Field("", max_length=500)
    hours: str = Field("", max_length=200)


class PickupReadyIn(_EventBase):
    """A parcel (``shipment_id``) or lines (``lines``) are ready to collect."""

    # The rule of ``_what``, in the document: one of the two must be there.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["shipment_id"],
                    "properties": {"shipment_id": {"type": "string", "pattern": r"\S"}},
                },
                {"required": ["lines"], "properties": {"lines": {"type": "array", "minItems": 1}}},
            ]
        }
    )

    kind: Literal["pickup.ready"]
    order_id: Ref
    shipment_id: str | None = Field(None, max_length=128)
    lines: list[ShipmentLineIn] = Field(default_factory=list)
    location: PickupLocationIn
    deadline: Moment | None = None

    @model_validator(mode="after")
    def _what(self) -> PickupReadyIn:
        if not self.shipment_id and not self.lines:
            raise ValueError("give shipment_id or lines")
        return self


class PickupCollectedIn(_EventBase):
    """The customer collected a pickup."""

    kind: Literal["pickup.collected"]
    order_id: Ref
    shipment_id: str | None = Field(None, max_length=128)
    lines: list[ShipmentLineIn] = Field(default_factory=list)


class OrderCancelledIn(_EventBase):
    """The store cancelled the order."""

    kind: Literal["order.cancelled"]
    order_id: Ref
    reason: str = Field("", max_length=500)


EventIn = Annotated[
    LineStatusIn | ShipmentCreatedIn | TrackingEventIn | PickupReadyIn | PickupCollectedIn | OrderCancelledIn,
    Field(discriminator="kind"),
]


class EventBatchIn(_Strict):
    """Up to 1,000 events in one request; kept all or none."""

    events: list[EventIn] = Field(..., min_length=1)


# --- to facts ------------------------------------------------------------------------------------

SOURCE = "api"


def order_placed_fact(order: OrderIn) -> Fact:
    """``order.placed`` from a created order."""
    payload = order.model_dump(mode="json", exclude={"order_id", "placed_at"}, exclude_defaults=True)
    return Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=to_utc(order.placed_at),
        idempotency_key=f"api:order:{order.order_id}:placed",
        source=SOURCE,
        order_ref=order.order_id,
        payload=payload,
    )


def order_updated_fact(order_id: str, update: OrderUpdateIn) -> Fact:
    """``order.updated`` with only the fields sent."""
    payload = update.model_dump(mode="json", exclude={"updated_at"}, exclude_none=True)
    return Fact(
        kind=FactKind.ORDER_UPDATED,
        occurred_at=to_utc(update.updated_at),
        idempotency_key=f"api:order:{order_id}:updated:" + content_key(payload, update.updated_at),
        source=SOURCE,
        order_ref=order_id,
        payload=payload,
    )


def event_fact(event: Any) -> Fact:
    """The fact for one canonical event."""
    data = event.model_dump(
        mode="json", exclude={"kind", "occurred_at", "idempotency_key"}, exclude_none=True
    )
    order_ref = data.pop("order_id", None) or None
    tracking = None
    if isinstance(event, TrackingEventIn):
        tag, subtag = aftership_status(event.tag, event.subtag)
        data["tag"], data["subtag"] = tag.value, subtag.value
        data["carrier"] = carrier_slug(event.carrier)
        tracking = normalise_tracking_number(event.tracking_number)
    elif isinstance(event, ShipmentCreatedIn):
        data["carrier"] = carrier_slug(event.carrier)
        tracking = normalise_tracking_number(event.tracking_number)
    key = "api:" + (event.idempotency_key or content_key(event.kind, order_ref, data, event.occurred_at))
    return Fact(
        kind=FactKind(event.kind),
        occurred_at=to_utc(event.occurred_at),
        idempotency_key=key,
        source=SOURCE,
        order_ref=order_ref,
        tracking_number=tracking,
        payload=data,
    )
