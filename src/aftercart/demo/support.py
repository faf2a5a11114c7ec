"""The demo's support inbox: a few hundred customer messages, answered or escalated.

Customers of the demo shops write in the way real ones do — the utterances of the shared
customer-service corpus (``../shared/data/support_intents``, read at demo time when present, else
a small built-in list) — on every inbound channel (e-mail with threading headers, a helpdesk
ticket, SMS, the tracking page's form, the API), some quoting their order number, some only
writing from their e-mail address or phone, some about orders that went wrong (lost, damaged,
stalled), a few with angry words or an out-of-office. Each goes through the very path a live
message takes (:func:`aftercart.support.services.message_take`): stored, classified, matched,
then answered with the order's next step, acted on, asked "which order?", or escalated.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from aftercart.orders.models import Order
from aftercart.stores.models import Store
from aftercart.support.models import SupportSettings
from aftercart.support.services import Inbound, message_take

#: The shared corpus, when this checkout sits beside ../shared.
CORPUS = Path(settings.BASE_DIR).parents[1].parent / "shared" / "data" / "support_intents"
#: Messages per shop.
PER_STORE = 120

#: A few utterances per intent, for a checkout without ../shared.
BUILT_IN: dict[str, tuple[str, ...]] = {
    "track_order": (
        "where is my order?",
        "can you tell me where my package is",
        "I still haven't got my parcel, what's going on",
        "track my order please",
    ),
    "delivery_period": ("when will my order arrive?", "how long until my parcel gets here"),
    "cancel_order": ("please cancel my order", "I want to cancel the order I just placed"),
    "change_shipping_address": ("I need to change the delivery address of my order",),
    "get_refund": ("I want a refund", "how do I get my money back for this order"),
    "complaint": ("I want to file a complaint, this is unacceptable",),
    "contact_human_agent": ("can I talk to a real person please",),
    "review": ("I'd like to leave a review of my purchase",),
}
#: The intents customers of a post-purchase inbox mostly write about, with their weights.
MIX = (
    ("track_order", 40),
    ("delivery_period", 12),
    ("cancel_order", 8),
    ("change_shipping_address", 6),
    ("get_refund", 8),
    ("track_refund", 3),
    ("complaint", 5),
    ("contact_human_agent", 4),
    ("review", 3),
    ("check_invoice", 3),
    ("payment_issue", 3),
)
TROUBLE = ("lost", "damaged", "stalled", "delivery_problem", "attempt_failed", "delayed")


@dataclass
class SupportSeeded:
    """What the seeding did: messages by channel, decisions by kind, and a few conversations."""

    messages: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)


def utterances() -> dict[str, list[str]]:
    """The corpus's utterances by intent (the built-in list when ../shared is absent)."""
    found: dict[str, list[str]] = {}
    for path in sorted(CORPUS.glob("*utterances*.csv")) if CORPUS.is_dir() else []:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                text, intent = (row.get("utterance") or "").strip(), (row.get("intent") or "").strip()
                if text and intent and "{{" not in text:
                    found.setdefault(intent, []).append(text)
        break
    return found or {k: list(v) for k, v in BUILT_IN.items()}


def seed_support(*, stores: dict[str, Store], now: datetime, per_store: int = PER_STORE) -> SupportSeeded:
    """Configure each shop's support inbox and run a realistic inbound mix through it."""
    rng = random.Random(15)
    said = utterances()
    intents = [i for i, _ in MIX if i in said] or sorted(said)
    weights = [dict(MIX).get(i, 1) for i in intents]
    seeded = SupportSeeded()
    for slug, store in stores.items():
        SupportSettings.objects.get_or_create(
            store=store,
            defaults={"inbound_addresses": [f"support@{slug}.example"], "confidence_threshold": 0.6},
        )
        orders = list(
            Order.objects.filter(store=store, placed_at__lte=now)
            .exclude(email="")
            .order_by("-placed_at", "-pk")[:400]  # ties broken: the same orders, so a re-seed repeats itself
        )
        if not orders:
            continue
        trouble = [o for o in orders if o.next_step in TROUBLE]
        for i in range(per_store):
            intent = rng.choices(intents, weights)[0]
            order = rng.choice(trouble) if trouble and rng.random() < 0.18 else rng.choice(orders)
            text = rng.choice(said[intent])
            inbound = _message(rng, store, order, intent, text, i, now)
            received, automation = message_take(
                store_id=store.pk, inbound=inbound, now=inbound.occurred_at or now
            )
            seeded.messages += 1
            seeded.by_channel[inbound.channel] += 1
            decision = automation.decision if automation is not None else "stored"
            seeded.decisions[decision] += 1
            seeded.examples.setdefault(decision, received.conversation.public_id)
    return seeded


def _message(
    rng: random.Random, store: Store, order: Order, intent: str, text: str, i: int, now: datetime
) -> Inbound:
    number = order.number or order.external_id
    roll = rng.random()
    if roll < 0.45:
        text = f"{text} Order {number}." if rng.random() < 0.5 else f"{text} ({number})"
    elif roll < 0.5:
        text = f"{text}!! This is ridiculous, nobody answers."  # an angry customer
    elif roll < 0.53:
        text = f"Hi, my order {number} arrived broken. {text}"
    if intent == "change_shipping_address" and rng.random() < 0.6:
        text += (
            f"\n\nNew address: {rng.randint(1, 99)} Harbour Street, {rng.randint(10000, 99999)} Springfield"
        )
    at = now - timedelta(minutes=rng.randint(5, 60 * 24 * 3))
    # The channels the demo answers on by itself (its local mailbox, the page, the API); a
    # helpdesk or Twilio needs the store's own account (docs/support.md).
    channel = rng.choices(["email", "form", "api"], [60, 22, 18])[0]
    name = "Demo Customer"
    if channel == "email":
        headers = {"message-id": f"<demo-{store.slug}-{i}@mail.example.com>"}
        if rng.random() < 0.03:
            headers["auto-submitted"] = "auto-replied"
            text = f"I am out of the office until Monday. {text}"
        return Inbound(
            channel="email",
            message_id=headers["message-id"],
            sender_email=order.email,
            sender_name=name,
            recipient=f"support@{store.slug}.example",
            subject=rng.choice(["Where is my order?", "Question about my order", "Help", f"Order {number}"]),
            text=f"{text}\n\nThanks\n-- \n{name}\n\nOn Mon, {store.name} wrote:\n> Your order is confirmed",
            headers=headers,
            occurred_at=at,
            region=store.country,
        )
    if channel == "form":
        return Inbound(
            channel="form",
            sender_email=order.email,
            sender_name=name,
            text=text,
            order_id=order.pk,
            occurred_at=at,
        )
    return Inbound(
        channel="api",
        message_id=f"demo-api-{store.slug}-{i}",
        sender_email=order.email,
        sender_name=name,
        text=text,
        occurred_at=at,
    )
