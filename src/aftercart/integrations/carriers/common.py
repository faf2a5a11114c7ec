"""What every carrier parser shares: the result types, checkpoints → facts, and small readers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal

from aftercart.domain.facts import Fact, FactKind, content_key, normalise_tracking_number, to_utc
from aftercart.domain.vocabulary import CarrierTag, Subtag


@dataclass(frozen=True, slots=True)
class CarrierError:
    """Something the carrier said instead of (or next to) tracking events.

    ``level`` is ``"error"`` when nothing could be tracked and ``"warning"`` when the carrier
    complained but still sent events.
    """

    code: str
    message: str
    tracking_number: str | None = None
    level: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class ParsedTracking:
    """The facts found in one carrier response, and what went wrong."""

    facts: list[Fact] = field(default_factory=list)
    errors: list[CarrierError] = field(default_factory=list)
    #: Every parcel the response had events for, in the order the response lists them.
    tracking_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One carrier event, read and classified, before it becomes a fact."""

    tracking_number: str
    occurred_at: datetime
    tag: CarrierTag
    subtag: Subtag
    raw_code: str
    raw_message: str
    location: str = ""
    estimated_delivery: str | None = None


def build_result(
    slug: str, checkpoints: Iterable[Checkpoint], errors: Iterable[CarrierError] = (), source: str = ""
) -> ParsedTracking:
    """Facts for ``checkpoints`` (oldest first), with stable keys: re-polling the same response
    gives the same facts, and a checkpoint a carrier repeats within one response is kept once."""
    facts: dict[str, Fact] = {}
    numbers: dict[str, None] = {}
    for c in checkpoints:
        occurred_at = to_utc(c.occurred_at)
        key = content_key(slug, c.tracking_number, occurred_at.isoformat(), c.raw_code, c.raw_message)
        numbers.setdefault(c.tracking_number)
        facts.setdefault(
            key,
            Fact(
                kind=FactKind.TRACKING_EVENT,
                occurred_at=occurred_at,
                idempotency_key=key,
                source=source or f"carrier:{slug}",
                tracking_number=c.tracking_number,
                payload={
                    "carrier": slug,
                    "tracking_number": c.tracking_number,
                    "tag": c.tag.value,
                    "subtag": c.subtag.value,
                    "raw_code": c.raw_code,
                    "raw_message": c.raw_message,
                    "location": c.location,
                    "estimated_delivery": c.estimated_delivery,
                },
            ),
        )
    ordered = sorted(facts.values(), key=lambda f: f.sort_key)
    return ParsedTracking(facts=ordered, errors=list(errors), tracking_numbers=list(numbers))


def failed(code: str, message: str) -> ParsedTracking:
    """A result with no facts and one error."""
    return ParsedTracking(errors=[CarrierError(code, message)])


# --- reading values ------------------------------------------------------------------------------


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: a carrier body is untrusted input,
    and a field of the wrong type reads as absent rather than raising (found by fuzzing)."""
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` when it is a list (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any) -> str:
    """A clean one-line string: carriers pad values and wrap XML text across lines."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def tracking_number(*candidates: Any) -> str | None:
    """The first candidate that looks like a tracking number.

    Real tracking numbers always hold a digit; API-reference samples put words such as
    ``"string"`` there, which must not become parcels.
    """
    for candidate in candidates:
        number = normalise_tracking_number(text(candidate) or None)
        if number and any(ch.isdigit() for ch in number):
            return number
    return None


def join_location(*parts: Any) -> str:
    """``"City, ST, Country"`` from whichever parts the carrier gave."""
    return ", ".join(p for p in (text(part) for part in parts) if p)


_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-])(\d{1,2}):?(\d{2})?$")


def parse_offset(value: Any) -> timezone | None:
    """A fixed zone from ``"-05:00"``, ``"-7:00"``, ``"+0100"`` or ``"GMT-04:00"``."""
    match = _OFFSET.match(text(value).upper())
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def parse_datetime(value: Any, formats: Iterable[str] = ()) -> datetime | None:
    """A datetime from ISO 8601 (with or without zone) or one of ``formats``; None if unreadable.

    The result keeps whatever zone the value had; naive results are the caller's to place.
    """
    raw = text(value)
    if not raw:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        return None


def local_to_utc(local: datetime | None, zone: timezone | None = None) -> datetime | None:
    """A carrier's local time as UTC, placed in ``zone`` when the value has none.

    With no zone at all the time is read as UTC: it is the best we have, and at most 14 hours off.
    """
    if local is None:
        return None
    if local.tzinfo is None and zone is not None:
        local = local.replace(tzinfo=zone)
    return to_utc(local, UTC)


def iso_date(value: Any, formats: Iterable[str] = ()) -> str | None:
    """The calendar date a carrier gives (``2021-05-07`` from ``"2021-05-07 23:59:00 GMT-04:00"``).

    The date is the carrier's local one: a promised delivery day is a local day.
    """
    raw = text(value)
    if not raw:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        return None


def load_json(raw: str | bytes) -> Any:
    """The decoded JSON body; raises ``ValueError`` when it is not JSON."""
    return json.loads(raw)


def load_xml(raw: str | bytes) -> ET.Element:
    """The root element; raises ``ET.ParseError`` when it is not XML.

    ElementTree never fetches external entities, and the bundled expat limits entity expansion.
    An XML declaration naming an encoding Python does not know (``encoding="UTV-8"``: LookupError)
    or one expat cannot use (``encoding="UTF-7"``: ValueError) raised from inside expat (both found
    by atheris): it is not XML we can read, so a ParseError like any other.
    """
    try:
        return ET.fromstring(raw.strip())
    except (LookupError, ValueError) as exc:
        raise ET.ParseError(f"unreadable encoding: {exc}") from exc


def local_name(element: ET.Element) -> str:
    """An element's tag without its namespace: carriers are inconsistent about namespaces."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def find_all(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every descendant named ``name``, whatever its namespace."""
    return (e for e in element.iter() if local_name(e) == name)


def child(element: ET.Element | None, name: str) -> ET.Element | None:
    """The first direct child named ``name``, whatever its namespace."""
    if element is None:
        return None
    return next((e for e in element if local_name(e) == name), None)


def child_text(element: ET.Element | None, *path: str) -> str:
    """The cleaned text at a path of child names, or ``""``."""
    for name in path:
        element = child(element, name)
    return text(element.text) if element is not None else ""
