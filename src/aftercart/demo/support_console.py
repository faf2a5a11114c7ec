"""The demo's support history, for the agent's console and its figures: the four weeks before the
live inbox (``demo/support.py``, the last three days), customers writing about their orders through
the support app's real inbound path (stored, classified, matched, answered automatically or
escalated), the escalated ones answered by the demo agent a few hours later, a few customers
writing again after an automated answer. Without it the weekly figures would have one week.

Everything goes through the services (``message_receive``, ``message_process``, ``reply_send``,
``conversation_resolve``) at the moment it would have happened, so the console's timeline, inbox
and metrics show what a real month would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from aftercart.orders.models import Order
from aftercart.stores.models import Store
from aftercart.support.inbound import Inbound
from aftercart.support.models import Conversation
from aftercart.support.services import (
    conversation_resolve,
    message_process,
    message_receive,
    reply_send,
)

#: The demo agent who answers escalated conversations (staff, no password: log in as the demo
#: operator to see the console).
AGENT_USERNAME = "demo-agent"
#: Share of the month's orders whose customer writes (a store with no support automation sees
#: one "where is my order?" for every 10 to 20 orders).
WRITE_SHARE = 0.08

_QUESTIONS = (
    ("Where is my order?", "Hi, where is my order {number}? I have not received anything yet."),
    ("Delivery date", "When will order {number} arrive? I need it before the weekend."),
    ("Tracking", "Can you tell me where my parcel is? Order {number}."),
    ("Refund", "I would like a refund for order {number}, how do I do that?"),
    ("Cancel", "Please cancel my order {number}."),
    ("Broken item", "My order {number} arrived and the item is broken. What can you do?"),
)
_WEIGHTS = (40, 20, 15, 10, 8, 7)


@dataclass
class SupportDemo:
    """What was seeded: conversations, how many escalated and answered by the agent, links."""

    conversations: int = 0
    answered_by_agent: int = 0
    waiting: list[str] = field(default_factory=list)


def _agent():  # type: ignore[no-untyped-def]
    user, created = get_user_model().objects.get_or_create(
        username=AGENT_USERNAME, defaults={"is_staff": True, "email": "agent@demo.example"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def seed_support_console(*, stores: dict[str, Store], now: datetime, seed: int = 11) -> SupportDemo:
    """Customers writing about the last four weeks' orders (see the module's docstring)."""
    rnd = random.Random(seed)
    agent = _agent()
    out = SupportDemo()
    since = now - timedelta(days=28)
    for _slug, store in sorted(stores.items()):
        orders = list(
            Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=now - timedelta(days=1))
            .exclude(email="")
            .order_by("placed_at", "pk")
        )
        for order in orders:
            # Every draw is made for every order, whatever happens next, so that seeding again
            # (when conversations already moved on) walks the same orders and adds nothing.
            writes, question = rnd.random(), rnd.choices(_QUESTIONS, weights=_WEIGHTS)[0]
            delay, retry, retry_delay, answer_delay = (
                rnd.uniform(20, 24 * 6),
                rnd.random(),
                rnd.uniform(6, 60),
                rnd.uniform(0.5, 9),
            )
            if writes >= WRITE_SHARE or order.placed_at is None:
                continue
            subject, text = question
            at = min(order.placed_at + timedelta(hours=delay), now - timedelta(hours=2))
            c = _write(store, order, subject, text.format(number=order.number or order.external_id), at)
            out.conversations += 1
            if c.state == Conversation.State.ANSWERED and retry < 0.15:
                # Not helped: the same customer writes again.
                again = min(at + timedelta(hours=retry_delay), now - timedelta(hours=1))
                c = _write(store, order, f"Re: {subject}", "I still have no news, can someone help?", again)
                at = again
            if c.state == Conversation.State.NEEDS_AGENT and at < now - timedelta(hours=12):
                answered = at + timedelta(hours=answer_delay)
                reply_send(
                    conversation=c,
                    agent=agent,
                    body=f"Hello,\n\nThank you for writing: I have looked at order {order.number} "
                    "myself and will keep you posted today.\n\nKind regards,\n" + store.name,
                    now=answered,
                )
                conversation_resolve(conversation=c, agent=agent, now=answered + timedelta(minutes=5))
                out.answered_by_agent += 1
            elif c.state == Conversation.State.NEEDS_AGENT:
                out.waiting.append(c.public_id)
    return out


def _write(store: Store, order: Order, subject: str, text: str, at: datetime) -> Conversation:
    received = message_receive(
        store_id=store.pk,
        inbound=Inbound(
            channel="email",
            message_id=f"<demo-{order.public_id}-{int(at.timestamp())}@mail.demo.example>",
            sender_email=order.email,
            recipient=f"help@{store.slug}.example",
            subject=subject,
            text=text,
            occurred_at=at,
        ),
        now=at,
    )
    message_process(message_id=received.message.pk, now=at)
    return Conversation.objects.get(pk=received.conversation.pk)
