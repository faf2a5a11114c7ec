"""Journey preview over stored history: reads the ledger customer by customer and replays it through
:mod:`aftercart.domain.journey_replay`. Reads only: nothing is sent and nothing is written.

Orders are read ordered by customer (lower-cased e-mail) in chunks, with their facts one query per
chunk, so memory stays flat however long the history: at any time only one chunk of orders and the
report's counters are held. A customer is the orders sharing an e-mail address (what the frequency
cap counts together); orders without one are each their own customer. Orders of one customer that
share only a phone number are not grouped, so SMS caps across them are not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Lower

from aftercart.domain.contacts import email_key
from aftercart.domain.journey_replay.journey import OrderHistory, SimulationSettings
from aftercart.domain.journey_replay.replay import replay_customer
from aftercart.domain.journey_replay.report import JourneyReport
from aftercart.domain.messaging import Channel, ContactChoices
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.selectors import choices_for_store
from aftercart.orders.models import Fact, Order
from aftercart.orders.selectors import facts_for_orders
from aftercart.stores.models import Store

#: Orders whose facts are read in one go (one facts query per chunk, at most ~900 ids per IN).
CHUNK = 500

#: Orders of one address replayed together at most. An address with more orders is a placeholder
#: (a marketplace's relay address, "no-email@..."), not a person; its orders are replayed in
#: consecutive groups of this size, so memory stays bounded (caps across groups are not seen).
MAX_CUSTOMER_ORDERS = 1000

Customer = list[tuple[int, str, str]]  # (order id, number, external id) of one customer's orders


def store_day_start(store: Store, day: date) -> datetime:
    """Midnight starting ``day`` in the store's time zone (what a CX lead means by a date)."""
    try:
        zone = ZoneInfo(store.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day, time(0), tzinfo=zone)


def history_end(store: Store) -> datetime | None:
    """When the store's history ends: its newest fact (``None`` without facts)."""
    return Fact.objects.filter(store=store).aggregate(end=Max("occurred_at"))["end"]


def orders_in_window(store: Store, *, since: datetime, until: datetime) -> QuerySet[Order]:
    """Orders active in [since, until): a fact on or after ``since``, placed before ``until``."""
    return Order.objects.filter(store=store, last_event_at__gte=since).filter(
        Q(placed_at__isnull=True) | Q(placed_at__lt=until)
    )


def customers(store: Store, *, since: datetime, until: datetime) -> Iterator[Customer]:
    """Each customer's orders in the window, customer after customer (streamed from the database)."""
    rows = (
        orders_in_window(store, since=since, until=until)
        .order_by(Lower("email"), "pk")
        .values_list("pk", "email", "number", "external_id")
        .iterator(chunk_size=2000)
    )
    current: Customer = []
    current_email = ""
    for pk, email, number, external_id in rows:
        email = email_key(email)
        if current and (not email or email != current_email or len(current) >= MAX_CUSTOMER_ORDERS):
            yield current
            current = []
        current.append((pk, number or external_id, external_id))
        current_email = email
    if current:
        yield current


def journey_simulate(
    *,
    store: Store,
    since: datetime,
    until: datetime | None = None,
    silent_days: int = 3,
    assume_reachable: bool = False,
    examples: int = 10,
    progress: Callable[[int], None] | None = None,
) -> JourneyReport:
    """Replay the store's journey over its stored history from ``since`` up to ``until`` (default:
    its newest fact) and return the report. ``progress`` is called with the number of orders done."""
    as_of = until or history_end(store) or since
    report = JourneyReport(since=since, as_of=as_of, silent_days=silent_days, examples=examples)
    settings = SimulationSettings(
        channels=store_channel_map(store.pk),
        since=since,
        as_of=as_of,
        store_timezone=store.timezone or "UTC",
        silent_after=timedelta(days=silent_days),
        assume_reachable=assume_reachable,
        choices=_choices_lookup(store),
    )
    batch: list[Customer] = []
    size = 0
    for customer in customers(store, since=since, until=until or as_of + timedelta(microseconds=1)):
        batch.append(customer)
        size += len(customer)
        if size >= CHUNK:
            _replay(batch, settings, report, progress)
            batch, size = [], 0
    if batch:
        _replay(batch, settings, report, progress)
    return report


def _choices_lookup(store: Store) -> Callable[[Channel, str, str], ContactChoices] | None:
    """The store's customers' consent and preferences as they stand now, looked up as the live
    planner does (normalised address, phone numbers read in the order's else the store's country).
    Held in memory: one entry per customer who ever chose something, not per order."""
    known = choices_for_store(store.pk)
    none = ContactChoices()
    if not known:
        return None

    def lookup(channel: Channel, address: str, country: str) -> ContactChoices:
        key = contact_key(channel, address, country or store.country)
        return known.get((store.pk, channel, key), none)

    return lookup


def _replay(
    batch: list[Customer],
    settings: SimulationSettings,
    report: JourneyReport,
    progress: Callable[[int], None] | None,
) -> None:
    facts = facts_for_orders([pk for customer in batch for pk, _, _ in customer])
    for customer in batch:
        histories = [
            OrderHistory(order_id=pk, number=number, order_ref=ref, facts=facts.get(pk, ()))
            for pk, number, ref in customer
        ]
        report.add(replay_customer(histories, settings))
    if progress:
        progress(sum(len(c) for c in batch))
