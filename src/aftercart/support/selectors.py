"""Reads of support conversations for the console, the helpdesk sidebar and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from aftercart.support.models import Automation, Conversation, Message


@dataclass(frozen=True)
class ConversationDetail:
    """One conversation with everything an agent needs: its facts, the automation's decisions,
    the matched order's public id and the candidates when several orders were open."""

    conversation: Conversation
    messages: list[Message]
    automations: list[Automation]


def conversations_list(
    *,
    store_id: int | None = None,
    states: list[str] | None = None,
    channel: str = "",
    intent: str = "",
    assignee_id: int | None = None,
    unassigned: bool = False,
    query: str = "",
    since: datetime | None = None,
    limit: int = 100,
) -> QuerySet[Conversation]:
    """Conversations, newest activity first, filtered; store, order and assignee loaded (no N+1).

    ``query`` matches the subject, the customer's e-mail, phone or name, or the order's number."""
    rows = Conversation.objects.select_related("store", "order", "assignee")
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    if states:
        rows = rows.filter(state__in=states)
    if channel:
        rows = rows.filter(channel=channel)
    if intent:
        rows = rows.filter(intent=intent)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    if unassigned:
        rows = rows.filter(assignee__isnull=True)
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    if query:
        q = query.strip()
        rows = rows.filter(
            Q(subject__icontains=q)
            | Q(customer_email__icontains=q)
            | Q(customer_phone__icontains=q)
            | Q(customer_name__icontains=q)
            | Q(order__number__iexact=q.lstrip("#"))
            | Q(order__number__iexact=q)
        )
    return rows.order_by("-updated_at", "-id")[:limit]


def conversation_detail(*, public_id: str) -> ConversationDetail | None:
    """The conversation with this public id, its messages in order and its automation records."""
    conversation = (
        Conversation.objects.select_related("store", "order", "assignee").filter(public_id=public_id).first()
    )
    if conversation is None:
        return None
    messages = list(conversation.messages.select_related("agent").order_by("occurred_at", "id"))
    automations = list(conversation.automations.order_by("created_at", "id"))
    return ConversationDetail(conversation=conversation, messages=messages, automations=automations)


def conversations_for_order(*, order_id: int) -> QuerySet[Conversation]:
    """An order's conversations (the helpdesk sidebar, the order's page)."""
    return Conversation.objects.filter(order_id=order_id).order_by("-updated_at")


def state_counts(*, store_id: int | None = None) -> dict[str, int]:
    """How many conversations are in each state (the console's tabs)."""
    rows = Conversation.objects.all()
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    counts = {state: 0 for state in Conversation.State.values}
    for row in rows.values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts


def automation_summary(*, store_id: int | None = None, since: datetime | None = None) -> dict[str, Any]:
    """Decisions by kind and by intent (for metrics): ``{"decisions": {...}, "intents": {...}}``."""
    rows = Automation.objects.all()
    if store_id is not None:
        rows = rows.filter(store_id=store_id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    decisions = {r["decision"]: r["n"] for r in rows.values("decision").annotate(n=Count("id"))}
    intents = {r["intent"]: r["n"] for r in rows.values("intent").annotate(n=Count("id"))}
    return {"decisions": decisions, "intents": intents}
