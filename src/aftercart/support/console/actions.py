"""What an agent does from the console beyond the support app's own services: cancel an order
before it is fulfilled (through :func:`aftercart.orders.cancel.order_cancel`, the one cancellation
path), recorded on the conversation it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from aftercart.domain.facts import Fact, FactKind
from aftercart.kernel.ids import new_public_id
from aftercart.orders.cancel import order_cancel
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.support.console.reads import can_cancel
from aftercart.support.models import Conversation, Message

__all__ = ["CancelRefused", "order_cancel_by_agent"]


class CancelRefused(Exception):
    """The order has been fulfilled (or cancelled) already: nothing was written."""


def order_cancel_by_agent(
    *, order: Order, agent: Any, now: datetime, conversation: Conversation | None = None, reason: str = ""
) -> None:
    """Cancel ``order`` as the store (source ``console``), only while nothing of it has left the
    warehouse; the conversation, when given, records who did it (an ``action`` event)."""
    with transaction.atomic():
        if not can_cancel(order_state(order)):
            raise CancelRefused(order.external_id)
        who = agent.get_username() if agent is not None else "console"
        fact = Fact(
            kind=FactKind.ORDER_CANCELLED,
            occurred_at=now,
            idempotency_key=f"console-cancel:{order.public_id}",
            source="console",
            order_ref=order.external_id,
            payload={"reason": reason or "cancelled by support", "by": who},
        )
        order_cancel(store=order.store, order=order, fact=fact, now=now)
        if conversation is not None:
            Message.objects.create(
                store_id=conversation.store_id,
                conversation=conversation,
                direction=Message.Direction.INTERNAL,
                kind=Message.Kind.EVENT,
                author=Message.Author.AGENT,
                agent=agent,
                channel=conversation.channel,
                dedupe_key=f"event:{new_public_id()}",
                payload={"event": "action", "action": "cancel_order", "order": order.public_id},
                occurred_at=now,
                recorded_at=now,
            )
