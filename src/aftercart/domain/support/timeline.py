"""One order's story for the agent: every subject's events merged into one list, in time order,
each with a label a person reads (never a raw code).

The support app reads each subject (the ledger's facts, the messages sent, the conversations, the
returns, the exception cases, later the claims) into :class:`Entry` streams and :func:`merge`s
them here. Labels of the ledger's facts are decided here too (:func:`fact_label`), from the fact's
kind and payload, so the console, the sidebar and the API word the same fact the same way.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aftercart.domain.vocabulary import aftership_status

__all__ = ["SOURCE_RANK", "Entry", "fact_label", "merge"]

#: At the same instant, causes come before what they cause: a fact opens a case, a case or a fact
#: plans a message; a customer's return and claim come before the messages about them; a
#: conversation (the customer writing, the answer) comes last. Unknown sources sort after these.
SOURCE_RANK: dict[str, int] = {
    "fact": 0,
    "case": 1,
    "return": 2,
    "claim": 3,
    "message": 4,
    "conversation": 5,
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline: when, which subject (``source``), what (``label``), more words
    (``detail``), and where to look (``link``, "" for nowhere). ``seq`` orders entries of one source
    at the same instant (their order within the stream). ``tone`` is "", "good", "warn" or "bad"."""

    at: datetime
    source: str
    label: str
    detail: str = ""
    link: str = ""
    tone: str = ""
    seq: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, int, str, int]:
        """Time, then the source's rank, its name, and its own order."""
        return (self.at, SOURCE_RANK.get(self.source, len(SOURCE_RANK)), self.source, self.seq)


def merge(*streams: Iterable[Entry]) -> list[Entry]:
    """The entries of every stream in one list, oldest first; ties broken by :data:`SOURCE_RANK`,
    then each stream's own order. Stable and deterministic whatever order the streams come in."""
    return list(
        heapq.merge(*(sorted(s, key=lambda e: e.sort_key) for s in streams), key=lambda e: e.sort_key)
    )


_STATUS_WORDS = {
    # fulfilment (per line)
    "placed": "placed",
    "confirmed": "confirmed",
    "allocated": "allocated in the warehouse",
    "picking": "being picked",
    "packed": "packed",
    "ready_to_ship": "ready to ship",
    "handed_to_carrier": "handed to the carrier",
    "ready_for_pickup": "ready for pickup",
    "picked_up": "collected",
    "unavailable": "unavailable",
    "cancelled": "cancelled",
    "on_hold": "on hold",
}
_TAG_WORDS = {
    "pending": ("Carrier: no scan yet", ""),
    "info_received": ("Carrier: label created", ""),
    "in_transit": ("Carrier: in transit", ""),
    "out_for_delivery": ("Carrier: out for delivery", "good"),
    "attempt_fail": ("Carrier: delivery attempt failed", "warn"),
    "delivered": ("Carrier: delivered", "good"),
    "available_for_pickup": ("Carrier: waiting at a pickup point", "warn"),
    "exception": ("Carrier: problem reported", "bad"),
    "expired": ("Carrier: tracking expired", "warn"),
}
_CHOICE_WORDS = {
    "wait": "wait for the item",
    "refund": "refund the item",
    "substitute": "take the substitute",
    "extend_pickup": "keep the parcel at the pickup point longer",
    "switch_to_delivery": "have the parcel delivered instead",
    "keep_waiting": "keep waiting",
    "cancel": "cancel the order",
}


def _text(value: Any) -> str:
    return str(value or "").strip()


def fact_label(kind: str, payload: Mapping[str, Any], tracking_number: str = "") -> tuple[str, str, str]:
    """``(label, detail, tone)`` of one ledger fact, in words an agent reads."""
    p = payload if isinstance(payload, Mapping) else {}
    if kind == "order.placed":
        return "Order placed", "", ""
    if kind == "order.updated":
        return "Order details updated", "", ""
    if kind == "order.cancelled":
        reason = _text(p.get("reason"))
        return "Order cancelled", f"Reason: {reason}" if reason else "", "bad"
    if kind == "line.status":
        status = _text(p.get("status"))
        words = _STATUS_WORDS.get(status, status.replace("_", " ") or "changed")
        item = _text(p.get("title")) or _text(p.get("sku")) or _text(p.get("line_id"))
        tone = "bad" if status in {"unavailable", "cancelled"} else ""
        return f"Item {words}", item, tone
    if kind == "shipment.created":
        carrier = _text(p.get("carrier"))
        number = _text(p.get("tracking_number")) or tracking_number
        return "Shipped", " ".join(x for x in (carrier, number) if x), ""
    if kind == "tracking.event":
        tag, subtag = aftership_status(_text(p.get("tag")), _text(p.get("subtag")))
        label, tone = _TAG_WORDS[tag.value]
        if "." in subtag.value:  # "exception.lost" → "Carrier: problem reported (lost)"
            label += f" ({subtag.value.split('.', 1)[1].replace('_', ' ')})"
        where = _text(p.get("location")) if not isinstance(p.get("location"), Mapping) else ""
        detail = " · ".join(x for x in (_text(p.get("raw_message")), where) if x)
        return label, detail, tone
    if kind == "pickup.ready":
        location = p.get("location")
        return "Ready for pickup", _text(location.get("name") if isinstance(location, Mapping) else ""), ""
    if kind == "pickup.collected":
        return "Collected from the pickup point", "", "good"
    if kind == "feedback.received":
        return "Feedback received", _text(p.get("comment") or p.get("text"))[:200], ""
    if kind == "customer.choice":
        choice = _text(p.get("choice"))
        return "Customer chose to " + _CHOICE_WORDS.get(choice, choice.replace("_", " ") or "answer"), "", ""
    return kind.replace(".", " ").replace("_", " ").capitalize(), "", ""
