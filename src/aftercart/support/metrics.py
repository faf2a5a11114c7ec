"""Support figures of a period, read from the conversations and orders and computed by
:func:`aftercart.domain.support.metrics.figures` (the definitions live there).

A conversation counts in the period it was opened (``created_at`` in ``[since, until)``), an order
in the period it was placed. Its first response is its first message out (automated or an
agent's); it is *automated* when the automation answered it (an ``answered``, ``acted`` or
``refused`` decision, each of which replies) and no agent wrote to the customer.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.support.metrics import Contact, SupportFigures, figures
from aftercart.orders.models import Order
from aftercart.stores.models import Store
from aftercart.support.models import Automation, Conversation, Message

__all__ = ["REPLYING_DECISIONS", "support_contacts", "support_figures", "support_figures_json"]

#: Decisions of the automation that answer the customer.
REPLYING_DECISIONS = (
    Automation.Decision.ANSWERED,
    Automation.Decision.ACTED,
    Automation.Decision.REFUSED,
)


def support_contacts(
    *, store: Store | None = None, since: datetime | None = None, until: datetime | None = None
) -> list[Contact]:
    """The period's conversations as :class:`Contact` records (one query)."""
    rows = Conversation.objects.all()
    if store is not None:
        rows = rows.filter(store=store)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    replies = Q(messages__direction=Message.Direction.OUT, messages__kind=Message.Kind.MESSAGE)
    agent_wrote = Message.objects.filter(
        conversation=OuterRef("pk"),
        direction=Message.Direction.OUT,
        kind=Message.Kind.MESSAGE,
        author=Message.Author.AGENT,
    )
    automated_at = (
        Automation.objects.filter(conversation=OuterRef("pk"), decision__in=REPLYING_DECISIONS)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    values = rows.annotate(
        first_out=Min("messages__occurred_at", filter=replies),
        agent_wrote=Exists(agent_wrote),
        automated_at=automated_at,
    ).values(
        "store__slug",
        "store__country",
        "created_at",
        "intent",
        "customer_email",
        "customer_phone",
        "first_out",
        "agent_wrote",
        "automated_at",
    )
    contacts = []
    for r in values:
        customer = email_key(r["customer_email"]) or phone_key(r["customer_phone"], r["store__country"] or "")
        automated = r["automated_at"] is not None and not r["agent_wrote"]
        contacts.append(
            Contact(
                store=r["store__slug"],
                opened_at=r["created_at"],
                intent=r["intent"] or "other",
                customer=customer,
                automated=automated,
                first_response_at=r["first_out"],
                automated_at=r["automated_at"] if automated else None,
            )
        )
    return contacts


def support_figures(
    *, store: Store | None = None, since: datetime | None = None, until: datetime | None = None
) -> SupportFigures:
    """Every support figure of the period (every store when ``store`` is ``None``)."""
    orders = Order.objects.filter(placed_at__isnull=False)
    if store is not None:
        orders = orders.filter(store=store)
    if since is not None:
        orders = orders.filter(placed_at__gte=since)
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
    placed = [(slug, at) for slug, at in orders.values_list("store__slug", "placed_at") if at is not None]
    return figures(support_contacts(store=store, since=since, until=until), placed)


def support_figures_json(f: SupportFigures) -> dict[str, Any]:
    """The figures as the API answers them (rates as shares 0..1, times in seconds)."""
    data = asdict(f)
    data["weekly"] = [asdict(w) for w in f.weekly]
    data["by_intent"] = [{"intent": intent, "contacts": n} for intent, n in f.by_intent]
    return data
