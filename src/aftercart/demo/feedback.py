"""The demo shops' feedback and retention, through the same services and the same worker pass as
production: surveys planned after delivery (some held back because something is open on the order,
some held out), answered in every state (happy, unhappy with each reason), review requests only
for the satisfied, a person's follow-up for the unhappy, replenishment reminders timed from a
history of repeat purchases, placements in the delivered e-mail and on the tracking page, and
journeys running with holdout groups (``/ops/feedback`` shows the figures and the impact table).

Deterministic and idempotent: fixed customers and fact keys, answers chosen in a fixed order, and a
second seeding finds what the first made (one survey per order, one reminder per product).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.feedback.reasons import REASONS
from aftercart.feedback.models import FeedbackSettings, Placement, Reminder, Survey
from aftercart.feedback.surveys import survey_answer_record
from aftercart.feedback.worker import feedback_pass
from aftercart.orders.services import RecordResult, facts_record
from aftercart.stores.models import Store

#: Each shop's settings: the US shop asks CSAT, the French one NPS; both hold some customers out.
SETTINGS: dict[str, dict[str, Any]] = {
    "northwind": {
        "scale": "csat",
        "holdout": {"survey": 0.2, "onboarding": 0.2, "replenishment": 0.3, "review_request": 0.1},
        "shop_url": "https://northwind.example/shop",
        "replenishment_min_intervals": 4,
        "replenishment_min_customers": 3,
    },
    "lumiere": {
        "scale": "nps",
        "holdout": {"survey": 0.25, "replenishment": 0.3},
        "shop_url": "https://lumiere.example/boutique",
        "replenishment_min_intervals": 4,
        "replenishment_min_customers": 3,
    },
}
PLACEMENTS: dict[str, list[dict[str, Any]]] = {
    "northwind": [
        {"slot": "delivered_email", "kind": "cross_sell", "title": "Complete the kit",
         "body": "Wool Hiking Socks keep feet dry on the trail: 15% off with code TRAIL15.",
         "link_url": "https://northwind.example/socks", "link_label": "Shop socks", "holdout_share": 0.25},
        {"slot": "tracking_page", "kind": "loyalty", "title": "Join the Trail Club",
         "body": "Earn points on every order and get early access to new gear.",
         "link_url": "https://northwind.example/club", "link_label": "Join for free", "holdout_share": 0.25},
    ],
    "lumiere": [
        {"slot": "tracking_page", "kind": "cross_sell", "title": "Recharges de diffuseur",
         "body": "Le Néroli en recharge, pour les mois à venir.",
         "link_url": "https://lumiere.example/recharges", "link_label": "Découvrir", "holdout_share": 0.2},
    ],
}  # fmt: skip
#: Consumables the shops' customers buy again: (product id, sku, title, days between purchases).
REPEATS = {
    "northwind": ("nw-sk", "NW-SK-012", "Wool Hiking Socks (3-pack)", (33, 35, 36, 38, 34, 35)),
    "lumiere": ("ml-df", "ML-DF-NER", "Diffuseur Néroli", (48, 50, 52, 47, 55)),
}
#: The history's order references start with this (the simulated month's never do).
HISTORY_PREFIX = "FB-"
#: Orders the repeat-purchase history adds to the simulated month (three per regular, two due now).
HISTORY_ORDERS = sum(3 * len(gaps) + 2 for _, _, _, gaps in REPEATS.values())
HAPPY = {
    "northwind": ("Great fit and it arrived a day early.", "Exactly what I needed for the trip."),
    "lumiere": ("Très beau, emballage soigné.", "Livraison rapide, produit superbe."),
}
#: What an unhappy customer of each reason wrote (each reason shown once).
UNHAPPY_TEXT = {
    "delivery_late": "It came four days after the date you gave me.",
    "partial_delivery": "The socks were missing from the box.",
    "other_delivery_problem": "The courier left it in the rain.",
    "low_quality": "The seams came apart after one wash.",
    "not_as_described": "The colour is nothing like the photos.",
    "return_wanted": "Too small, I want to send it back.",
    "other_order_problem": "I was charged twice.",
}


@dataclass
class FeedbackSeeded:
    """What the demo's feedback seeding left, for the summary."""

    surveys: dict[str, int] = field(default_factory=dict)
    answers: int = 0
    unhappy_reasons: list[str] = field(default_factory=list)
    review_requests: int = 0
    reminders: dict[str, int] = field(default_factory=dict)
    #: What the repeat buyers' history recorded in the ledger.
    facts: RecordResult = field(default_factory=RecordResult)


