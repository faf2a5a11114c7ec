"""How carrier statuses become our (tag, subtag).

Every carrier parser classifies a checkpoint the same way (:func:`classify`):

1. the carrier's own raw event code, from a table in the carrier's module, where we know it;
2. otherwise karrio's status for that code (:data:`KARRIO_STATUS`), read from the carrier
   package's own ``TrackingStatus`` table;
3. otherwise ``in_transit``: a scan we cannot read still says the carrier has the parcel, and a
   guess must never say "delivered".

A plain subtag is then refined by karrio's incident reason for the code (:data:`KARRIO_INCIDENT`)
and by the carrier's own words (:func:`refine_from_text`), so "damaged", "refused" or "left with
neighbour" get their subtags even when the carrier's code is generic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum

from aftercart.domain.vocabulary import CarrierTag, Subtag, default_subtag

Status = tuple[CarrierTag, Subtag]


def _status(subtag: Subtag) -> Status:
    return subtag.tag, subtag


#: karrio ``TrackingStatus`` names (``karrio.core.units.TrackingStatus``) → our tag and subtag.
KARRIO_STATUS: dict[str, Status] = {
    # karrio's "pending" is "label created, shipment data received", AfterShip's InfoReceived.
    "pending": _status(Subtag.INFO_RECEIVED),
    "picked_up": _status(Subtag.IN_TRANSIT_ACCEPTED),
    "in_transit": _status(Subtag.IN_TRANSIT),
    "out_for_delivery": _status(Subtag.OUT_FOR_DELIVERY),
    "delivered": _status(Subtag.DELIVERED),
    "ready_for_pickup": _status(Subtag.AVAILABLE_FOR_PICKUP),
    # karrio uses delivery_failed mostly for attempts (not home, closed); refusals and returns
    # are refined by the incident reason or the message.
    "delivery_failed": _status(Subtag.ATTEMPT_FAIL),
    "delivery_delayed": _status(Subtag.EXCEPTION_DELAYED),
    "on_hold": _status(Subtag.EXCEPTION),
    "return_to_sender": _status(Subtag.EXCEPTION_RETURN_TO_SENDER),
    # AfterShip has no "cancelled" tag; a voided label needs someone's attention, so: exception.
    "cancelled": _status(Subtag.EXCEPTION),
    # karrio says "unknown" for a scan it cannot classify; a scan still means the carrier has it.
    "unknown": _status(Subtag.IN_TRANSIT),
}


def karrio_status(name: str | None) -> Status:
    """Our (tag, subtag) for a karrio ``TrackingStatus`` name; unknown names read as in transit."""
    return KARRIO_STATUS.get(name or "", KARRIO_STATUS["unknown"])


#: karrio ``TrackingIncidentReason`` names (core and per-carrier) → the subtag they explain.
KARRIO_INCIDENT: dict[str, Subtag] = {
    "carrier_damaged_parcel": Subtag.EXCEPTION_DAMAGED,
    "carrier_parcel_lost": Subtag.EXCEPTION_LOST,
    "carrier_sorting_error": Subtag.EXCEPTION_DELAYED,
    "carrier_not_enough_time": Subtag.EXCEPTION_DELAYED,
    "carrier_vehicle_issue": Subtag.EXCEPTION_DELAYED,
    "carrier_capacity_exceeded": Subtag.EXCEPTION_DELAYED,
    "carrier_mechanical_delay": Subtag.EXCEPTION_DELAYED,
    "carrier_address_not_found": Subtag.EXCEPTION_INCORRECT_ADDRESS,
    "retailer_cancelled": Subtag.EXCEPTION,
    "retailer_incorrect_data": Subtag.EXCEPTION,
    "retailer_not_ready": Subtag.EXCEPTION,
    "retailer_incorrect_parcel": Subtag.EXCEPTION,
    "retailer_incorrect_dimensions": Subtag.EXCEPTION,
    "retailer_packaging_issue": Subtag.EXCEPTION,
    "consignee_refused": Subtag.EXCEPTION_REFUSED,
    "consignee_business_closed": Subtag.ATTEMPT_FAIL_BUSINESS_CLOSED,
    "consignee_not_available": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,
    "consignee_not_home": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,
    "consignee_cancelled": Subtag.EXCEPTION,
    "consignee_verification_failed": Subtag.ATTEMPT_FAIL,
    "consignee_incorrect_address": Subtag.EXCEPTION_INCORRECT_ADDRESS,
    "consignee_access_restricted": Subtag.ATTEMPT_FAIL,
    "consignee_safe_place_unavailable": Subtag.ATTEMPT_FAIL,
    "customs_delay": Subtag.EXCEPTION_CUSTOMS,
    "customs_documentation": Subtag.EXCEPTION_CUSTOMS,
    "customs_prohibited": Subtag.EXCEPTION_CUSTOMS,
    "customs_inspection": Subtag.EXCEPTION_CUSTOMS,
    "customs_duties_unpaid": Subtag.EXCEPTION_HELD_FOR_PAYMENT,
    "weather_delay": Subtag.EXCEPTION_DELAYED,
    "natural_disaster": Subtag.EXCEPTION_DELAYED,
    "force_majeure": Subtag.EXCEPTION_DELAYED,
    "parcel_being_researched": Subtag.EXCEPTION,
    "security_issue": Subtag.EXCEPTION,
    "regulatory_hold": Subtag.EXCEPTION,
    "unknown": Subtag.EXCEPTION,
    # Only in some carrier packages:
    "delivery_attempted": Subtag.ATTEMPT_FAIL,  # usps
    "no_access_to_delivery_location": Subtag.ATTEMPT_FAIL,  # usps
    "signature_required": Subtag.ATTEMPT_FAIL,  # usps
    "recipient_moved": Subtag.EXCEPTION_CUSTOMER_MOVED,  # usps
    "delivery_exception_hold": Subtag.EXCEPTION,  # fedex
    "delivery_exception_undeliverable": Subtag.EXCEPTION,  # fedex
    "delivery_address_issue": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # dhl_express
    "delivery_attempt_failed": Subtag.ATTEMPT_FAIL,  # dhl_express
    "shipment_on_hold": Subtag.EXCEPTION,  # dhl_express
}


def karrio_incident(name: str | None) -> Subtag | None:
    """The subtag a karrio ``TrackingIncidentReason`` name explains, if we know it."""
    return KARRIO_INCIDENT.get(name or "")


def enum_member(enum: type[Enum], code: str | None) -> str | None:
    """The name of the karrio enum member whose list of carrier codes holds ``code``.

    karrio's per-carrier ``TrackingStatus`` and ``TrackingIncidentReason`` tables are enums whose
    values are lists of raw codes; this is the lookup karrio's own parsers do.
    """
    if not code:
        return None
    for member in enum:
        values = member.value if isinstance(member.value, list | tuple) else [member.value]
        if code in values:
            return member.name
    return None


# The carrier's own words. Each rule names what it recognises; they are checked in order.
_DELIVERED_RULES: tuple[tuple[re.Pattern[str], Subtag], ...] = (
    (re.compile(r"neighbou?r"), Subtag.DELIVERED_NEIGHBOUR),
    (re.compile(r"picked[ -]?up|collected by"), Subtag.DELIVERED_PICKED_UP),
    (
        re.compile(r"\bsigned\b|signature (image )?(obtained|received|recorded|captured)"),
        Subtag.DELIVERED_SIGNED,
    ),
)
# Strong enough to turn an in-transit scan into an exception.
_PROBLEM_RULES: tuple[tuple[re.Pattern[str], Subtag], ...] = (
    (re.compile(r"damage"), Subtag.EXCEPTION_DAMAGED),
    (re.compile(r"\blost\b|cannot be located"), Subtag.EXCEPTION_LOST),
    (re.compile(r"\brefused\b|\brefusal\b"), Subtag.EXCEPTION_REFUSED),
    (
        re.compile(r"return(ed|ing)? to (the )?(sender|shipper)|being returned|returned to origin"),
        Subtag.EXCEPTION_RETURN_TO_SENDER,
    ),
)
_CUSTOMS_CLEARED = re.compile(
    r"released by (the )?(customs|clearing)|cleared customs|customs clearance (is )?complete"
    r"|clearance processing complete"
)
_OUT_FOR_DELIVERY = re.compile(
    r"out for delivery|with delivery courier|on ([a-z]+ )?vehicle for delivery|loaded on delivery vehicle"
)
_AVAILABLE_FOR_PICKUP = re.compile(
    r"(available|ready) for (recipient |customer )?(pick[ -]?up|collection)|awaiting collection"
)
# Only sharpen a status that is already an exception.
_EXCEPTION_RULES: tuple[tuple[re.Pattern[str], Subtag], ...] = (
    (re.compile(r"\bmoved\b"), Subtag.EXCEPTION_CUSTOMER_MOVED),
    (re.compile(r"address"), Subtag.EXCEPTION_INCORRECT_ADDRESS),
    (re.compile(r"customs|clearance|duty|duties"), Subtag.EXCEPTION_CUSTOMS),
    (re.compile(r"delay|\blate\b"), Subtag.EXCEPTION_DELAYED),
)
_ATTEMPT_RULES: tuple[tuple[re.Pattern[str], Subtag], ...] = (
    (
        re.compile(r"not available|unavailable|not home|no one|nobody|no authori[sz]ed recipient"),
        Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,
    ),
    (re.compile(r"business (was )?closed|closed"), Subtag.ATTEMPT_FAIL_BUSINESS_CLOSED),
)


def _first_match(rules: Iterable[tuple[re.Pattern[str], Subtag]], text: str) -> Subtag | None:
    return next((subtag for pattern, subtag in rules if pattern.search(text)), None)


def refine_from_text(tag: CarrierTag, subtag: Subtag, *texts: str | None) -> Status:
    """Sharpen a plain status with what the carrier's message says.

    Only a plain subtag (no reason yet) is refined, so a carrier code that already named the
    reason wins. Text never makes a parcel "delivered"; it may only say how it was delivered.
    """
    text = " ".join(t for t in texts if t).lower()
    if not text or subtag is not default_subtag(tag):
        return tag, subtag
    if tag is CarrierTag.DELIVERED:
        return tag, _first_match(_DELIVERED_RULES, text) or subtag
    if tag in (CarrierTag.IN_TRANSIT, CarrierTag.EXCEPTION) and _CUSTOMS_CLEARED.search(text):
        # "Released by customs" is progress, even when a carrier files it under exceptions.
        return _status(Subtag.IN_TRANSIT_CUSTOMS_CLEARED)
    if tag in (CarrierTag.IN_TRANSIT, CarrierTag.EXCEPTION) and _AVAILABLE_FOR_PICKUP.search(text):
        # Holds for collection are often filed as in-transit scans or exceptions.
        return _status(Subtag.AVAILABLE_FOR_PICKUP)
    if tag is CarrierTag.IN_TRANSIT and _OUT_FOR_DELIVERY.search(text):
        return _status(Subtag.OUT_FOR_DELIVERY)
    if tag in (CarrierTag.IN_TRANSIT, CarrierTag.EXCEPTION, CarrierTag.ATTEMPT_FAIL):
        problem = _first_match(_PROBLEM_RULES, text)
        if problem:
            return _status(problem)
    if tag is CarrierTag.EXCEPTION:
        return tag, _first_match(_EXCEPTION_RULES, text) or subtag
    if tag is CarrierTag.ATTEMPT_FAIL:
        return tag, _first_match(_ATTEMPT_RULES, text) or subtag
    return tag, subtag


_PROBLEM_TAGS = (CarrierTag.EXCEPTION, CarrierTag.ATTEMPT_FAIL)


def _explain(tag: CarrierTag, subtag: Subtag, reason: Subtag | None) -> Status:
    """Give a plain problem status its reason. A reason only explains a problem: it never turns
    a delivery or an ordinary scan into one."""
    if reason is None or subtag is not default_subtag(tag) or reason is default_subtag(reason.tag):
        return tag, subtag
    if reason.tag is tag or (tag in _PROBLEM_TAGS and reason.tag in _PROBLEM_TAGS):
        return reason.tag, reason
    return tag, subtag


def classify(
    codes: Iterable[str | None],
    table: Mapping[str, Subtag],
    karrio: str | None = None,
    incident: str | None = None,
    texts: Iterable[str | None] = (),
    reason: Subtag | None = None,
) -> Status:
    """Our (tag, subtag) for one checkpoint.

    ``codes`` are the checkpoint's raw codes, most specific first, looked up in the carrier's
    ``table``; ``karrio`` is karrio's ``TrackingStatus`` name for the checkpoint and ``incident``
    its ``TrackingIncidentReason`` name; ``reason`` is a reason the carrier gave in a code of its
    own (FedEx exception codes); ``texts`` are the carrier's words.
    """
    subtag = next((table[c] for c in codes if c and c in table), None)
    if subtag is not None:
        tag = subtag.tag
    elif karrio and karrio != "unknown" and karrio in KARRIO_STATUS:
        tag, subtag = KARRIO_STATUS[karrio]
    else:
        tag, subtag = CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT
    tag, subtag = _explain(tag, subtag, reason)
    tag, subtag = _explain(tag, subtag, karrio_incident(incident))
    return refine_from_text(tag, subtag, *texts)


def signed_for(status: Status, signatory: str | None) -> Status:
    """A delivery with a signatory's name is a signed delivery (unless its reason is known)."""
    tag, subtag = status
    if tag is CarrierTag.DELIVERED and subtag is Subtag.DELIVERED and (signatory or "").strip():
        return tag, Subtag.DELIVERED_SIGNED
    return status
