"""DHL Express XML-PI ``KnownTrackingRequest`` responses (``req:TrackingResponse``).

karrio's own DHL Express parser drops the seconds of each scan and glues the signatory field
(which DHL also fills with weights and times) onto the description; this reader keeps them
apart. karrio's DHL Express tables remain the fallback for codes we do not map.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import karrio.providers.dhl_express.units as karrio_dhl

from aftercart.domain.vocabulary import Subtag
from aftercart.integrations.carriers.common import (
    CarrierError,
    Checkpoint,
    ParsedTracking,
    build_result,
    child,
    child_text,
    failed,
    find_all,
    iso_date,
    join_location,
    load_xml,
    local_to_utc,
    parse_datetime,
    text,
    tracking_number,
)
from aftercart.integrations.carriers.statuses import classify, enum_member, signed_for

SLUG = "dhl_express"

#: DHL Express ``ServiceEvent/EventCode`` → our subtag.
DHL_EXPRESS_EVENT_CODES: dict[str, Subtag] = {
    "SA": Subtag.IN_TRANSIT_ACCEPTED,  # shipment acceptance
    "PU": Subtag.IN_TRANSIT_ACCEPTED,  # shipment picked up
    "PL": Subtag.IN_TRANSIT,  # processed at location (karrio says picked up)
    "RW": Subtag.IN_TRANSIT,  # weight/dimensions re-measured
    "TR": Subtag.IN_TRANSIT,  # record of transfer
    "IT": Subtag.IN_TRANSIT,
    "AF": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # arrived at facility
    "AR": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # arrived at delivery facility
    "CI": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # facility check-in
    "DF": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # departed facility
    "PO": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # departing origin
    "TP": Subtag.IN_TRANSIT_FORWARDED,  # forwarded to a third party
    "IC": Subtag.IN_TRANSIT_CUSTOMS_STARTED,  # in clearance processing
    "CR": Subtag.IN_TRANSIT_CUSTOMS_CLEARED,  # clearance release
    "BR": Subtag.IN_TRANSIT_CUSTOMS_CLEARED,  # broker release
    "WC": Subtag.OUT_FOR_DELIVERY,  # with delivery courier
    "OK": Subtag.DELIVERED,
    "CC": Subtag.AVAILABLE_FOR_PICKUP,  # awaiting collection by consignee
    "NH": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,  # not home
    "CA": Subtag.ATTEMPT_FAIL_BUSINESS_CLOSED,  # closed on arrival
    "BA": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # bad address
    "CM": Subtag.EXCEPTION_CUSTOMER_MOVED,
    "RD": Subtag.EXCEPTION_REFUSED,  # refused delivery
    "RT": Subtag.EXCEPTION_RETURN_TO_SENDER,  # returned to consignor
    "DM": Subtag.EXCEPTION_DAMAGED,
    "HP": Subtag.EXCEPTION_HELD_FOR_PAYMENT,
    "CD": Subtag.EXCEPTION_CUSTOMS,  # controllable clearance delay
    "UD": Subtag.EXCEPTION_CUSTOMS,  # uncontrollable clearance delay
    "MD": Subtag.EXCEPTION_DELAYED,  # missed delivery cycle
    "TD": Subtag.EXCEPTION_DELAYED,  # transport delay
    "MS": Subtag.EXCEPTION_DELAYED,  # mis-sort
    "OH": Subtag.EXCEPTION,  # on hold
    "SS": Subtag.EXCEPTION,  # shipment stopped
}


def parse(raw: str | bytes) -> ParsedTracking:
    """Facts and errors from one DHL Express tracking response."""
    try:
        root = load_xml(raw)
    except ET.ParseError as exc:
        return failed("malformed_response", f"DHL Express response is not XML: {exc}")
    checkpoints: list[Checkpoint] = []
    errors: list[CarrierError] = []
    inside_awb: set[int] = set()
    awbs = list(find_all(root, "AWBInfo"))
    for awb in awbs:
        number = tracking_number(child_text(awb, "AWBNumber"))
        conditions = list(find_all(awb, "Condition"))
        inside_awb.update(id(c) for c in conditions)
        events = list(find_all(awb, "ShipmentEvent"))
        level = "warning" if events else "error"
        errors.extend(_condition(c, number, level) for c in conditions)
        status = child_text(awb, "Status", "ActionStatus")
        if not events:
            if not conditions and status.lower() != "success":
                errors.append(CarrierError("not_found", status or "DHL Express has no events", number))
            continue
        if number is None:
            errors.append(CarrierError("missing_tracking_number", "DHL Express AWB has no number"))
            continue
        estimate = iso_date(child_text(child(awb, "ShipmentInfo"), "EstDlvyDate"))
        checkpoints.extend(c for c in (_checkpoint(e, number, estimate) for e in events) if c)
    # Conditions outside any AWB: an ErrorResponse, or a request-level fault.
    errors.extend(
        _condition(c, None, "error") for c in find_all(root, "Condition") if id(c) not in inside_awb
    )
    if not awbs and not errors:
        return failed("unrecognised_response", "DHL Express response has neither AWBs nor conditions")
    return build_result(SLUG, checkpoints, errors)


def _checkpoint(event: ET.Element, number: str, estimate: str | None) -> Checkpoint | None:
    # DHL gives the service area's local date and time with no zone (see local_to_utc).
    occurred_at = local_to_utc(
        parse_datetime(
            f"{child_text(event, 'Date')} {child_text(event, 'Time')}", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]
        )
    )
    if occurred_at is None:
        return None  # an event without a date cannot be placed on the timeline
    code = child_text(event, "ServiceEvent", "EventCode")
    message = child_text(event, "ServiceEvent", "Description")
    tag, subtag = signed_for(
        classify(
            [code],
            DHL_EXPRESS_EVENT_CODES,
            karrio=enum_member(karrio_dhl.TrackingStatus, code),
            incident=enum_member(karrio_dhl.TrackingIncidentReason, code),
            texts=[message],
        ),
        child_text(event, "Signatory"),  # only read on a delivery, where it is who signed
    )
    return Checkpoint(
        tracking_number=number,
        occurred_at=occurred_at,
        tag=tag,
        subtag=subtag,
        raw_code=code,
        raw_message=message,
        location=_location(child_text(event, "ServiceArea", "Description")),
        estimated_delivery=estimate,
    )


def _location(area: str) -> str:
    """``"City, ST, Country"`` from a service area: ``"Milan - Italy"``, ``"SPRINGFIELD GARDENS,NY-USA"``.

    The country follows the last hyphen, so hyphenated city names survive.
    """
    head, _, country = area.rpartition("-")
    if not head:
        return text(area)
    return join_location(*head.split(","), country)


def _condition(condition: ET.Element, number: str | None, level: str) -> CarrierError:
    return CarrierError(
        code=child_text(condition, "ConditionCode") or "unknown",
        message=child_text(condition, "ConditionData"),
        tracking_number=number,
        level="warning" if level == "warning" else "error",
    )
