"""One timeline per order for the agent: the ledger's facts, the messages sent, the conversations,
the returns and the exception cases, merged in time order (:func:`aftercart.domain.support.timeline.merge`)
with labels a person reads.

Support sits above every subject it reads here, so it reads their tables directly, one query per
source. **Adding a subject** (claims): write ``_claims(order) -> Iterable[Entry]`` below, reading
the claims app's own rows (its steps: opened, approved, reshipped...), with ``source="claim"``
(already ranked in :data:`~aftercart.domain.support.timeline.SOURCE_RANK`), and add it to
:data:`SOURCES`. Nothing else changes: the console, the sidebar and the tests take every source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.urls import reverse

from aftercart.domain.support.timeline import Entry, fact_label, merge
from aftercart.exceptions.models import OrderException
from aftercart.notifications.models import Message as OutboundMessage
from aftercart.orders.models import Order
from aftercart.returns.models import ReturnFact
from aftercart.support.models import Conversation
from aftercart.support.models import Message as SupportMessage

__all__ = ["SOURCES", "order_timeline"]

_CHANNELS = {
    "email": "e-mail",
    "sms": "SMS",
    "webhook": "webhook",
    "klaviyo": "Klaviyo",
    "iterable": "Iterable",
}
_MESSAGE_TONE = {"failed": "bad", "suppressed": "warn", "superseded": ""}
_CASE_WORDS = {
    "stalled": "Parcel stalled",
    "not_picked_up": "Not picked up by the carrier",
    "delayed": "Parcel delayed",
    "attempt_failed": "Delivery attempt failed",
    "returning_to_sender": "Returning to sender",
    "lost": "Parcel lost",
    "damaged": "Parcel damaged",
    "pickup_expiring": "Pickup deadline close",
    "pickup_expired": "Pickup deadline passed",
    "not_shipped_in_sla": "Not shipped in time",
    "item_unavailable": "Item unavailable",
    "return_label_failed": "Return label could not be bought",
}
_RETURN_WORDS = {
    "requested": "Return requested",
    "approved": "Return approved",
    "label_issued": "Return label issued",
    "in_transit": "Return parcel on its way back",
    "received": "Return received",
    "inspected": "Return inspected",
    "resolved": "Return resolved",
    "rejected": "Return rejected",
    "cancelled": "Return cancelled",
}
_EVENT_WORDS = {
    "assigned": "Conversation assigned",
    "escalated": "Escalated to a person",
    "resolved": "Conversation resolved",
    "reopened": "Conversation reopened",
    "matched": "Conversation matched to the order",
    "action": "Action taken",
}


def _words(code: str) -> str:
    return code.replace("_", " ").replace(".", " ").strip().capitalize()


def _facts(order: Order) -> Iterable[Entry]:
    rows = order.facts.order_by("occurred_at", "pk").values_list(
        "kind", "occurred_at", "source", "payload", "tracking_number"
    )
    for seq, (kind, at, source, payload, tracking) in enumerate(rows):
        label, detail, tone = fact_label(kind, payload or {}, tracking or "")
        yield Entry(at, "fact", label, detail, tone=tone, seq=seq, extra={"via": source, "code": kind})


def _messages(order: Order) -> Iterable[Entry]:
    rows = OutboundMessage.objects.filter(order_id=order.pk).order_by("created_at", "pk")
    for seq, m in enumerate(
        rows.values("channel", "milestone", "status", "reason", "sent_at", "created_at", "subject")
    ):
        channel = _CHANNELS.get(m["channel"], m["channel"])
        milestone = _words(m["milestone"]).lower()
        if m["status"] == "sent":
            label, at = f"Sent {channel}: {milestone}", m["sent_at"] or m["created_at"]
        else:
            label, at = f"{_words(m['status'])} {channel}: {milestone}", m["created_at"]
        about = (
            f"return {m['subject']}"
            if m["milestone"].startswith(("return", "label", "refund", "credit", "exchange")) and m["subject"]
            else ""
        )
        detail = " · ".join(x for x in (about, m["reason"]) if x)
        yield Entry(at, "message", label, detail, tone=_MESSAGE_TONE.get(m["status"], ""), seq=seq)


def _cases(order: Order) -> Iterable[Entry]:
    link = reverse("exceptions:order", args=[order.pk])
    rows = OrderException.objects.filter(order_id=order.pk).order_by("opened_at", "pk")
    for seq, case in enumerate(rows):
        what = _CASE_WORDS.get(case.kind, _words(case.kind))
        yield Entry(case.opened_at, "case", f"Case opened: {what}", case.detail, link, "bad", 2 * seq)
        if case.resolved_at is not None:
            how = _words(case.resolution).lower() if case.resolution else ""
            yield Entry(case.resolved_at, "case", f"Case closed: {what}", how, link, "good", 2 * seq + 1)


def _returns(order: Order) -> Iterable[Entry]:
    rows = (
        ReturnFact.objects.filter(ret__order_id=order.pk)
        .order_by("occurred_at", "pk")
        .values_list("occurred_at", "status", "kind", "ret__rma", "actor")
    )
    for seq, (at, status, kind, rma, actor) in enumerate(rows):
        label = _RETURN_WORDS.get(status, f"Return: {_words(kind).lower()}")
        tone = "bad" if status in {"rejected"} else ""
        yield Entry(at, "return", label, " · ".join(x for x in (rma, actor) if x), tone=tone, seq=seq)


def _conversations(order: Order) -> Iterable[Entry]:
    rows = (
        SupportMessage.objects.filter(conversation__order_id=order.pk)
        .select_related("conversation", "agent")
        .order_by("occurred_at", "pk")
    )
    for seq, m in enumerate(rows):
        conversation: Conversation = m.conversation
        link = reverse("support_console:conversation", args=[conversation.public_id])
        channel = conversation.get_channel_display()
        text = (m.text or m.body or "").strip().replace("\n", " ")
        snippet = text[:160] + ("…" if len(text) > 160 else "")
        if m.kind == SupportMessage.Kind.EVENT:
            event = str((m.payload or {}).get("event") or "")
            label, tone = _EVENT_WORDS.get(event, _words(event) or "Conversation event"), ""
            snippet = m.agent.get_username() if m.agent else ""
        elif m.kind == SupportMessage.Kind.NOTE:
            label, tone = "Internal note", ""
        elif m.direction == SupportMessage.Direction.IN:
            label, tone = f"Customer wrote ({channel})", "warn"
        elif m.author == SupportMessage.Author.AUTOMATION:
            label, tone = f"Answered automatically ({channel})", "good"
        else:
            who = m.agent.get_username() if m.agent else "agent"
            label, tone = f"Reply by {who} ({channel})", "good"
        yield Entry(m.occurred_at, "conversation", label, snippet, link, tone, seq)


#: Every source of the timeline, in the order they are read (the merge orders the entries).
#: Claims: add ``_claims`` here (see the module's docstring).
SOURCES: tuple[Callable[[Order], Iterable[Entry]], ...] = (
    _facts,
    _cases,
    _returns,
    _messages,
    _conversations,
)


def order_timeline(order: Order, *, until: datetime | None = None) -> list[Entry]:
    """The order's whole story, oldest first (entries after ``until`` left out when given): one
    query per source."""
    entries = merge(*(list(source(order)) for source in SOURCES))
    return [e for e in entries if until is None or e.at <= until]
