"""What agents do with a conversation: reply, note, assign, resolve, reopen, set its order.

Each is one transaction that appends a fact (a message, a note or an event) and updates the
conversation's state fields; a reply is queued for its channel and sent by the worker's support
pass (:mod:`aftercart.support.outbound`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from aftercart.kernel.ids import new_public_id
from aftercart.orders.models import Order
from aftercart.support.models import Conversation, Message


def _event(
    conversation: Conversation, *, name: str, agent: Any, now: datetime, data: dict[str, Any] | None = None
) -> Message:
    return Message.objects.create(
        store_id=conversation.store_id,
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        kind=Message.Kind.EVENT,
        author=Message.Author.AGENT if agent is not None else Message.Author.SYSTEM,
        agent=agent,
        channel=conversation.channel,
        dedupe_key=f"event:{new_public_id()}",
        payload={"event": name, **(data or {})},
        occurred_at=now,
        recorded_at=now,
    )


@transaction.atomic
def reply_send(*, conversation: Conversation, agent: Any, body: str, now: datetime) -> Message:
    """Queue an agent's reply on the conversation's channel; the conversation waits for the customer."""
    from aftercart.support.outbound import reply_queue  # same package

    text = body.strip()
    if not text:
        raise ValueError("a reply needs a text")
    reply = reply_queue(
        conversation=conversation, text=text, author=Message.Author.AGENT, agent=agent, now=now
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        state=Conversation.State.WAITING, updated_at=now, draft_reply=""
    )
    conversation.refresh_from_db()
    return reply


@transaction.atomic
def note_add(*, conversation: Conversation, agent: Any, body: str, now: datetime) -> Message:
    """An internal note (never sent to the customer)."""
    text = body.strip()
    if not text:
        raise ValueError("a note needs a text")
    note = Message.objects.create(
        store_id=conversation.store_id,
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        kind=Message.Kind.NOTE,
        author=Message.Author.AGENT,
        agent=agent,
        channel=conversation.channel,
        dedupe_key=f"note:{new_public_id()}",
        body=text[:20000],
        text=text[:20000],
        occurred_at=now,
        recorded_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    return note


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: Any, assignee: Any, now: datetime
) -> Conversation:
    """Give the conversation to ``assignee`` (``None``: unassign); ``agent`` is who did it."""
    conversation.assignee = assignee
    conversation.updated_at = now
    if conversation.state in (Conversation.State.NEW, Conversation.State.ANSWERED):
        conversation.state = Conversation.State.NEEDS_AGENT
    conversation.save(update_fields=["assignee", "updated_at", "state"])
    _event(
        conversation, name="assigned", agent=agent, now=now, data={"assignee": getattr(assignee, "pk", None)}
    )
    return conversation


@transaction.atomic
def conversation_resolve(*, conversation: Conversation, agent: Any, now: datetime) -> Conversation:
    """Close the conversation; the customer writing again reopens it."""
    conversation.state = Conversation.State.RESOLVED
    conversation.resolved_at = now
    conversation.updated_at = now
    conversation.save(update_fields=["state", "resolved_at", "updated_at"])
    _event(conversation, name="resolved", agent=agent, now=now)
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, agent: Any, now: datetime) -> Conversation:
    """Put a resolved or answered conversation back in the agents' queue."""
    conversation.state = Conversation.State.NEEDS_AGENT
    conversation.resolved_at = None
    conversation.updated_at = now
    conversation.save(update_fields=["state", "resolved_at", "updated_at"])
    _event(conversation, name="reopened", agent=agent, now=now)
    return conversation


@transaction.atomic
def conversation_order_set(
    *, conversation: Conversation, agent: Any, order: Order | None, now: datetime
) -> Conversation:
    """Attach the conversation to ``order`` (an agent resolving an ambiguous match)."""
    if order is not None and order.store_id != conversation.store_id:
        raise ValueError("the order belongs to another store")
    conversation.order = order
    conversation.match = Conversation.Match.AGENT if order is not None else Conversation.Match.NONE
    conversation.candidates = []
    conversation.updated_at = now
    conversation.save(update_fields=["order", "match", "candidates", "updated_at"])
    _event(
        conversation, name="matched", agent=agent, now=now, data={"order": order.public_id if order else ""}
    )
    return conversation
