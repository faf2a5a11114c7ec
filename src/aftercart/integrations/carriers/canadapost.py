"""Canada Post tracking details (``/vis/track/pin/{pin}/detail``, XML) responses.

karrio's own Canada Post parser ignores ``event-time-zone`` (local times get a "Z") and looks up
event identifiers as sent, so the zero-padded ``0174`` never matches its ``174``; this reader
reads the zone and strips the padding. karrio's Canada Post tables remain the fallback.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta, timezone

import karrio.providers.canadapost.units as karrio_canadapost

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
    tracking_number,
)
from aftercart.integrations.carriers.statuses import classify, enum_member, signed_for

SLUG = "canadapost"

#: Events that annotate another event ("signature image recorded" is filed with its delivery, at
#: the same second) rather than report news of their own.
ANNOTATIONS = frozenset({"20"})
#: "Notice card left indicating where and when to pick up item": a delivery was attempted (and
#: failed) before the parcel went to the post office; karrio reads it as ready for pickup only.
NOTICE_CARDS = frozenset({"1479"})

#: Canada Post event identifiers (without leading zeros) → our subtag, where karrio's table is
#: silent or wrong for the event Canada Post describes.
CANADAPOST_EVENTS: dict[str, Subtag] = {
    # "Signature image recorded for Online viewing": a signature is only taken on delivery.
    "20": Subtag.DELIVERED_SIGNED,
    "100": Subtag.IN_TRANSIT,  # "Item processed at postal facility" (karrio: picked up)
    "173": Subtag.EXCEPTION_INCORRECT_ADDRESS,  # "Customer addressing error found"
    "174": Subtag.OUT_FOR_DELIVERY,  # "Item out for delivery"
}

_HOUR = timedelta(hours=1)
#: ``event-time-zone`` abbreviations, English and French, → their fixed offsets.
CANADIAN_ZONES: dict[str, timezone] = {
    abbr: timezone(offset)
    for offset, names in (
        (-3.5 * _HOUR, ("NST", "HNT")),
        (-2.5 * _HOUR, ("NDT", "HAT")),
        (-4 * _HOUR, ("AST", "HNA")),
        (-3 * _HOUR, ("ADT", "HAA")),
        (-5 * _HOUR, ("EST", "HNE")),
        (-4 * _HOUR, ("EDT", "HAE")),
        (-6 * _HOUR, ("CST", "HNC")),
        (-5 * _HOUR, ("CDT", "HAC")),
        (-7 * _HOUR, ("MST", "HNR")),
        (-6 * _HOUR, ("MDT", "HAR")),
        (-8 * _HOUR, ("PST", "HNP")),
        (-7 * _HOUR, ("PDT", "HAP")),
    )
    for abbr in names
}


def parse(raw: str | bytes) -> ParsedTracking:
    """Facts and errors from one Canada Post tracking-detail response."""
    try:
        root = load_xml(raw)
    except ET.ParseError as exc:
        return failed("malformed_response", f"Canada Post response is not XML: {exc}")
    errors = [
        CarrierError(child_text(m, "code") or "unknown", child_text(m, "description"))
        for m in find_all(root, "message")
    ]
    details = list(find_all(root, "tracking-detail"))
    if not details and not errors:
        return failed("unrecognised_response", "Canada Post response has neither details nor messages")
    checkpoints: list[Checkpoint] = []
    for detail in details:
        number = tracking_number(child_text(detail, "pin"))
        if number is None:
            errors.append(CarrierError("missing_tracking_number", "Canada Post detail has no PIN"))
            continue
        estimate = iso_date(
            child_text(detail, "changed-expected-date") or child_text(detail, "expected-delivery-date")
        )
        significant = child(detail, "significant-events")
        events = find_all(significant if significant is not None else detail, "occurrence")
        checkpoints.extend(c for c in (_checkpoint(e, number, estimate) for e in events) if c)
    return build_result(SLUG, checkpoints, errors)


def _checkpoint(event: ET.Element, number: str, estimate: str | None) -> Checkpoint | None:
    local = parse_datetime(
        f"{child_text(event, 'event-date')} {child_text(event, 'event-time')}",
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
    )
    # An unknown zone abbreviation leaves the time in UTC (see local_to_utc).
    occurred_at = local_to_utc(local, CANADIAN_ZONES.get(child_text(event, "event-time-zone").upper()))
    if occurred_at is None:
        return None  # an event without a date cannot be placed on the timeline
    code = child_text(event, "event-identifier")
    key = code.lstrip("0") or code
    message = child_text(event, "event-description")
    tag, subtag = signed_for(
        classify(
            [key],
            CANADAPOST_EVENTS,
            karrio=enum_member(karrio_canadapost.TrackingStatus, key),
            incident=enum_member(karrio_canadapost.TrackingIncidentReason, key),
            texts=[message],
        ),
        child_text(event, "signatory-name"),
    )
    return Checkpoint(
        tracking_number=number,
        occurred_at=occurred_at,
        tag=tag,
        subtag=subtag,
        raw_code=code,
        raw_message=message,
        location=join_location(child_text(event, "event-site"), child_text(event, "event-province")),
        estimated_delivery=estimate,
        annotation=key in ANNOTATIONS,
        attempted=key in NOTICE_CARDS,
    )
