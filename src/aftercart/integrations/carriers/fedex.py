"""FedEx Track API (``/track/v1/trackingnumbers``, JSON) responses.

karrio's own FedEx parser cannot be used here: for a delivered parcel it calls FedEx's
proof-of-delivery endpoint over the network while parsing, and it writes local times with a "Z"
although FedEx sends their UTC offset. This reader keeps the offsets and does no I/O; karrio's
FedEx status and incident tables are still the fallback for event types we do not map.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import karrio.providers.fedex.units as karrio_fedex

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
    obj,
    objs,
    parse_datetime,
    text,
    tracking_number,
)
from aftercart.integrations.carriers.statuses import classify, enum_member, signed_for

SLUG = "fedex"

#: FedEx scan ``eventType`` (and ``derivedStatusCode``, which uses the same codes) → our subtag.
FEDEX_EVENT_TYPES: dict[str, Subtag] = {
    "OC": Subtag.INFO_RECEIVED,  # shipment information sent to FedEx
    "IN": Subtag.INFO_RECEIVED,  # derived status "initiated"
    "PU": Subtag.IN_TRANSIT_ACCEPTED,
    "PX": Subtag.IN_TRANSIT_ACCEPTED,
    "AR": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "AF": Subtag.IN_TRANSIT_ARRIVAL_SCAN,  # at local FedEx facility
    "DP": Subtag.IN_TRANSIT_DEPARTURE_SCAN,
    "LO": Subtag.IN_TRANSIT_DEPARTURE_SCAN,  # left origin
    "IT": Subtag.IN_TRANSIT,
    "AO": Subtag.IN_TRANSIT,  # shipment arriving on time
    "AE": Subtag.IN_TRANSIT,  # shipment arriving early
    "CP": Subtag.IN_TRANSIT_CUSTOMS_STARTED,  # clearance in progress
    "CC": Subtag.IN_TRANSIT_CUSTOMS_CLEARED,
    "OD": Subtag.OUT_FOR_DELIVERY,
    "DL": Subtag.DELIVERED,
    "DE": Subtag.ATTEMPT_FAIL,  # delivery exception; the exception code says why
    "DY": Subtag.EXCEPTION_DELAYED,
    "DD": Subtag.EXCEPTION_DELAYED,
    "SE": Subtag.EXCEPTION,  # shipment exception
    "CD": Subtag.EXCEPTION_CUSTOMS,  # clearance delay
    "HP": Subtag.AVAILABLE_FOR_PICKUP,  # ready for recipient pickup
    "HL": Subtag.AVAILABLE_FOR_PICKUP,  # at hold-at-location
    "RS": Subtag.EXCEPTION_RETURN_TO_SENDER,
    "CA": Subtag.EXCEPTION,  # shipment cancelled
}

#: FedEx ``exceptionCode`` → the reason it gives a delivery exception.
FEDEX_EXCEPTION_CODES: dict[str, Subtag] = {
    "03": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # incorrect address
    "07": Subtag.EXCEPTION_REFUSED,  # refused by recipient
    "08": Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE,  # recipient not available or business closed
    "A47": Subtag.ATTEMPT_FAIL_PICKUP_AT_CARRIER,  # redirected to a nearby FedEx location
}


def parse(raw: str | bytes) -> ParsedTracking:
    """Facts and errors from one FedEx tracking response."""
    try:
        body = load_json(raw)
    except ValueError as exc:
        return failed("malformed_response", f"FedEx response is not JSON: {exc}")
    if not isinstance(body, dict):
        return failed("unrecognised_response", "FedEx response is not a JSON object")
    errors = [_error(e, None, "error") for e in objs(body.get("errors"))]
    output = body.get("output")
    output = output if isinstance(output, dict) else {}
    errors.extend(_alerts(output.get("alerts")))
    results = output.get("completeTrackResults")
    if results is None:
        if not any(e.level == "error" for e in errors):
            # e.g. a proof-of-delivery document: a FedEx answer, but not to a tracking question.
            errors.append(CarrierError("not_tracking_response", "FedEx response holds no tracking results"))
        return build_result(SLUG, [], errors)
    checkpoints: list[Checkpoint] = []
    for result in objs(results):
        number = tracking_number(result.get("trackingNumber"))
        tracked = [r for r in objs(result.get("trackResults")) if r.get("scanEvents")]
        for r in objs(result.get("trackResults")):
            if r.get("error") and r not in tracked:
                errors.append(_error(obj(r["error"]), number, "error"))
        if not tracked:
            continue
        if number is None:
            errors.append(CarrierError("missing_tracking_number", "FedEx result has no tracking number"))
            continue
        # FedEx reuses tracking numbers: when one number has several shipments, the one with the
        # latest scan is this parcel (karrio picks the same one).
        latest = max(tracked, key=_last_scan)
        if latest.get("error"):
            errors.append(_error(obj(latest["error"]), number, "warning"))
        checkpoints.extend(_checkpoints(latest, number))
    return build_result(SLUG, checkpoints, errors)


def _checkpoints(result: dict[str, Any], number: str) -> list[Checkpoint]:
    estimate = _estimate(result)
    delivery = obj(result.get("deliveryDetails"))
    signatory = text(delivery.get("signedByName") or delivery.get("receivedByName"))
    out = []
    for event in objs(result.get("scanEvents")):
        occurred_at = _time(event)
        if occurred_at is None:
            continue  # an event without a date cannot be placed on the timeline
        kind, derived = text(event.get("eventType")), text(event.get("derivedStatusCode"))
        description, exception = text(event.get("eventDescription")), text(event.get("exceptionDescription"))
        message = f"{description}: {exception}" if description and exception else description or exception
        texts = [message]
        if kind == "DL":
            texts.append(text(delivery.get("locationDescription")))  # "Neighbor", "Front Door"...
        tag, subtag = signed_for(
            classify(
                [kind, derived],
                FEDEX_EVENT_TYPES,
                karrio=enum_member(karrio_fedex.TrackingStatus, kind),
                incident=enum_member(karrio_fedex.TrackingIncidentReason, kind),
                texts=texts,
                reason=FEDEX_EXCEPTION_CODES.get(text(event.get("exceptionCode"))),
            ),
            signatory,
        )
        where = obj(event.get("scanLocation"))
        out.append(
            Checkpoint(
                tracking_number=number,
                occurred_at=occurred_at,
                tag=tag,
                subtag=subtag,
                raw_code=kind or derived,
                raw_message=message,
                location=join_location(
                    where.get("city"), where.get("stateOrProvinceCode"), where.get("countryCode")
                ),
                estimated_delivery=estimate,
            )
        )
    return out


def _time(event: dict[str, Any]) -> datetime | None:
    # FedEx sends local time with its offset; a few scans come without one (see local_to_utc).
    return local_to_utc(parse_datetime(event.get("date")))


def _last_scan(result: dict[str, Any]) -> datetime:
    times = [t for t in (_time(e) for e in objs(result.get("scanEvents"))) if t is not None]
    return max(times, default=datetime.min.replace(tzinfo=UTC))


def _estimate(result: dict[str, Any]) -> str | None:
    candidates = [
        d.get("dateTime") for d in objs(result.get("dateAndTimes")) if d.get("type") == "ESTIMATED_DELIVERY"
    ]
    for name in ("estimatedDeliveryTimeWindow", "standardTransitTimeWindow"):
        window = obj(obj(result.get(name)).get("window"))
        # The end of a window is the day FedEx commits to.
        candidates += [window.get("ends"), window.get("begins")]
    return next((d for d in (iso_date(c) for c in candidates) if d), None)


def _alerts(alerts: Any) -> list[CarrierError]:
    if isinstance(alerts, str):
        return [CarrierError("alert", text(alerts), level="warning")] if text(alerts) else []
    out = []
    for alert in objs(alerts):
        level = "error" if text(alert.get("alertType")).upper() == "ERROR" else "warning"
        out.append(_error(alert, None, level))
    return out


def _error(item: dict[str, Any], number: str | None, level: str) -> CarrierError:
    return CarrierError(
        code=text(item.get("code")) or "unknown",
        message=text(item.get("message")),
        tracking_number=number,
        level="warning" if level == "warning" else "error",
    )