def _repeat_history(store: Store, now: datetime) -> RecordResult:
    """A few customers who bought the shop's consumable again and again in the past months (old
    facts: history, never messaged), and two whose last purchase is about due again now."""
    product, sku, title, gaps = REPEATS[store.slug]
    facts: list[Fact] = []
    for c, gap in enumerate(gaps):
        start = now - timedelta(days=60 + 3 * gap + c)
        for k in range(3):
            placed = start + timedelta(days=k * gap)
            facts += _order_facts(
                store, f"repeat-{c}-{k}", f"repeat{c}@{store.slug}.example", placed, product, sku, title
            )
    for c, days in ((0, gaps[0] + 1), (1, gaps[1] - 1)):
        placed = now - timedelta(days=days)
        facts += _order_facts(
            store, f"due-{c}", f"regular{c}@{store.slug}.example", placed, product, sku, title
        )
    return facts_record(store=store, facts=facts, now=now)


def _order_facts(
    store: Store, key: str, email: str, placed: datetime, product: str, sku: str, title: str
) -> list[Fact]:
    ref = f"{HISTORY_PREFIX}{key}"
    tracking = "FB" + hashlib.blake2b(f"{store.slug}:{key}".encode(), digest_size=6).hexdigest().upper()
    line = {
        "line_id": "1",
        "sku": sku,
        "title": title,
        "product_id": product,
        "quantity": 1,
        "unit_price": "36.00",
    }
    return [
        Fact(kind=FactKind.ORDER_PLACED, occurred_at=placed, idempotency_key=f"fb-placed-{key}", source="demo",
             order_ref=ref, payload={"order": ref, "number": ref, "email": email, "currency": "USD",
                                     "total": "36.00", "lines": [line]}),
        Fact(kind=FactKind.SHIPMENT_CREATED, occurred_at=placed + timedelta(hours=20),
             idempotency_key=f"fb-ship-{key}", source="demo", order_ref=ref, tracking_number=tracking,
             payload={"shipment_id": f"{ref}-S1", "carrier": "ups", "tracking_number": tracking,
                      "lines": [{"line_id": "1", "quantity": 1}]}),
        Fact(kind=FactKind.TRACKING_EVENT, occurred_at=placed + timedelta(days=3), idempotency_key=f"fb-dlv-{key}",
             source="demo", order_ref=None, tracking_number=tracking,
             payload={"tracking_number": tracking, "carrier": "ups", "tag": "delivered", "raw_message": "Delivered"}),
    ]  # fmt: skip


def seed_feedback(*, stores: Mapping[str, Store], now: datetime) -> FeedbackSeeded:
    """Configure the demo shops' feedback, run the feedback pass and answer surveys in every state."""
    seeded = FeedbackSeeded()
    for slug, store in stores.items():
        FeedbackSettings.objects.update_or_create(store=store, defaults=SETTINGS.get(slug, {}))
        for spec in PLACEMENTS.get(slug, []):
            Placement.objects.get_or_create(
                store=store, slot=spec["slot"], title=spec["title"], defaults=spec
            )
        if slug in REPEATS:
            recorded = _repeat_history(store, now)
            seeded.facts.received += recorded.received
            seeded.facts.accepted += recorded.accepted
            seeded.facts.duplicates += recorded.duplicates
    while feedback_pass(now=now):
        pass
    unhappy = [r for r in UNHAPPY_TEXT if r in REASONS]
    for slug, store in stores.items():
        asked = list(
            Survey.objects.filter(store=store, status=Survey.Status.SENT)
            .select_related("order")
            .order_by("order__external_id")
        )
        nps = SETTINGS.get(slug, {}).get("scale") == "nps"
        for i, survey in enumerate(asked):
            if i % 5 == 4:
                continue  # some never answer: the response rate is not 100 %
            if slug == "northwind" and unhappy and i % 4 == 1:
                reason = unhappy.pop(0)
                score, text = (1 if len(unhappy) % 2 else 2), UNHAPPY_TEXT[reason]
                seeded.unhappy_reasons.append(reason)
            else:
                reason = "satisfied" if i % 3 else ""
                score = (10, 9, 7, 9, 3, 10)[i % 6] if nps else (5, 4, 5, 3, 5, 4)[i % 6]
                text = HAPPY.get(slug, ("",))[i % 2] if i % 2 == 0 else ""
            answered = survey_answer_record(
                order=survey.order,
                about=survey.about,
                score=score,
                reason=reason,
                text=text,
                via="email",
                now=now,
            )
            seeded.answers += 1
            seeded.review_requests += answered.survey.review_requested_at is not None
    # The follow-ups the unhappy answers opened hold back what would have gone next.
    while feedback_pass(now=now):
        pass
    seeded.surveys = dict(
        Counter(Survey.objects.filter(store__in=stores.values()).values_list("status", flat=True))
    )
    seeded.reminders = dict(
        Counter(
            f"{kind}:{status}"
            for kind, status, product in Reminder.objects.filter(store__in=stores.values()).values_list(
                "kind", "status", "product"
            )
            if product or kind == Reminder.Kind.ONBOARDING
        )
    )
    return seeded
