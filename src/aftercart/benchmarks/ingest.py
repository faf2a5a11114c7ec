"""Ingest benchmark: a carrier-webhook firehose through the whole write path, against a raw-insert floor.

What is timed, per batch of ``batch`` events: validating each webhook dict with pydantic
(``TrackingEventIn``), turning it into a fact (``event_fact``) and :func:`facts_record` (ledger
insert, projection, cached rows, planner hook), committed per batch. The floor is the same number of
rows written into the same ``orders_fact`` table with one ``executemany`` of a plain INSERT per
batch, also committed per batch: what the database alone costs, so the ratio says how much of the
end-to-end time is ours.

The event stream imitates a firehose: ``active`` parcels are on the move at once and their
checkpoints arrive in time order across all of them (so one batch touches many orders), each parcel
makes 10–20 checkpoints (sometimes a failed attempt or a delay with a new estimate), 1% of events are
re-sent exactly and 5% arrive after a later checkpoint of their parcel. Events are made lazily:
memory does not grow with ``events``.

The run keeps a simulated clock: each batch is recorded with ``now`` just after its newest event, as
a live firehose would be. With the wall clock instead, weeks of simulated journeys would all be
"years late" at once, and the exception detection, next step and messaging would measure a flood
of overdue parcels no real feed sends.
"""

from __future__ import annotations

import heapq
import random
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from aftercart.benchmarks import Reporter
from aftercart.kernel import events
from aftercart.orders.events import MilestonesReached, OrderProjected

#: Ledger facts written per setup call (two per parcel: order placed, shipment created).
SETUP_PARCELS_PER_CALL = 500
#: How far back a re-sent event may reach (carriers re-send recent events, not last month's).
RESEND_WINDOW = 4096
#: Journeys start from here: fixed, so runs are reproducible. The run keeps its own clock (see
#: :func:`batch_clock`), so the date itself does not matter.
EPOCH = datetime(2020, 1, 6, tzinfo=UTC)
#: How long after its newest event a batch is recorded: a webhook's delivery delay.
DELIVERY_LAG = timedelta(minutes=2)

#: The keys of the JSON report, in the order the issue lists them.
REPORT_KEYS = (
    "events",
    "batch",
    "active",
    "database",
    "end_to_end_events_per_s",
    "floor_events_per_s",
    "ratio",
    "duplicates",
    "out_of_order",
    "peak_rss_mb",
    "seconds",
)


@dataclass(frozen=True)
class IngestConfig:
    """What to run: ``events`` tracking events in batches of ``batch`` over ``active`` parcels."""

    events: int
    batch: int = 1000
    active: int = 2000
    seed: int = 1
    duplicate_rate: float = 0.01
    late_rate: float = 0.05
    #: False: run with no planner receivers connected, to see what they cost.
    receivers: bool = True
    #: True: every batch through ``facts_record`` (append and project in one transaction, what API
    #: requests do). False: ``facts_append`` per batch and ``projection_drain`` every
    #: ``drain_every`` batches, as the worker drains a carrier firehose.
    sync: bool = False
    #: Batches appended between drains: 10 batches of 1,000 events is one second of a feed at the
    #: target rate of 10,000 events/s, and the worker drains about once a second.
    drain_every: int = 10

    def __post_init__(self) -> None:
        if self.events < 1 or self.batch < 1 or self.active < 1 or self.drain_every < 1:
            raise ValueError("events, batch, active and drain_every must be positive")


