"""Builders for the support console's tests: an order through the real ledger, conversations and
their messages as the support app stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from aftercart.domain.facts import Fact, FactKind
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.support.models import Automation, Conversation, Message

MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday (ISO week 2026-W10)
_n = count(1)


def fact(kind: str, at: datetime, order: str | None = "1001", **payload: object) -> Fact:
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=f"{kind}:{next(_n)}",
        source="test",
        order_ref=order if kind != "tracking.event" else None,
        tracking_number=payload.get("tracking_number"),  # type: ignore[arg-type]
        payload=payload,
    )


def place(
    store, ref="1001", at=MON, email="ana@example.com", phone="+33 6 12 34 56 78", locale="fr"
) -> Order:
    facts_record(
        store=store,
        facts=[
            fact(
                "order.placed",
                at,
                order=ref,
                number=f"#{ref}",
                email=email,
                phone=phone,
                customer_name="Ana Martin",
                locale=locale,
                country="FR",
                lines=[{"line_id": "L1", "quantity": 1, "title": "Wool scarf"}],
            )
        ],
        now=at,
    )
    return Order.objects.get(store=store, external_id=ref)


def ship(store, ref="1001", tracking="1Z999AA10123456784", at=MON + timedelta(hours=5)) -> None:
    facts_record(
        store=store,
        facts=[
            fact(
                "shipment.created",
                at,
                order=ref,
                shipment_id=f"S-{ref}",
                carrier="UPS",
                tracking_number=tracking,
                lines=[{"line_id": "L1", "quantity": 1}],
            ),
            fact(
                "tracking.event",
                at + timedelta(hours=3),
                tracking_number=tracking,
                tag="InTransit",
                raw_message="Departed facility",
            ),
        ],
        now=at + timedelta(hours=3),
    )


def conversation(
    store,
    *,
    order: Order | None = None,
    at: datetime = MON,
    channel: str = "email",
    state: str = Conversation.State.NEEDS_AGENT,
    intent: str = "track_order",
    email: str = "ana@example.com",
    phone: str = "",
    text: str = "Where is my order?",
    language: str = "",
    external_id: str = "",
) -> Conversation:
    c = Conversation.objects.create(
        store=store,
        channel=channel,
        external_id=external_id or f"<thread-{next(_n)}@example.com>",
        subject="Where is my order?",
        customer_name="Ana Martin",
        customer_email=email,
        customer_phone=phone,
        language=language,
        state=state,
        intent=intent,
        intent_confidence=0.9,
        order=order,
        created_at=at,
        updated_at=at,
        last_inbound_at=at,
    )
    Message.objects.create(
        store=store,
        conversation=c,
        direction=Message.Direction.IN,
        author=Message.Author.CUSTOMER,
        channel=channel,
        dedupe_key=f"in:{next(_n)}",
        sender=email or phone,
        body=text,
        text=text,
        occurred_at=at,
        recorded_at=at,
        processed_at=at,
    )
    return c


def answer(c: Conversation, at: datetime, *, automated: bool, agent=None) -> Message:
    """A reply out (sent), with the automation's decision when it was automated."""
    inbound = c.messages.filter(direction=Message.Direction.IN).first()
    reply = Message.objects.create(
        store_id=c.store_id,
        conversation=c,
        direction=Message.Direction.OUT,
        author=Message.Author.AUTOMATION if automated else Message.Author.AGENT,
        agent=agent,
        channel=c.channel,
        dedupe_key=f"out:{next(_n)}",
        body="Your order is on its way.",
        text="Your order is on its way.",
        occurred_at=at,
        recorded_at=at,
        delivery=Message.Delivery.SENT,
        sent_at=at,
    )
    if automated:
        Automation.objects.create(
            store_id=c.store_id,
            conversation=c,
            message=inbound,
            reply=reply,
            decision=Automation.Decision.ANSWERED,
            intent=c.intent,
            confidence=0.9,
            created_at=at,
        )
    return reply
