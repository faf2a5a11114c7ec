"""EasyPost Tracker objects and ``tracker.*`` webhook Events → canonical ``tracking.event`` facts.

Pure: takes decoded JSON, returns facts. One fact per ``tracking_details`` entry; keys are the
same content keys the carrier parsers use, so re-reading a tracker (or the webhook that carried
it) yields the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from aftercart.domain.carriers import carrier_slug
from aftercart.domain.facts import Fact
from aftercart.integrations.carriers.common import (
    Checkpoint,
    build_result,
    iso_date,
    join_location,
    local_to_utc,
    parse_datetime,
    text,
    tracking_number,
)
from aftercart.integrations.carriers.statuses import refine_from_text, signed_for
from aftercart.integrations.easypost.statuses import EASYPOST_STATUS, EASYPOST_STATUS_DETAIL, easypost_status

__all__ = [
    "EASYPOST_STATUS",
    "EASYPOST_STATUS_DETAIL",
    "SOURCE",
    "easypost_status",
    "find_trackers",
    "parse_event",
    "parse_payload",
    "parse_tracker",
]

SOURCE = "easypost"


def parse_tracker(obj: Mapping[str, Any]) -> list[Fact]:
    """Facts for every checkpoint of one EasyPost Tracker (oldest first).

    A tracker without a tracking code, or an object that is not a Tracker, gives no facts.
    """
    if not isinstance(obj, Mapping) or obj.get("object") != "Tracker":
        return []
    number = tracking_number(obj.get("tracking_code"))
    if number is None:
        return []
    slug = carrier_slug(text(obj.get("carrier"))) or "unknown"
    estimate = _estimate(obj)
    checkpoints = []
    details = obj.get("tracking_details")
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, Mapping):
            continue  # not a checkpoint (a mangled or foreign body): nothing to place
        # EasyPost sends UTC ("Z"), or the scan's local offset when it knows the place; a time
        # without either is read as UTC, as EasyPost documents.
        occurred_at = local_to_utc(parse_datetime(detail.get("datetime")))
        if occurred_at is None:
            continue  # a checkpoint without a time cannot be placed on the timeline
        status, status_detail = text(detail.get("status")), text(detail.get("status_detail"))
        message = text(detail.get("message")) or text(detail.get("description"))
        tag, subtag = signed_for(
            refine_from_text(*easypost_status(status, status_detail), message), text(obj.get("signed_by"))
        )
        where = detail.get("tracking_location")
        where = where if isinstance(where, Mapping) else {}
        checkpoints.append(
            Checkpoint(
                tracking_number=number,
                occurred_at=occurred_at,
                tag=tag,
                subtag=subtag,
                # The carrier's own code when EasyPost passes it on, else EasyPost's words for it.
                raw_code=text(detail.get("carrier_code")) or status_detail or status,
                raw_message=message,
                location=join_location(where.get("city"), where.get("state"), where.get("country")),
                estimated_delivery=iso_date(detail.get("est_delivery_date")) or estimate,
            )
        )
    return build_result(slug, checkpoints, source=SOURCE).facts


def parse_event(obj: Mapping[str, Any]) -> list[Fact]:
    """Facts from an EasyPost webhook Event whose ``result`` is a Tracker (``tracker.created``,
    ``tracker.updated``); any other Event (batches, refunds...) gives none."""
    if not isinstance(obj, Mapping) or obj.get("object") != "Event":
        return []
    result = obj.get("result")
    return parse_tracker(result) if isinstance(result, Mapping) else []


def find_trackers(obj: Any) -> Iterator[Mapping[str, Any]]:
    """Every Tracker inside any EasyPost JSON: a tracker, a list (``{"trackers": [...]}``), an
    Event, a Shipment or Insurance with its ``tracker``, or a JSON string holding any of these."""
    if isinstance(obj, str):
        stripped = obj.strip()
        if stripped[:1] in ("{", "["):
            try:
                obj = json.loads(stripped)
            except ValueError:
                return
        else:
            return
    if isinstance(obj, Mapping):
        if obj.get("object") == "Tracker":
            yield obj
            return
        for value in obj.values():
            yield from find_trackers(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from find_trackers(value)


def parse_payload(obj: Any) -> list[Fact]:
    """Facts for every Tracker found in ``obj`` (see :func:`find_trackers`), each kept once."""
    facts: dict[str, Fact] = {}
    for tracker in find_trackers(obj):
        for fact in parse_tracker(tracker):
            facts.setdefault(fact.idempotency_key, fact)
    return sorted(facts.values(), key=lambda f: f.sort_key)


def _estimate(tracker: Mapping[str, Any]) -> str | None:
    # The carrier's local delivery date when EasyPost has it; est_delivery_date is in UTC.
    local = (tracker.get("carrier_detail") or {}).get("est_delivery_date_local")
    return iso_date(local) or iso_date(tracker.get("est_delivery_date"))