@dataclass
class IngestReport:
    """The figures of one run (``to_json`` gives the command's JSON object)."""

    events: int
    batch: int
    active: int
    database: str
    end_to_end_events_per_s: float
    floor_events_per_s: float
    ratio: float
    duplicates: int
    out_of_order: int
    peak_rss_mb: float
    seconds: float
    # Beyond the keys: enough to read the figure without re-running.
    shipments: int = 0
    #: Distinct parcels (so orders) per batch, on average: the projection's work is per order.
    orders_per_batch: float = 0.0
    facts_stored: int = 0
    delivered_shipments: int = 0
    #: "deferred" (facts_append + projection_drain) or "sync" (facts_record per batch).
    mode: str = "deferred"
    drain_every: int = 0
    parse_seconds: float = 0.0
    #: ``facts_record`` (sync) or ``facts_append`` (deferred) per batch.
    record_seconds: float = 0.0
    #: ``projection_drain`` (deferred; inside ``seconds``), how many drains, orders they projected.
    drain_seconds: float = 0.0
    drains: int = 0
    orders_per_drain: float = 0.0
    #: CPU time of this process over the timed end-to-end part: on SQLite (all work in-process) it
    #: shows how much of ``seconds`` was ours when other processes shared the core.
    cpu_seconds: float = 0.0
    floor_seconds: float = 0.0
    setup_seconds: float = 0.0
    cpus: int = 0
    #: The planner receivers connected during the run: their cost is part of the figure.
    planner_receivers: list[str] = field(default_factory=list)
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The issue's keys first, then the extras."""
        data = asdict(self)
        return {**{k: data.pop(k) for k in REPORT_KEYS}, **data}


# --- the event stream ---------------------------------------------------------------------------

_CARRIERS = (
    ("UPS", "1Z"),
    ("FedEx", "7"),
    ("DHL Express", "JD"),
    ("USPS", "94"),
    ("Royal Mail", "RM"),
    ("DPD", "15"),
)
_PLACES = (
    "Louisville, KY, US",
    "Memphis, TN, US",
    "Chicago, IL, US",
    "Newark, NJ, US",
    "Ontario, CA, US",
    "Dallas, TX, US",
    "Leipzig, DE",
    "Cologne, DE",
    "East Midlands, GB",
    "Heathrow, GB",
    "Paris-Nord, FR",
    "Liège, BE",
    "Madrid, ES",
    "Milan, IT",
    "Warsaw, PL",
    "Toronto, ON, CA",
)
#: (raw code, message, subtag) of in-transit scans, as carriers word them.
_TRANSIT_SCANS = (
    ("OR", "Origin scan", "in_transit.accepted"),
    ("PU", "Picked up by carrier", "in_transit.accepted"),
    ("AR", "Arrived at facility", "in_transit.arrival_scan"),
    ("DP", "Departed from facility", "in_transit.departure_scan"),
    ("IT", "In transit to next facility", "in_transit"),
    ("FW", "Forwarded to local depot", "in_transit.forwarded"),
    ("CC", "Cleared customs", "in_transit.customs_cleared"),
    ("AD", "Arrived at destination country", "in_transit.at_destination_country"),
)


@dataclass(slots=True)
class _Checkpoint:
    minute: int  # since EPOCH
    tag: str
    subtag: str
    raw_code: str
    raw_message: str
    location: str
    estimated_delivery: date | None = None


@dataclass(slots=True)
class Parcel:
    """One simulated shipment: its order, carrier, tracking number and planned checkpoints."""

    index: int
    start: int  # minute since EPOCH of the first checkpoint
    carrier: str
    tracking_number: str
    lines: int
    estimated_delivery: date
    checkpoints: list[_Checkpoint]
    #: A checkpoint of this parcel is being held back; the next one must go out on time, or the
    #: held one would not be "after a later event" any more.
    holding: bool = False

    @property
    def order_id(self) -> str:
        """The store's order id."""
        return f"BENCH-{self.index:08d}"


