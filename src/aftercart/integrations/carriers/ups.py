"""UPS Track API (``/api/track/v1/details``, JSON) responses.

karrio's own UPS parser reads only the first package, gives local times a "Z" and drops their
seconds, and takes ``package.trackingNumber`` even when it is a placeholder; this reader walks
every shipment and package and keeps the times as UPS sent them. karrio's UPS status and incident
tables are still the fallback for codes we do not map.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import karrio.providers.ups.units as karrio_ups

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
    parse_offset,
    text,
    tracking_number,
)
from aftercart.integrations.carriers.statuses import classify, enum_member, signed_for

SLUG = "ups"

#: UPS activity ``status.type`` → our subtag. UPS files many kinds of scan under each type, so
#: the message still refines these ("released by customs" comes as an ``X``).
UPS_ACTIVITY_TYPES: dict[str, Subtag] = {
    "M": Subtag.INFO_RECEIVED,  # manifest: label created, UPS has not got the parcel
    "MV": Subtag.EXCEPTION,  # manifest voided: the label was cancelled
    "P": Subtag.IN_TRANSIT_ACCEPTED,  # pickup scan
    "I": Subtag.IN_TRANSIT,  # in progress
    "W": Subtag.IN_TRANSIT,  # in a warehouse (freight)
    "O": Subtag.OUT_FOR_DELIVERY,
    "D": Subtag.DELIVERED,
    "X": Subtag.EXCEPTION,
    "RS": Subtag.EXCEPTION_RETURN_TO_SENDER,  # returned to shipper
}

#: ``deliveryDate[].type`` values that are promises rather than the actual delivery ("DEL").
_ESTIMATE_TYPES = ("RDD", "SDD")  # rescheduled, scheduled


def parse(raw: str | bytes) -> ParsedTracking:
    """Facts and errors from one UPS tracking response."""
    try:
        body = load_json(raw)
    except ValueError as exc:
        return failed("malformed_response", f"UPS response is not JSON: {exc}")
    if not isinstance(body, dict):
        return failed("unrecognised_response", "UPS response is not a JSON object")
    errors = _errors(body)
    shipments = objs(obj(body.get("trackResponse")).get("shipment"))
    if not shipments and not errors:
        return failed("unrecognised_response", "UPS response has neither shipments nor errors")
    checkpoints: list[Checkpoint] = []
    for shipment in shipments:
        packages = objs(shipment.get("package"))
        inquiry = tracking_number(shipment.get("inquiryNumber"))
        for warning in objs(shipment.get("warnings")):
            # A warning next to packages is a remark; without packages it is why there are none.
            level = "warning" if packages else "error"
            errors.append(_error(warning, inquiry, level))
        for package in packages:
            number = tracking_number(package.get("trackingNumber"), shipment.get("inquiryNumber"))
            if number is None:
                errors.append(CarrierError("missing_tracking_number", "UPS package has no tracking number"))
                continue
            checkpoints.extend(_checkpoints(package, number))
    return build_result(SLUG, checkpoints, errors)


def _checkpoints(package: dict[str, Any], number: str) -> list[Checkpoint]:
    estimate = next(
        (
            iso_date(d.get("date"), ["%Y%m%d"])
            for kind in _ESTIMATE_TYPES
            for d in objs(package.get("deliveryDate"))
            if d.get("type") == kind and iso_date(d.get("date"), ["%Y%m%d"])
        ),
        None,
    )
    signatory = text(obj(package.get("deliveryInformation")).get("receivedBy"))
    out = []
    for activity in objs(package.get("activity")):
        occurred_at = _occurred_at(activity)
        if occurred_at is None:
            continue  # an activity without a date cannot be placed on the timeline
        status = obj(activity.get("status"))
        kind, code, message = (
            text(status.get("type")),
            text(status.get("code")),
            text(status.get("description")),
        )
        tag, subtag = signed_for(
            classify(
                [kind],
                UPS_ACTIVITY_TYPES,
                # karrio's UPS parser reads the type first, then the code.
                karrio=enum_member(karrio_ups.TrackingStatus, kind)
                or enum_member(karrio_ups.TrackingStatus, code),
                incident=enum_member(karrio_ups.TrackingIncidentReason, code),
                texts=[message],
            ),
            signatory,
        )
        address = obj(obj(activity.get("location")).get("address"))
        out.append(
            Checkpoint(
                tracking_number=number,
                occurred_at=occurred_at,
                tag=tag,
                subtag=subtag,
                raw_code=code or kind,
                raw_message=message,
                location=join_location(
                    address.get("city"),
                    address.get("stateProvince"),
                    address.get("countryCode") or address.get("country"),
                ),
                estimated_delivery=estimate,
            )
        )
    return out


def _occurred_at(activity: dict[str, Any]) -> datetime | None:
    # Newer responses add the time in GMT; use it when present.
    gmt = parse_datetime(
        f"{text(activity.get('gmtDate'))} {text(activity.get('gmtTime'))}",
        ["%Y%m%d %H:%M:%S", "%Y%m%d %H%M%S"],
    )
    if gmt is not None:
        return local_to_utc(gmt, UTC)
    local = parse_datetime(
        f"{text(activity.get('date'))} {text(activity.get('time'))}", ["%Y%m%d %H%M%S", "%Y%m%d"]
    )
    # Otherwise UPS gives the scan's local time with no zone (see local_to_utc) unless it adds
    # gmtOffset, which is the local zone's offset.
    return local_to_utc(local, parse_offset(activity.get("gmtOffset")))


def _errors(body: dict[str, Any]) -> list[CarrierError]:
    errors = [_error(e, None, "error") for e in objs(obj(body.get("response")).get("errors"))]
    fault = obj(obj(obj(obj(body.get("Fault")).get("detail")).get("Errors")).get("ErrorDetail"))
    if fault.get("PrimaryErrorCode"):
        errors.append(_error(obj(fault["PrimaryErrorCode"]), None, "error"))
    return errors


def _error(item: dict[str, Any], number: str | None, level: str) -> CarrierError:
    return CarrierError(
        code=text(item.get("code") or item.get("Code")) or "unknown",
        message=text(item.get("message") or item.get("Description")),
        tracking_number=number,
        level="warning" if level == "warning" else "error",
    )
