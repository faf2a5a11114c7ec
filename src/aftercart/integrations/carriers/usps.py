"""USPS Tracking API v3 (``/tracking/v3/tracking/{number}``, JSON) responses.

Used for ``usps`` and ``usps_international``, which share the API and the response. karrio's own
USPS parser throws the scan's ``GMTTimestamp`` away and labels local time "Z", and it fails on a
list of responses; this reader uses the GMT time. karrio's USPS tables remain the fallback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import karrio.providers.usps.units as karrio_usps

from aftercart.domain.vocabulary import Subtag
from aftercart.integrations.carriers.common import (
    CarrierError,
    Checkpoint,
    ParsedTracking,
    build_result,
    failed,
    iso_date,
    join_location,
    load_json,
    local_to_utc,
    objs,
    parse_datetime,
    parse_offset,
    text,
    tracking_number,
)
from aftercart.integrations.carriers.statuses import classify, enum_member, signed_for

SLUG = "usps"

_ATTEMPT = Subtag.ATTEMPT_FAIL
_RETURN = Subtag.EXCEPTION_RETURN_TO_SENDER

#: USPS ``eventCode`` → our subtag (USPS tracking event codes).
USPS_EVENT_CODES: dict[str, Subtag] = {
    "MA": Subtag.INFO_RECEIVED,  # manifest acknowledgement: pre-shipment info sent to USPS
    "GX": Subtag.INFO_RECEIVED,  # shipping label created, USPS awaiting item
    "03": Subtag.IN_TRANSIT_ACCEPTED,  # accept or pickup
    "TM": Subtag.IN_TRANSIT_ACCEPTED,  # shipment acceptance (truck manifest)
    "PA": Subtag.IN_TRANSIT_ACCEPTED,  # passive acceptance
    "07": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # arrival at unit (post office)
    "10": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # processed / arrived at facility
    "A1": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # arrived at facility
    "U1": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "T1": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # departed facility
    "L1": Subtag.IN_TRANSIT_DEPARTURE_SCAN,
    "EF": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # departed sort facility
    "SF": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # departed post office
    "TL": Subtag.IN_TRANSIT,  # in transit to next facility
    "PC": Subtag.IN_TRANSIT,  # sorting / processing complete
    "42": Subtag.IN_TRANSIT_FORWARDED,  # handed to a shipping partner
    "06": Subtag.IN_TRANSIT_FORWARDED,  # forwarded
    "OF": Subtag.OUT_FOR_DELIVERY,
    "01": Subtag.DELIVERED,
    "17": Subtag.DELIVERED_PICKED_UP,  # picked up by agent
    "43": Subtag.DELIVERED_PICKED_UP,  # picked up
    "14": Subtag.AVAILABLE_FOR_PICKUP,  # arrival at pickup point
    "16": Subtag.AVAILABLE_FOR_PICKUP,  # available for pickup
    "02": _ATTEMPT,  # attempted, notice left
    "52": _ATTEMPT,  # notice left
    "53": _ATTEMPT,  # receptacle blocked
    "54": _ATTEMPT,  # receptacle full / item oversized
    "55": _ATTEMPT,  # no secure location available
    "30": _ATTEMPT,  # no access to delivery location
    "56": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,  # no authorised recipient available
    "51": Subtag.ATTEMPT_FAIL_BUSINESS_CLOSED,
    "04": Subtag.EXCEPTION_REFUSED,
    "05": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # undeliverable as addressed
    "21": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # no such number
    "22": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # insufficient address
    "25": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # addressee unknown
    "26": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # vacant
    "23": Subtag.EXCEPTION_CUSTOMER_MOVED,  # moved, left no address
    "24": Subtag.EXCEPTION_CUSTOMER_MOVED,  # forward expired
    "09": _RETURN,  # return to sender
    "27": _RETURN,  # unclaimed
    "28": _RETURN,  # deceased
    "29": _RETURN,  # other return
    "31": _RETURN,  # not picked up
    "44": _RETURN,  # customer (shipper) recall
    "08": Subtag.EXCEPTION_DELAYED,  # missent
    "15": Subtag.EXCEPTION_DELAYED,  # mis-shipped
    "71": Subtag.EXCEPTION_DELAYED,  # rescheduled to next delivery day
    "11": Subtag.EXCEPTION,  # dead letter
}


def parse(raw: str | bytes) -> ParsedTracking:
    """Facts and errors from one USPS tracking response, or from a list of them."""
    try:
        body = load_json(raw)
    except ValueError as exc:
        return failed("malformed_response", f"USPS response is not JSON: {exc}")
    items = body if isinstance(body, list) else [body]
    checkpoints: list[Checkpoint] = []
    errors: list[CarrierError] = []
    for item in items:
        if not isinstance(item, dict):
            errors.append(CarrierError("unrecognised_response", "USPS response item is not a JSON object"))
        elif "error" in item:
            errors.extend(_errors(item))
        elif "trackingEvents" not in item:
            errors.append(CarrierError("unrecognised_response", "USPS response has no tracking events"))
        elif (number := tracking_number(item.get("trackingNumber"))) is None:
            errors.append(CarrierError("missing_tracking_number", "USPS response has no tracking number"))
        else:
            checkpoints.extend(_checkpoints(item, number))
    return build_result(SLUG, checkpoints, errors)


def _checkpoints(item: dict[str, Any], number: str) -> list[Checkpoint]:
    estimate = next(
        (
            d
            for d in (
                iso_date(item.get(name))
                for name in (
                    "expectedDeliveryTimeStamp",
                    "predictedDeliveryDate",
                    "predictedDeliveryTimeStamp",
                )
            )
            if d
        ),
        None,
    )
    out = []
    for event in objs(item.get("trackingEvents")):
        occurred_at = _time(event)
        if occurred_at is None:
            continue  # an event without a date cannot be placed on the timeline
        code, message = text(event.get("eventCode")), text(event.get("eventType"))
        tag, subtag = signed_for(
            classify(
                [code],
                USPS_EVENT_CODES,
                karrio=_karrio_status(message),
                incident=enum_member(karrio_usps.TrackingIncidentReason, code),
                texts=[message],
            ),
            text(event.get("name")),  # who signed, on a delivery scan
        )
        out.append(
            Checkpoint(
                tracking_number=number,
                occurred_at=occurred_at,
                tag=tag,
                subtag=subtag,
                raw_code=code,
                raw_message=message,
                location=join_location(
                    event.get("eventCity"), event.get("eventState"), event.get("eventCountry")
                ),
                estimated_delivery=estimate,
            )
        )
    return out


def _time(event: dict[str, Any]) -> datetime | None:
    # GMTTimestamp is the scan in UTC, to the second; eventTimestamp is local time, rounded to the
    # minute, whose offset is GMTOffset.
    gmt = parse_datetime(event.get("GMTTimestamp"))
    if gmt is not None and gmt.tzinfo is not None:
        return local_to_utc(gmt)
    return local_to_utc(parse_datetime(event.get("eventTimestamp")), parse_offset(event.get("GMTOffset")))


def _karrio_status(event_type: str) -> str | None:
    # karrio's USPS table holds words, matched inside the event's description, as karrio does.
    lowered = event_type.lower()
    return next(
        (s.name for s in karrio_usps.TrackingStatus if any(word.lower() in lowered for word in s.value)),
        None,
    )


def _errors(item: dict[str, Any]) -> list[CarrierError]:
    error = item.get("error")
    if isinstance(error, str):  # OAuth errors: {"error": "invalid_client", "error_description": ...}
        return [CarrierError(text(error), text(item.get("error_description")))]
    error = error if isinstance(error, dict) else {}
    inner = objs(error.get("errors"))
    if not inner:
        return [CarrierError(text(error.get("code")) or "unknown", text(error.get("message")))]
    return [
        CarrierError(
            text(e.get("code") or error.get("code")) or "unknown",
            text(e.get("detail") or e.get("title") or error.get("message")),
        )
        for e in inner
    ]