def _parcel(seed: int, index: int, start: int) -> Parcel:
    """The journey of parcel ``index``: a pure function of (seed, index, start)."""
    rng = random.Random(seed * 1_000_003 + index)
    carrier, prefix = _CARRIERS[index % len(_CARRIERS)]
    tracking = f"{prefix}BN{seed:02d}{index:010d}"
    eta = (EPOCH + timedelta(minutes=start)).date() + timedelta(days=rng.randint(3, 5))
    total = rng.randint(10, 20)
    failed_attempt = rng.random() < 0.15
    delayed = rng.random() < 0.10
    # Fixed steps: received, out for delivery, delivered; +2 for a failed attempt and its retry,
    # +1 for a delay. The rest are transit scans (at least 4).
    transit = total - 3 - (2 if failed_attempt else 0) - (1 if delayed else 0)
    minute = start
    places = rng.sample(_PLACES, 6)
    origin, destination = places[0], places[-1]
    steps: list[_Checkpoint] = [
        _Checkpoint(minute, "info_received", "info_received", "MP", "Shipment information received", origin)
    ]
    delay_at = rng.randrange(1, transit) if delayed else -1
    for i in range(transit):
        minute += rng.randint(30, 480)
        code, message, subtag = rng.choice(_TRANSIT_SCANS)
        place = rng.choice(places)
        facility = rng.randint(1000, 9999)
        estimate = eta if i == 0 else None  # carriers repeat their estimate on the first scan
        steps.append(
            _Checkpoint(minute, "in_transit", subtag, code, f"{message} {facility}", place, estimate)
        )
        if i == delay_at:
            minute += rng.randint(30, 240)
            eta += timedelta(days=rng.randint(1, 3))
            steps.append(
                _Checkpoint(minute, "exception", "exception.delayed", "DL", "Delayed: weather", place, eta)
            )
    minute += rng.randint(60, 600)
    steps.append(
        _Checkpoint(minute, "out_for_delivery", "out_for_delivery", "OD", "Out for delivery", destination)
    )
    if failed_attempt:
        minute += rng.randint(120, 480)
        steps.append(
            _Checkpoint(
                minute,
                "attempt_fail",
                "attempt_fail.addressee_unavailable",
                "NA",
                "Delivery attempted: nobody home",
                destination,
            )
        )
        minute += rng.randint(900, 1500)  # the next working day
        steps.append(
            _Checkpoint(minute, "out_for_delivery", "out_for_delivery", "OD", "Out for delivery", destination)
        )
    minute += rng.randint(30, 300)
    if rng.random() < 0.5:
        final = (
            "delivered",
            "delivered.signed",
            "KB",
            f"Delivered, signed by {rng.choice('ABCDEFGH')}. SMITH",
        )
    else:
        final = ("delivered", "delivered", "DL", "Delivered to front door")
    steps.append(_Checkpoint(minute, *final, destination))
    assert len(steps) == total
    return Parcel(
        index=index,
        start=start,
        carrier=carrier,
        tracking_number=tracking,
        lines=rng.randint(1, 3),
        estimated_delivery=(EPOCH + timedelta(minutes=start)).date() + timedelta(days=4),
        checkpoints=steps,
    )


@dataclass(slots=True)
class _Emit:
    parcel: Parcel
    checkpoint: int
    late: bool


@dataclass(slots=True)
class _Resend:
    pick: float  # which recent event, as a fraction of the re-send window


@dataclass
class StreamStats:
    """What the stream produced, for the checks: filled in as it runs."""

    emitted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    parcels: int = 0
    #: Tracking numbers whose final (delivered) checkpoint was sent.
    delivered: set[str] = field(default_factory=set)


def _schedule(
    config: IngestConfig, stats: StreamStats, on_admit: Callable[[Parcel], None] | None = None
) -> Iterator[_Emit | _Resend]:
    """What to send, in order: checkpoints of the moving parcels by time, resends and late ones.

    A parcel that delivers leaves the window and the next one enters, so ``active`` parcels are
    always moving. A late checkpoint is held back until 10 minutes to 6 hours after the parcel's
    next one, so it usually lands in a later batch than its successor, as a carrier's delayed
    delivery does (a swap inside one batch would cost the ledger nothing). Resends and late sends
    are spread by feedback (send one when the running share is below its rate), which keeps both
    shares exact at any length without a calibrated probability.
    """
    rng = random.Random(config.seed)
    # (minute, tie-break, parcel, checkpoint index, late)
    heap: list[tuple[int, int, Parcel, int, bool]] = []
    sequence = 0

    def push(minute: int, parcel: Parcel, checkpoint: int, late: bool) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(heap, (minute, sequence, parcel, checkpoint, late))

    def admit(at: int) -> None:
        parcel = _parcel(config.seed, stats.parcels, at)
        stats.parcels += 1
        if on_admit is not None:
            on_admit(parcel)
        push(parcel.checkpoints[0].minute, parcel, 0, False)

    # Stagger the first parcels over a typical journey (~3 days) so the window starts in its
    # steady state instead of with every parcel at "info received".
    for _ in range(config.active):
        admit(rng.randint(0, 3 * 24 * 60))

    planned_late = 0
    while stats.emitted < config.events:
        if stats.emitted and stats.duplicates < config.duplicate_rate * stats.emitted and rng.random() < 0.5:
            stats.emitted += 1
            stats.duplicates += 1
            yield _Resend(rng.random())
            continue
        minute, _, parcel, current, late = heapq.heappop(heap)
        if late:
            stats.emitted += 1
            stats.out_of_order += 1
            parcel.holding = False
            yield _Emit(parcel, current, True)
            continue
        final = current == len(parcel.checkpoints) - 1
        if not final:
            following = parcel.checkpoints[current + 1].minute
            push(following, parcel, current + 1, False)
            if not parcel.holding and planned_late < config.late_rate * stats.emitted and rng.random() < 0.5:
                planned_late += 1
                parcel.holding = True
                push(following + rng.randint(10, 360), parcel, current, True)
                continue
        stats.emitted += 1
        if final:
            stats.delivered.add(parcel.tracking_number)
            admit(minute + rng.randint(1, 120))
        yield _Emit(parcel, current, False)


