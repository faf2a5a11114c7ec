"""The one vocabulary every source is normalised into.

Three layers:

* :class:`FulfilmentStatus` — per order line, as an OMS/WMS/3PL reports it;
* :class:`CarrierTag` plus a subtag — per shipment, modelled on AfterShip's nine tags and their
  subtags, because that is the vocabulary carriers, aggregators and CX teams already share;
* :class:`Stage` — per order, derived by the projection, never reported by a source.

Subtags are written ``<tag>.<reason>`` (``exception.lost``) so a subtag always names its tag, and
each has the AfterShip code it corresponds to, so payloads in either spelling map to the same value.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class FulfilmentStatus(StrEnum):
    """Where one order line is in the merchant's fulfilment flow."""

    PLACED = "placed"
    CONFIRMED = "confirmed"
    ALLOCATED = "allocated"
    PICKING = "picking"
    PACKED = "packed"
    READY_TO_SHIP = "ready_to_ship"
    HANDED_TO_CARRIER = "handed_to_carrier"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    UNAVAILABLE = "unavailable"
    CANCELLED = "cancelled"
    ON_HOLD = "on_hold"


#: Forward order of the warehouse flow; used to ignore a late "picking" after "packed".
FULFILMENT_PROGRESS = {
    FulfilmentStatus.PLACED: 0,
    FulfilmentStatus.CONFIRMED: 1,
    FulfilmentStatus.ON_HOLD: 1,
    FulfilmentStatus.ALLOCATED: 2,
    FulfilmentStatus.UNAVAILABLE: 2,
    FulfilmentStatus.PICKING: 3,
    FulfilmentStatus.PACKED: 4,
    FulfilmentStatus.READY_TO_SHIP: 5,
    FulfilmentStatus.READY_FOR_PICKUP: 6,
    FulfilmentStatus.HANDED_TO_CARRIER: 7,
    FulfilmentStatus.PICKED_UP: 8,
    FulfilmentStatus.CANCELLED: 9,
}


class CarrierTag(StrEnum):
    """A shipment's status as the carrier reports it (AfterShip's tags, snake_case)."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPT_FAIL = "attempt_fail"
    DELIVERED = "delivered"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    EXCEPTION = "exception"
    EXPIRED = "expired"


#: AfterShip's CamelCase spelling of each tag, as it appears in its payloads.
AFTERSHIP_TAGS: dict[str, CarrierTag] = {
    "Pending": CarrierTag.PENDING,
    "InfoReceived": CarrierTag.INFO_RECEIVED,
    "InTransit": CarrierTag.IN_TRANSIT,
    "OutForDelivery": CarrierTag.OUT_FOR_DELIVERY,
    "AttemptFail": CarrierTag.ATTEMPT_FAIL,
    "Delivered": CarrierTag.DELIVERED,
    "AvailableForPickup": CarrierTag.AVAILABLE_FOR_PICKUP,
    "Exception": CarrierTag.EXCEPTION,
    "Expired": CarrierTag.EXPIRED,
}


class Subtag(StrEnum):
    """Why a shipment has its tag. The part before the dot is always the tag."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    IN_TRANSIT_ACCEPTED = "in_transit.accepted"
    IN_TRANSIT_ARRIVAL_SCAN = "in_transit.arrival_scan"
    IN_TRANSIT_AT_DESTINATION_COUNTRY = "in_transit.at_destination_country"
    IN_TRANSIT_CUSTOMS_CLEARED = "in_transit.customs_cleared"
    IN_TRANSIT_CUSTOMS_STARTED = "in_transit.customs_started"
    IN_TRANSIT_DEPARTURE_SCAN = "in_transit.departure_scan"
    IN_TRANSIT_PROBLEM_RESOLVED = "in_transit.problem_resolved"
    IN_TRANSIT_FORWARDED = "in_transit.forwarded"
    OUT_FOR_DELIVERY = "out_for_delivery"
    OUT_FOR_DELIVERY_CUSTOMER_CONTACTED = "out_for_delivery.customer_contacted"
    OUT_FOR_DELIVERY_APPOINTMENT = "out_for_delivery.appointment_scheduled"
    ATTEMPT_FAIL = "attempt_fail"
    ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE = "attempt_fail.addressee_unavailable"
    ATTEMPT_FAIL_BUSINESS_CLOSED = "attempt_fail.business_closed"
    ATTEMPT_FAIL_PICKUP_AT_CARRIER = "attempt_fail.pickup_at_carrier"
    DELIVERED = "delivered"
    DELIVERED_PICKED_UP = "delivered.picked_up"
    DELIVERED_SIGNED = "delivered.signed"
    DELIVERED_CASH_ON_DELIVERY = "delivered.cash_on_delivery"
    DELIVERED_NEIGHBOUR = "delivered.neighbour"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    EXCEPTION = "exception"
    EXCEPTION_CUSTOMER_MOVED = "exception.customer_moved"
    EXCEPTION_REFUSED = "exception.refused"
    EXCEPTION_CUSTOMS = "exception.customs"
    EXCEPTION_DELAYED = "exception.delayed"
    EXCEPTION_HELD_FOR_PAYMENT = "exception.held_for_payment"
    EXCEPTION_INCORRECT_ADDRESS = "exception.incorrect_address"
    EXCEPTION_MISSED_PICKUP = "exception.missed_pickup"
    EXCEPTION_REJECTED_BY_CARRIER = "exception.rejected_by_carrier"
    EXCEPTION_RETURN_TO_SENDER = "exception.return_to_sender"
    EXCEPTION_RETURNED_TO_SENDER = "exception.returned_to_sender"
    EXCEPTION_DAMAGED = "exception.damaged"
    EXCEPTION_LOST = "exception.lost"
    EXPIRED = "expired"

    @property
    def tag(self) -> CarrierTag:
        """The tag this subtag belongs to."""
        return CarrierTag(self.value.split(".", 1)[0])


