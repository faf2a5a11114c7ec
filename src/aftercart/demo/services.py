"""Writes for the demo: the two simulated shops, their orders, an operator login and API keys.

Orders reach the ledger exactly as an integrator's would: canonical API models → facts →
:func:`facts_record`, in batches. Seeding is idempotent (every simulated event has a stable
idempotency key), so seeding twice with the same seed and ``now`` records nothing new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from aftercart.demo.claims import demo_claim_links, seed_claims
from aftercart.demo.feedback import seed_feedback
from aftercart.demo.returns import demo_easypost_configure, seed_returns
from aftercart.demo.simulate import BRANDS, Brand, simulate
from aftercart.demo.support import seed_support
from aftercart.demo.support_console import seed_support_console
from aftercart.domain.facts import Fact
from aftercart.domain.messaging import Channel
from aftercart.domain.widget import site_origin
from aftercart.exceptions.services import exceptions_sweep
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.links import tracking_url
from aftercart.notifications.services import channel_config_ensure
from aftercart.orders.models import Fact as LedgerFact
from aftercart.orders.models import Order, Shipment
from aftercart.orders.services import facts_record
from aftercart.orders.windows import models_refit_due, promises_make
from aftercart.returns.models import LabelPurchase, Return
from aftercart.returns.services.purchase import label_purchases_due
from aftercart.stores.care import care_instruction_put
from aftercart.stores.models import ApiKey, Store
from aftercart.stores.services import (
    api_key_issue,
    api_key_revoke,
    store_create,
    store_widget_configure,
    store_widget_secret_rotate,
)

DEMO_SLUGS = tuple(brand.slug for brand in BRANDS)
OPERATOR_USERNAME = "demo"
OPERATOR_PASSWORD = "aftercart-demo"  # printed by the command: this is a local demo login
API_KEY_NAME = "demo"
#: The month is replayed an hour at a time, and swept for stalls every six simulated hours.
REPLAY_STEP = timedelta(hours=1)
SWEEP_EVERY = timedelta(hours=6)
#: Simulated time between refits of a demo shop's delivery model on the clock (a shop whose
#: history grew by a tenth, or reached the minimum, is refitted at the next sweep anyway).
DEMO_REFIT_EVERY = timedelta(days=1)

#: Next steps worth opening first, in the order the command lists them.
INTERESTING = (
    "lost",
    "damaged",
    "returning_to_sender",
    "item_unavailable",
    "attempt_failed",
    "ready_for_pickup",
    "stalled",
    "delayed",
    "late_to_ship",
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
    #: The exception journeys worth showing, one order each: (what it shows, number, tracking link).
    showcase: list[tuple[str, str, str]] = field(default_factory=list)
    facts_received: int = 0
    facts_accepted: int = 0
    duplicates: int = 0
    #: Carrier events for parcels nobody knows (a return's parcel is known to its return).
    orphaned: int = 0
    emails_sent: int = 0
    #: The demo returns, by what they show → their status (one in every state).
    returns: dict[str, str] = field(default_factory=dict)
    #: Prepaid return labels bought from the local EasyPost stand-in.
    labels_bought: int = 0
    #: ... → (their order's number, the return's page in the shoppers' portal).
    return_links: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The demo claims: what each shows → (status, order number, the claim's page).
    claims: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Support messages seeded, by what the automation decided (answered, escalated, ...).
    support: dict[str, int] = field(default_factory=dict)


class _StoreFields(TypedDict):
    name: str
    country: str
    timezone: str
    default_locale: str
    currency: str
    branding: dict[str, Any]
    review_url: str


def _store_fields(brand: Brand) -> _StoreFields:
    return {
        "name": brand.name,
        "country": brand.country,
        "timezone": brand.timezone,
        "default_locale": brand.locale,
        "currency": brand.currency,
        "branding": brand.branding,
        "review_url": brand.review_url,
    }


@transaction.atomic
def demo_stores_ensure() -> dict[str, Store]:
    """The demo stores by slug, created (or brought back to the demo's settings) as needed."""
    stores = {}
    for brand in BRANDS:
        store = Store.objects.filter(slug=brand.slug).first()
        if store is None:
            store = store_create(slug=brand.slug, **_store_fields(brand))
        else:
            for name, value in _store_fields(brand).items():
                setattr(store, name, value)
            store.save()
        for category, language, text in brand.care:
            care_instruction_put(store=store, category=category, language=language, text=text)
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
    # Returns first: a return keeps the policy version it was judged under (protected).
    Return.objects.filter(store__slug__in=DEMO_SLUGS).delete()
    Store.objects.filter(slug__in=DEMO_SLUGS).delete()
    return count


def seed_demo(
    *,
    seed: int = 7,
    orders: int = 600,
    now: datetime | None = None,
    step: timedelta = REPLAY_STEP,
    deliver: bool = False,
    progress: Callable[[int], None] | None = None,
    easypost: tuple[str, str] | None = None,
) -> DemoSummary:
    """Simulate ``orders`` orders over the 30 days before ``now`` and replay the month through the
    ledger in time order, ``step`` at a time, as if it were happening live: each slice of facts is
    recorded with ``now`` at the slice's end, so the planner decides every message when it would
    have (frequency caps and consolidation windows see real spacing), and the exception sweep runs
    every few hours of simulated time.

    With ``deliver``, the messages due by each slice's end are also sent through the configured
    e-mail backend (the demo points it at its local mailbox), so the mailbox holds the month's
    e-mails as customers would have received them. ``progress(n)`` is told as orders complete.

    With ``easypost`` (base URL, API key: the demo's local stand-in), the US shop buys its returns'
    prepaid labels there, through the worker's label pass, before the last messages go out.
    """
    now = now or timezone.now()
    stores = demo_stores_ensure()
    summary = DemoSummary(seed=seed, now=now)
    timeline: list[tuple[datetime, str, Fact]] = []
    finished_at: Counter[datetime] = Counter()
    for order in simulate(seed=seed, orders=orders, now=now):
        facts = order.facts()
        timeline.extend((f.occurred_at, order.brand, f) for f in facts)
        finished_at[_slice_end(max(f.occurred_at for f in facts), now, step)] += 1
    timeline.sort(key=lambda item: item[0])
    next_sweep = timeline[0][0] + SWEEP_EVERY if timeline else now
    index = 0
    while index < len(timeline):
        until = _slice_end(timeline[index][0], now, step)
        by_store: dict[str, list[Fact]] = defaultdict(list)
        while index < len(timeline) and timeline[index][0] <= until:
            by_store[timeline[index][1]].append(timeline[index][2])
            index += 1
        for slug, facts in by_store.items():
            result = facts_record(store=stores[slug], facts=facts, now=until)
            summary.facts_received += result.received
            summary.facts_accepted += result.accepted
            summary.duplicates += result.duplicates
            summary.orphaned += result.orphaned
        if until >= next_sweep:
            _worker_pass(until)
            next_sweep = until + SWEEP_EVERY
        if deliver:
            summary.emails_sent += _deliver_due(until)
        if progress and finished_at[until]:
            progress(finished_at[until])
    if easypost is not None:
        demo_easypost_configure(stores, *easypost)
    # Returns of the past week on orders delivered earlier, in every state, through the services.
    returned = seed_returns(stores=stores, now=now)
    summary.facts_accepted += seed_claims(stores=stores, now=now).facts  # claims of every kind and state
    # Support's self-service actions (a cancellation, a new address) are facts in the ledger too.
    ledger_before = LedgerFact.objects.filter(store__in=stores.values()).count()
    summary.support = dict(seed_support(stores=stores, now=now).decisions)
    seed_support_console(stores=stores, now=now)
    acted = LedgerFact.objects.filter(store__in=stores.values()).count() - ledger_before
    summary.facts_accepted += acted
    fed = seed_feedback(stores=stores, now=now)  # surveys, review requests, reminders, placements, holdouts
    summary.facts_received += fed.facts.received
    summary.facts_accepted += fed.facts.accepted
    summary.duplicates += fed.facts.duplicates
    if easypost is not None:
        # The worker's pass, as `aftercart worker` would run it: labels approval asked for.
        while label_purchases_due().claimed:
            pass
        summary.labels_bought = LabelPurchase.objects.filter(status=LabelPurchase.Status.BOUGHT).count()
    summary.returns = returned.statuses_now()
    summary.return_links = returned.links
    summary.facts_received += returned.facts.received
    summary.facts_accepted += returned.facts.accepted
    summary.duplicates += returned.facts.duplicates
    _worker_pass(now)
    if deliver:
        summary.emails_sent += _deliver_due(now)
    _describe(summary)
    return summary


def _worker_pass(now: datetime) -> None:
    """What ``aftercart worker``'s sweep loop does, at simulated time ``now``: promises first (made
    with the model as last fitted, before any delivery after the order was placed: no look-ahead),
    then the delivery models refitted on the deliveries recorded so far, then the sweep. Without
    the refit the shops would keep the fit a first page view made on an empty history, and the
    demo would never show a window."""
    promises_make(now=now)
    models_refit_due(now=now, every=DEMO_REFIT_EVERY.total_seconds())
    exceptions_sweep(now=now)


def _slice_end(at: datetime, now: datetime, step: timedelta) -> datetime:
    """The end of the replay slice holding ``at``: slices are ``step`` long, ending at ``now``."""
    if at >= now:
        return now
    return now - ((now - at) // step) * step


def _deliver_due(now: datetime) -> int:
    """Send every message due by ``now``; how many went out."""
    sent = 0
    for _ in range(1_000):  # a bound, not an expectation: each pass sends or defers what is due
        result = message_deliver_due(now=now, limit=200)
        sent += result.sent
        if result.claimed < 200 and not result.deferred:
            break
    return sent


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
    summary.showcase = _showcase(orders)
    summary.claims = demo_claim_links()


#: The journeys of issue 4 the demo must show end to end: what each shows, and how to find one.
SHOWCASE = (
    ("delayed, with the new date", {"next_step": "delayed"}),
    ("lost parcel", {"next_step": "lost"}),
    (
        "stalled parcel: no scan since, being chased",
        {"next_step": "stalled"},
    ),
    ("failed delivery attempt", {"next_step": "attempt_failed"}),
    ("unavailable item: wait, refund or substitute", {"next_step": "item_unavailable"}),
    (
        "late to ship: keep waiting or cancel",
        {"next_step": "late_to_ship"},
    ),
    (
        "pickup about to expire: extend once or deliver",
        {"exceptions__kind": "pickup_expiring", "exceptions__resolved_at__isnull": True},
    ),
)


def _showcase(orders: QuerySet[Order]) -> list[tuple[str, str, str]]:
    """One order of each showcased journey (the most recent), with its tracking link."""

    out = []
    for label, where in SHOWCASE:
        order = orders.filter(**where).select_related("store").order_by("-placed_at").first()
        if order is not None:
            out.append((label, order.number, tracking_url(order)))
    return out


@transaction.atomic
def demo_operator_ensure(
    *, username: str = OPERATOR_USERNAME, password: str = OPERATOR_PASSWORD
) -> AbstractUser:
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


#: The demo shops' SMS channel: Twilio's documented test sender and a made-up account, so the
#: widget offers its opt-in. Nothing can reach Twilio from the demo: a text planned for a customer
#: who opted in fails at send and shows so in the outbox (Notifications › Messages).
DEMO_SMS = {
    "account_sid": "AC" + "0" * 32,
    "auth_token": "demo-has-no-twilio-account",
    "from": "+15005550006",
}


@transaction.atomic
def demo_widget_ensure(base_url: str) -> dict[str, Store]:
    """Make the demo shops' thank-you pages work at ``base_url``: their site is this installation
    (under both loopback names when it runs locally, so either address works in the browser),
    each has a widget secret for the Shopify snippet, and an SMS channel so the widget offers its
    opt-in. Idempotent: run by ``aftercart demo`` every time."""
    origin = site_origin(base_url) or site_origin(_origin_of(base_url)) or ""
    origins = [origin]
    for near, far in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")):
        if f"://{near}" in origin:
            origins.append(origin.replace(f"://{near}", f"://{far}"))
    stores = demo_stores_ensure()
    for store in stores.values():
        store_widget_configure(store=store, origins=[o for o in origins if o])
        if not store.widget_secret:
            store_widget_secret_rotate(store=store)
        channel_config_ensure(store_id=store.pk, channel=Channel.SMS, settings=DEMO_SMS)
    return stores


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