def _event(parcel: Parcel, checkpoint: int) -> dict[str, Any]:
    """The webhook JSON of one checkpoint, as a carrier aggregator would post it."""
    c = parcel.checkpoints[checkpoint]
    event: dict[str, Any] = {
        "kind": "tracking.event",
        "tracking_number": parcel.tracking_number,
        "carrier": parcel.carrier,
        "tag": c.tag,
        "subtag": c.subtag,
        "raw_code": c.raw_code,
        "raw_message": c.raw_message,
        "location": c.location,
        "occurred_at": (EPOCH + timedelta(minutes=c.minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if c.estimated_delivery is not None:
        event["estimated_delivery"] = c.estimated_delivery.isoformat()
    return event


def tracking_events(
    config: IngestConfig,
    stats: StreamStats | None = None,
    on_admit: Callable[[Parcel], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The ``config.events`` webhook dicts of the firehose, made one at a time (deterministic for a
    seed). ``on_admit`` sees each parcel as it enters the window, before its first event."""
    stats = stats if stats is not None else StreamStats()
    recent: deque[dict[str, Any]] = deque(maxlen=RESEND_WINDOW)
    for item in _schedule(config, stats, on_admit):
        if isinstance(item, _Resend):
            # A copy: a re-sent webhook is a new body with the same content.
            yield dict(recent[int(item.pick * len(recent))])
            continue
        event = _event(item.parcel, item.checkpoint)
        recent.append(event)
        yield event


def batch_clock(batch: list[dict[str, Any]]) -> datetime:
    """The simulated "now" a batch is recorded at: its newest event plus a delivery delay."""
    # One timestamp format throughout the stream, so the newest string is the newest time.
    newest = max(event["occurred_at"] for event in batch)
    return datetime.fromisoformat(newest) + DELIVERY_LAG


def _order_json(parcel: Parcel) -> dict[str, Any]:
    placed = EPOCH + timedelta(minutes=parcel.start - 2 * 24 * 60)
    lines = [
        {
            "line_id": f"L{n}",
            "sku": f"SKU-{(parcel.index * 7 + n) % 5000:05d}",
            "title": f"Product {(parcel.index * 7 + n) % 5000}",
            "quantity": 1 + n % 2,
            "unit_price": f"{10 + (parcel.index + n) % 90}.99",
        }
        for n in range(1, parcel.lines + 1)
    ]
    return {
        "order_id": parcel.order_id,
        "number": f"#{100000 + parcel.index}",
        "placed_at": placed.isoformat(),
        "email": f"customer{parcel.index}@example.com",
        "postal_code": f"{10000 + parcel.index % 89999}",
        "country": "US",
        "currency": "USD",
        "total": f"{sum(float(ln['unit_price']) * ln['quantity'] for ln in lines):.2f}",
        "lines": lines,
    }


def _shipment_json(parcel: Parcel) -> dict[str, Any]:
    return {
        "kind": "shipment.created",
        "order_id": parcel.order_id,
        "shipment_id": f"S{parcel.index}",
        "carrier": parcel.carrier,
        "tracking_number": parcel.tracking_number,
        "lines": [{"line_id": f"L{n}", "quantity": 1 + n % 2} for n in range(1, parcel.lines + 1)],
        "estimated_delivery": parcel.estimated_delivery.isoformat(),
        # Labels are printed an hour before the carrier's first event.
        "occurred_at": (EPOCH + timedelta(minutes=parcel.start - 60)).isoformat(),
    }


# --- the run ------------------------------------------------------------------------------------


def run_ingest(config: IngestConfig, *, reporter: Reporter | None = None, store: Any = None) -> IngestReport:
    """Set up the parcels, time the firehose end to end, check the result, then time the floor.

    Runs on Django's default database, which should be fresh (the command gives it a temporary
    one; tests use the test database). ``store`` defaults to a new store of its own.
    """
    from aftercart.stores.services import store_create

    reporter = reporter or Reporter()
    store = store or store_create(slug=f"bench-{config.seed}", name="Benchmark store")
    with _planner_receivers(config.receivers) as receivers:
        report = _run(config, store, reporter)
    report.planner_receivers = receivers
    return report


@contextmanager
def _planner_receivers(keep: bool) -> Iterator[list[str]]:
    """Yield the names of the handlers of the ledger's events (milestones reached, and every
    re-projected order marked "(every order)"); without ``keep``, unsubscribe them meanwhile."""
    kinds = ((MilestonesReached, ""), (OrderProjected, " (every order)"))
    found = [(kind, suffix, s) for kind, suffix in kinds for s in events.subscriptions(kind)]
    for kind, _, s in found if not keep else ():
        events.unsubscribe(kind, s.handler)
    try:
        yield (
            [f"{s.handler.__module__}.{s.handler.__qualname__}{suffix}" for _, suffix, s in found]
            if keep
            else []
        )
    finally:
        for kind, _, s in found if not keep else ():
            events.subscribe(kind, s.handler, on_commit=s.on_commit)


def _run(config: IngestConfig, store: Any, reporter: Reporter) -> IngestReport:
    from django.db import connection
    from pydantic import TypeAdapter

    from aftercart.integrations.canonical.schemas import TrackingEventIn, event_fact
    from aftercart.orders.services import facts_append, facts_record, projection_drain

    started = time.perf_counter()
    reporter.phase("Setting up parcels", config.events)
    parcels = _setup(config, store, reporter)
    if connection.vendor == "postgresql":
        # Production tables have planner statistics (autovacuum keeps them); a database created a
        # second ago has none and would be planned blind for the first minute of the run.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - started

    reporter.phase("Ingesting (timed)", config.events)
    validate = TypeAdapter(TrackingEventIn).validate_python
    stats = StreamStats()
    stream = tracking_events(config, stats)
    record = facts_record if config.sync else facts_append
    parse_seconds = record_seconds = drain_seconds = cpu_seconds = 0.0
    recorded_duplicates = orphaned = touched = batches = drains = drained = 0

    def drain(now: datetime) -> None:
        # Timed like the batches: the worker's drain is part of what ingest costs.
        nonlocal drain_seconds, cpu_seconds, drains, drained
        c0, t0 = time.process_time(), time.perf_counter()
        while projected := projection_drain(now=now):
            drained += projected
        drain_seconds += time.perf_counter() - t0
        cpu_seconds += time.process_time() - c0
        drains += 1

    now = EPOCH
    while batch := list(islice(stream, config.batch)):
        touched += len({event["tracking_number"] for event in batch})
        batches += 1
        now = batch_clock(batch)
        c0, t0 = time.process_time(), time.perf_counter()
        facts = [event_fact(validate(event)) for event in batch]
        t1 = time.perf_counter()
        result = record(store=store, facts=facts, now=now)
        t2, c2 = time.perf_counter(), time.process_time()
        parse_seconds += t1 - t0
        record_seconds += t2 - t1
        cpu_seconds += c2 - c0
        recorded_duplicates += result.duplicates
        orphaned += result.orphaned
        if not config.sync and batches % config.drain_every == 0:
            drain(now)
        reporter.advance(len(batch))
    if not config.sync and batches % config.drain_every:
        drain(now)  # the last partial second: the checks read the projections
    seconds = parse_seconds + record_seconds + drain_seconds

    reporter.phase("Checking the result", 1)
    problems, facts_stored = check_state(store, config, stats, recorded_duplicates, orphaned, parcels)
    reporter.advance(1)

    reporter.phase("Floor: plain executemany", config.events)
    floor_seconds = _floor(config, store, reporter)
    reporter.close()

    end_to_end = config.events / seconds
    floor = config.events / floor_seconds
    return IngestReport(
        events=config.events,
        batch=config.batch,
        active=config.active,
        database=_database_name(connection),
        end_to_end_events_per_s=round(end_to_end, 1),
        floor_events_per_s=round(floor, 1),
        ratio=round(end_to_end / floor, 4),
        duplicates=stats.duplicates,
        out_of_order=stats.out_of_order,
        peak_rss_mb=round(_peak_rss_mb(), 1),
        seconds=round(seconds, 3),
        shipments=parcels,
        orders_per_batch=round(touched / batches, 1),
        facts_stored=facts_stored,
        delivered_shipments=len(stats.delivered),
        mode="sync" if config.sync else "deferred",
        drain_every=0 if config.sync else config.drain_every,
        parse_seconds=round(parse_seconds, 3),
        record_seconds=round(record_seconds, 3),
        drain_seconds=round(drain_seconds, 3),
        drains=drains,
        orders_per_drain=round(drained / drains, 1) if drains else 0.0,
        cpu_seconds=round(cpu_seconds, 3),
        floor_seconds=round(floor_seconds, 3),
        setup_seconds=round(setup_seconds, 3),
        cpus=_cpus(),
        ok=not problems,
        problems=problems,
    )


def _setup(config: IngestConfig, store: Any, reporter: Reporter) -> int:
    """Create every parcel the stream will touch (order placed + shipment created), through the
    ledger like any other fact. Walks the stream once to learn which parcels that is."""
    from aftercart.integrations.canonical.schemas import (
        OrderIn,
        ShipmentCreatedIn,
        event_fact,
        order_placed_fact,
    )
    from aftercart.orders.services import facts_record

    pending: list[Parcel] = []

    def flush() -> None:
        facts = []
        for parcel in pending:
            facts.append(order_placed_fact(OrderIn.model_validate(_order_json(parcel))))
            facts.append(event_fact(ShipmentCreatedIn.model_validate(_shipment_json(parcel))))
        now = max(f.occurred_at for f in facts) + DELIVERY_LAG
        facts_record(store=store, facts=facts, now=now)
        pending.clear()

    def admit(parcel: Parcel) -> None:
        # Keep only what setup needs: the planned checkpoints are rebuilt by the timed pass.
        pending.append(parcel)
        if len(pending) >= SETUP_PARCELS_PER_CALL:
            flush()

    stats = StreamStats()
    done = 0
    for _ in _schedule(config, stats, admit):
        done += 1
        if done % 10_000 == 0:
            reporter.advance(10_000)
    if pending:
        flush()
    reporter.advance(done % 10_000)
    return stats.parcels


def check_state(
    store: Any,
    config: IngestConfig,
    stats: StreamStats,
    recorded_duplicates: int,
    orphaned: int,
    parcels: int,
) -> tuple[list[str], int]:
    """Compare the ledger and projections with what the stream sent. Returns (problems, facts stored).

    Facts stored must be the events minus the re-sends (and ``facts_record`` must have counted the
    same duplicates); every parcel whose delivered checkpoint was sent, and no other, must be
    delivered whatever arrived late; each order's cached ``fact_count`` must match its facts.
    """
    from django.db.models import Count

    from aftercart.orders.models import Fact, Order, Shipment
    from aftercart.orders.services import projection_pending

    problems = []
    tracking = Fact.objects.filter(store=store, kind="tracking.event")
    stored = tracking.count()
    expected = config.events - stats.duplicates
    if stored != expected:
        problems.append(f"{stored} tracking facts stored, expected {expected} (events minus re-sends)")
    if recorded_duplicates != stats.duplicates:
        problems.append(
            f"facts_record counted {recorded_duplicates} duplicates, {stats.duplicates} were sent"
        )
    if orphaned:
        problems.append(f"{orphaned} events found no shipment (every parcel was set up first)")
    if tracking.filter(order__isnull=True).exists():
        problems.append("tracking facts left without an order")
    if pending := projection_pending():
        problems.append(f"{pending} orders still pending projection after the last drain")
    shipments = Shipment.objects.filter(store=store)
    if (count := shipments.count()) != parcels:
        problems.append(f"{count} shipment rows, expected {parcels}")
    delivered = set(shipments.filter(tag="delivered").values_list("tracking_number", flat=True))
    expected_delivered = {n.upper() for n in stats.delivered}
    if missing := expected_delivered - delivered:
        problems.append(f"{len(missing)} shipments got their delivered event but are not delivered")
    if extra := delivered - expected_delivered:
        problems.append(f"{len(extra)} shipments are delivered without a delivered event")
    # Incremental folds and refolds must agree with the ledger on how many facts each order has.
    counts = dict(
        Fact.objects.filter(store=store)
        .values("order_id")
        .annotate(n=Count("id"))
        .values_list("order_id", "n")
    )
    drifted = sum(
        1
        for order_id, fact_count in Order.objects.filter(store=store).values_list("id", "fact_count")
        if counts.get(order_id, 0) != fact_count
    )
    if drifted:
        problems.append(f"{drifted} orders' fact_count differs from their facts in the ledger")
    return problems, stored


def _floor(config: IngestConfig, store: Any, reporter: Reporter) -> float:
    """Seconds to INSERT the run's rows into ``orders_fact`` with executemany, a commit per batch.

    The rows are the ones the real path stores: each event's own fact (its payload, order id and
    idempotency key, the key prefixed with ``floor:`` so it is new to the table; source ``floor``
    to tell the rows apart), re-sends left out as the real path leaves them out. The key matters: real keys are hashes, which land all
    over the unique index, where sequential ones would only ever append to its last page.
    Building the rows is not timed, as making the webhook dicts is not in the end-to-end figure.
    """
    import json

    from django.db import connection, transaction
    from pydantic import TypeAdapter

    from aftercart.integrations.canonical.schemas import TrackingEventIn, event_fact
    from aftercart.orders.models import Fact, Shipment

    validate = TypeAdapter(TrackingEventIn).validate_python
    order_of = dict(Shipment.objects.filter(store=store).values_list("tracking_number", "order_id"))
    sqlite = connection.vendor == "sqlite"
    columns = (
        "store_id, order_id, kind, occurred_at, recorded_at, source, idempotency_key, "
        "order_ref, tracking_number, payload"
    )
    sql = f"INSERT INTO {Fact._meta.db_table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    if not sqlite:
        from psycopg.types.json import Jsonb
    recorded = datetime.now(UTC)
    recorded_param: Any = recorded.replace(tzinfo=None).isoformat(" ") if sqlite else recorded
    stream = tracking_events(config)
    # A re-send copies one of the last RESEND_WINDOW events, so remembering that many keys finds
    # every one (a set of all keys would be the largest thing in memory at 1,000,000 events).
    recent: deque[str] = deque(maxlen=RESEND_WINDOW)
    seen: set[str] = set()
    seconds = 0.0
    while batch := list(islice(stream, config.batch)):
        rows = []
        for event in batch:
            fact = event_fact(validate(event))
            if fact.idempotency_key in seen:
                continue  # a re-send: stored once
            if len(recent) == RESEND_WINDOW:
                seen.discard(recent[0])
            recent.append(fact.idempotency_key)
            seen.add(fact.idempotency_key)
            occurred = fact.occurred_at
            rows.append(
                (
                    store.pk,
                    order_of[fact.tracking_number],
                    fact.kind.value,
                    occurred.replace(tzinfo=None).isoformat(" ") if sqlite else occurred,
                    recorded_param,
                    "floor",
                    f"floor:{fact.idempotency_key}",
                    fact.order_ref or "",
                    fact.tracking_number,
                    json.dumps(fact.payload, separators=(",", ":")) if sqlite else Jsonb(fact.payload),
                )
            )
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        seconds += time.perf_counter() - t0
        reporter.advance(len(batch))
    return seconds


def _database_name(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"sqlite {cursor.fetchone()[0]}"
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"postgresql {cursor.fetchone()[0].split()[0]}"
    return str(connection.vendor)


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes; the benchmark targets Linux servers).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 0
