"""Writes for the demo: the two simulated shops, their orders, an operator login and API keys.

Orders reach the ledger exactly as an integrator's would: canonical API models → facts →
:func:`facts_record`, in batches. Seeding is idempotent (every simulated event has a stable
idempotency key), so seeding twice with the same seed and ``now`` records nothing new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from aftercart.demo.simulate import BRANDS, Brand, simulate
from aftercart.orders.models import Order, Shipment
from aftercart.orders.services import facts_record
from aftercart.stores.models import ApiKey, Store
from aftercart.stores.services import api_key_issue, api_key_revoke, store_create

DEMO_SLUGS = tuple(brand.slug for brand in BRANDS)
OPERATOR_USERNAME = "demo"
OPERATOR_PASSWORD = "aftercart-demo"  # printed by the command: this is a local demo login
API_KEY_NAME = "demo"

#: Next steps worth opening first, in the order the command lists them.
INTERESTING = (
    "lost",
    "damaged",
    "returning_to_sender",
    "item_unavailable",
    "attempt_failed",
    "ready_for_pickup",
    "delayed",
    "out_for_delivery",
    "partially_shipped",
    "shipped",
    "being_prepared",
    "awaiting_fulfilment",
    "cancelled",
    "delivered",
)


@dataclass
class DemoSummary:
    """What the demo shops hold (and, after seeding, what the seeding recorded)."""

    seed: int | None = None
    now: datetime | None = None
    orders: int = 0
    orders_by_store: dict[str, int] = field(default_factory=dict)
    by_next_step: dict[str, int] = field(default_factory=dict)
    carriers: dict[str, list[str]] = field(default_factory=dict)
    #: next step → [(order number, external id)], a few of each.
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    facts_received: int = 0
    facts_accepted: int = 0
    duplicates: int = 0
    orphaned: int = 0


def _store_fields(brand: Brand) -> dict[str, object]:
    return {
        "name": brand.name,
        "country": brand.country,
        "timezone": brand.timezone,
        "default_locale": brand.locale,
        "branding": brand.branding,
    }


@transaction.atomic
def demo_stores_ensure() -> dict[str, Store]:
    """The demo stores by slug, created (or brought back to the demo's settings) as needed."""
    stores = {}
    for brand in BRANDS:
        store = Store.objects.filter(slug=brand.slug).first()
        if store is None:
            store = store_create(slug=brand.slug, **_store_fields(brand))  # type: ignore[arg-type]
        else:
            for name, value in _store_fields(brand).items():
                setattr(store, name, value)
            store.save()
        stores[brand.slug] = store
    return stores


def demo_order_count() -> int:
    """How many orders the demo stores already hold."""
    return Order.objects.filter(store__slug__in=DEMO_SLUGS).count()


@transaction.atomic
def demo_reset() -> int:
    """Delete the demo stores and everything in them (orders, facts, keys). Returns the number of
    orders removed."""
    count = demo_order_count()
    Store.objects.filter(slug__in=DEMO_SLUGS).delete()
    return count


def seed_demo(
    *,
    seed: int = 7,
    orders: int = 600,
    now: datetime | None = None,
    batch_size: int = 100,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Simulate ``orders`` orders over the 30 days before ``now`` and record them in the demo
    stores, ``batch_size`` orders per ledger transaction. ``progress(n)`` is told as orders are
    recorded."""
    now = now or timezone.now()
    stores = demo_stores_ensure()
    by_brand = defaultdict(list)
    for order in simulate(seed=seed, orders=orders, now=now):
        by_brand[order.brand].append(order)
    summary = DemoSummary(seed=seed, now=now)
    for slug, simulated in by_brand.items():
        for start in range(0, len(simulated), batch_size):
            batch = simulated[start : start + batch_size]
            result = facts_record(store=stores[slug], facts=[f for o in batch for f in o.facts()], now=now)
            summary.facts_received += result.received
            summary.facts_accepted += result.accepted
            summary.duplicates += result.duplicates
            summary.orphaned += result.orphaned
            if progress:
                progress(len(batch))
    _describe(summary)
    return summary


def demo_overview() -> DemoSummary:
    """What the demo stores hold now, without seeding anything."""
    summary = DemoSummary()
    _describe(summary)
    return summary


def _describe(summary: DemoSummary) -> None:
    orders = Order.objects.filter(store__slug__in=DEMO_SLUGS)
    summary.orders = orders.count()
    summary.orders_by_store = dict(
        orders.values_list("store__slug").annotate(n=Count("id")).order_by("store__slug")
    )
    steps = Counter(dict(orders.values_list("next_step").annotate(n=Count("id"))))
    summary.by_next_step = dict(sorted(steps.items(), key=lambda kv: (-kv[1], kv[0])))
    carriers: dict[str, set[str]] = defaultdict(set)
    for slug, carrier in (
        Shipment.objects.filter(store__slug__in=DEMO_SLUGS).values_list("store__slug", "carrier").distinct()
    ):
        carriers[slug].add(carrier)
    summary.carriers = {slug: sorted(names) for slug, names in sorted(carriers.items())}
    summary.examples = {}
    for code in INTERESTING:
        # The most recent few: freshest journeys make the best demo.
        rows = orders.filter(next_step=code).order_by("-placed_at").values_list("number", "external_id")[:3]
        if rows:
            summary.examples[code] = list(rows)


@transaction.atomic
def demo_operator_ensure(*, username: str = OPERATOR_USERNAME, password: str = OPERATOR_PASSWORD):  # type: ignore[no-untyped-def]
    """A superuser for the admin and the operator console, with a known password (demo only)."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults={"email": "demo@example.com"})
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def demo_api_keys_issue() -> dict[str, str]:
    """A fresh API key per demo store (slug → token). Tokens are shown once and only their hash is
    kept, so earlier demo keys are revoked rather than left behind unknown."""
    tokens = {}
    for slug, store in demo_stores_ensure().items():
        for old in ApiKey.objects.filter(store=store, name=API_KEY_NAME, revoked_at__isnull=True):
            api_key_revoke(api_key=old)
        tokens[slug] = api_key_issue(store=store, name=API_KEY_NAME).token
    return tokens