#: AfterShip subtag codes (``Exception_013``) → our subtags.
AFTERSHIP_SUBTAGS: dict[str, Subtag] = {
    "Pending_001": Subtag.PENDING,
    "Pending_002": Subtag.PENDING,
    "Pending_003": Subtag.PENDING,
    "Pending_004": Subtag.PENDING,
    "Pending_005": Subtag.PENDING,
    "Pending_006": Subtag.PENDING,
    "InfoReceived_001": Subtag.INFO_RECEIVED,
    "InTransit_001": Subtag.IN_TRANSIT,
    "InTransit_002": Subtag.IN_TRANSIT_ACCEPTED,
    "InTransit_003": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "InTransit_004": Subtag.IN_TRANSIT_AT_DESTINATION_COUNTRY,
    "InTransit_005": Subtag.IN_TRANSIT_CUSTOMS_CLEARED,
    "InTransit_006": Subtag.IN_TRANSIT_CUSTOMS_STARTED,
    "InTransit_007": Subtag.IN_TRANSIT_DEPARTURE_SCAN,
    "InTransit_008": Subtag.IN_TRANSIT_PROBLEM_RESOLVED,
    "InTransit_009": Subtag.IN_TRANSIT_FORWARDED,
    "OutForDelivery_001": Subtag.OUT_FOR_DELIVERY,
    "OutForDelivery_003": Subtag.OUT_FOR_DELIVERY_CUSTOMER_CONTACTED,
    "OutForDelivery_004": Subtag.OUT_FOR_DELIVERY_APPOINTMENT,
    "AttemptFail_001": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,
    "AttemptFail_002": Subtag.ATTEMPT_FAIL_BUSINESS_CLOSED,
    "AttemptFail_003": Subtag.ATTEMPT_FAIL_PICKUP_AT_CARRIER,
    "Delivered_001": Subtag.DELIVERED,
    "Delivered_002": Subtag.DELIVERED_PICKED_UP,
    "Delivered_003": Subtag.DELIVERED_SIGNED,
    "Delivered_004": Subtag.DELIVERED_CASH_ON_DELIVERY,
    "Delivered_005": Subtag.DELIVERED_NEIGHBOUR,
    "AvailableForPickup_001": Subtag.AVAILABLE_FOR_PICKUP,
    "Exception_001": Subtag.EXCEPTION,
    "Exception_002": Subtag.EXCEPTION_CUSTOMER_MOVED,
    "Exception_003": Subtag.EXCEPTION_REFUSED,
    "Exception_004": Subtag.EXCEPTION_CUSTOMS,
    "Exception_005": Subtag.EXCEPTION_DELAYED,
    "Exception_006": Subtag.EXCEPTION_HELD_FOR_PAYMENT,
    "Exception_007": Subtag.EXCEPTION_INCORRECT_ADDRESS,
    "Exception_008": Subtag.EXCEPTION_MISSED_PICKUP,
    "Exception_009": Subtag.EXCEPTION_REJECTED_BY_CARRIER,
    "Exception_010": Subtag.EXCEPTION_RETURN_TO_SENDER,
    "Exception_011": Subtag.EXCEPTION_RETURNED_TO_SENDER,
    "Exception_012": Subtag.EXCEPTION_DAMAGED,
    "Exception_013": Subtag.EXCEPTION_LOST,
    "Expired_001": Subtag.EXPIRED,
}


def default_subtag(tag: CarrierTag) -> Subtag:
    """The plain subtag of a tag, used when a source gives no reason."""
    return Subtag(tag.value)


# Cached: every carrier event is mapped when it is parsed and again each time it is folded, and
# the values come from a small vocabulary (bounded all the same: a feed could send anything).
@lru_cache(maxsize=4096)
def aftership_status(tag: str | None, subtag: str | None) -> tuple[CarrierTag, Subtag]:
    """Map AfterShip's ``tag``/``subtag`` (either spelling) into ours.

    Unknown values fall back to the tag's plain subtag, and an unknown tag to ``pending``: a status
    we cannot read must never be shown as progress.
    """
    our_tag = AFTERSHIP_TAGS.get(tag or "") or _enum_or_none(CarrierTag, tag) or CarrierTag.PENDING
    our_subtag = AFTERSHIP_SUBTAGS.get(subtag or "") or _enum_or_none(Subtag, subtag)
    if our_subtag is None or our_subtag.tag is not our_tag:
        our_subtag = default_subtag(our_tag)
    return our_tag, our_subtag


def _enum_or_none(enum: type[E], value: str | None) -> E | None:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


class Stage(StrEnum):
    """Where an order is in its journey, derived from its facts."""

    CONFIRMATION = "confirmation"
    FULFILMENT = "fulfilment"
    IN_TRANSIT = "in_transit"
    DELIVERY = "delivery"
    POST_DELIVERY = "post_delivery"
    PICKUP = "pickup"
    EXCEPTION = "exception"
    RETURNS = "returns"
    CANCELLED = "cancelled"
