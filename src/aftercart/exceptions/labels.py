"""The queue's words for what the detector records as codes: kinds, severities, queues, what a case
is about (``line:3`` is the line's product, a shipment key its carrier and tracking number) and its
detail ("no scan since 2026-11-27T07:35:12+00:00" becomes "no carrier scan for 10 days").

Operator-facing English; the raw code stays in the page's ``data-`` attributes and the tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.timesince import timesince

from aftercart.domain.exceptions import ExceptionKind, Queue, Severity

KIND_LABELS: Mapping[str, str] = {
    ExceptionKind.STALLED: "Parcel stalled",
    ExceptionKind.NOT_PICKED_UP: "Not picked up by carrier",
    ExceptionKind.DELAYED: "Delivery delayed",
    ExceptionKind.ATTEMPT_FAILED: "Delivery attempt failed",
    ExceptionKind.RETURNING_TO_SENDER: "Returning to sender",
    ExceptionKind.LOST: "Parcel lost",
    ExceptionKind.DAMAGED: "Parcel damaged",
    ExceptionKind.PICKUP_EXPIRING: "Pickup deadline soon",
    ExceptionKind.PICKUP_EXPIRED: "Pickup deadline passed",
    ExceptionKind.NOT_SHIPPED_IN_SLA: "Not shipped in time",
    ExceptionKind.ITEM_UNAVAILABLE: "Item unavailable",
    ExceptionKind.RETURN_LABEL_FAILED: "Return label failed",
}
SEVERITY_LABELS: Mapping[str, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.WARNING: "Warning",
}
QUEUE_LABELS: Mapping[str, str] = {
    Queue.CARRIER: "Carrier desk",
    Queue.WAREHOUSE: "Warehouse",
    Queue.CUSTOMER: "Customer care",
}

_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def kind_label(code: str) -> str:
    """A kind in words (an unknown code is shown as it is, with spaces)."""
    return KIND_LABELS.get(code, code.replace("_", " ").capitalize())


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _since(moment: datetime, now: datetime) -> str:
    return timesince(moment, now, depth=1) if moment <= now else "0 minutes"


def _day(value: date, now: datetime) -> str:
    days = (value - now.date()).days
    if days == 0:
        return f"today ({value:%d %b})"
    if days == 1:
        return f"tomorrow ({value:%d %b})"
    if days == -1:
        return f"yesterday ({value:%d %b})"
    return f"{value:%a %d %b %Y}"


def detail_label(kind: str, detail: str, now: datetime, line_titles: Mapping[str, str]) -> str:
    """The case's detail as a sentence; the raw text when it is not one the detector writes."""
    detail = detail.strip()
    if kind == ExceptionKind.STALLED and detail.startswith("no scan since "):
        moment = _moment(detail.removeprefix("no scan since "))
        if moment:
            return f"No carrier scan for {_since(moment, now)} (last {moment:%d %b %H:%M} UTC)"
    if kind == ExceptionKind.NOT_PICKED_UP and detail.startswith("label since "):
        moment = _moment(detail.removeprefix("label since "))
        if moment:
            return f"Label created {_since(moment, now)} ago, no carrier scan yet"
    if kind == ExceptionKind.DELAYED:
        if detail.startswith("overdue since "):
            day = detail.removeprefix("overdue since ")
            if _ISO_DAY.match(day):
                return f"Promised for {_day(date.fromisoformat(day), now)}; not delivered"
        if _ISO_DAY.match(detail):
            return f"Carrier now expects {_day(date.fromisoformat(detail), now)}"
        if detail == "reported by carrier":
            return "The carrier reports a delay"
    if kind in (ExceptionKind.PICKUP_EXPIRING, ExceptionKind.PICKUP_EXPIRED):
        moment = _moment(detail)
        if moment:
            if moment <= now:
                return f"Pickup deadline passed {_since(moment, now)} ago ({moment:%d %b %H:%M} UTC)"
            return f"Pickup deadline in {timesince(now, moment, depth=1)} ({moment:%d %b %H:%M} UTC)"
    if kind == ExceptionKind.NOT_SHIPPED_IN_SLA and detail.startswith("unshipped: "):
        ids = [i.strip() for i in detail.removeprefix("unshipped: ").split(",") if i.strip()]
        names = [line_titles.get(i, f"line {i}") for i in ids]
        return "Still to ship: " + ", ".join(names)
    if kind == ExceptionKind.ATTEMPT_FAILED and detail.startswith("attempt "):
        return f"Failed delivery attempt #{detail.removeprefix('attempt ')}"
    if kind == ExceptionKind.ITEM_UNAVAILABLE and detail.endswith(" unit(s)"):
        count = detail.removesuffix(" unit(s)")
        return f"{count} unit{'s' if count != '1' else ''} out of stock"
    # Anything else: ISO moments inside the text read as dates.
    return _ISO_MOMENT.sub(lambda m: _human_moment(m.group(0)), detail)


def _human_moment(text: str) -> str:
    moment = _moment(text)
    return f"{moment:%d %b %Y %H:%M}" if moment else text


@dataclass(frozen=True, slots=True)
class ShipmentRef:
    """What the queue knows of a parcel to name it."""

    carrier: str
    tracking_number: str


#: Carriers as people write them (the rest: the code with spaces, capitalised).
CARRIER_NAMES: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "dhl_express": "DHL Express",
    "dhl-express": "DHL Express",
    "canada_post": "Canada Post",
    "canada-post": "Canada Post",
    "canadapost": "Canada Post",
    "easypost": "EasyPost",
    "royal_mail": "Royal Mail",
    "royal-mail": "Royal Mail",
    "la_poste": "La Poste",
    "la-poste-colissimo": "Colissimo",
    "colissimo": "Colissimo",
    "correios": "Correios",
    "dpd": "DPD",
    "gls": "GLS",
}


def carrier_label(code: str) -> str:
    """A carrier's name from its code (``dhl_express`` → DHL Express)."""
    key = code.strip().lower()
    if not key:
        return ""
    return CARRIER_NAMES.get(key) or key.replace("_", " ").replace("-", " ").title()


def subject_label(subject: str, line_titles: Mapping[str, str], shipments: Mapping[str, ShipmentRef]) -> str:
    """What a case is about, in words: the whole order, a line's product, a parcel, a return."""
    if not subject:
        return "Whole order"
    if subject.startswith("line:"):
        line_id = subject.removeprefix("line:")
        return line_titles.get(line_id) or f"Order line {line_id}"
    if subject.startswith("return:"):
        return f"Return {subject.removeprefix('return:')}"
    ref = shipments.get(subject)
    if ref is not None:
        carrier = carrier_label(ref.carrier)
        number = ref.tracking_number or subject
        return f"Parcel {number}" + (f" ({carrier})" if carrier else "")
    return f"Parcel {subject}"


def line_ids_in(details: Iterable[str]) -> set[str]:
    """Line ids a batch of ``not_shipped_in_sla`` details name (to fetch their titles at once)."""
    out: set[str] = set()
    for detail in details:
        if detail.startswith("unshipped: "):
            out |= {i.strip() for i in detail.removeprefix("unshipped: ").split(",") if i.strip()}
    return out
