"""The measured run: set up, time the firehose end to end (validation, ledger, projection, planner
hook), check the result, time the floor, and report."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any

from aftercart.benchmarks import Reporter
from aftercart.benchmarks.ingest.config import EPOCH, IngestConfig
from aftercart.benchmarks.ingest.floor import run_floor
from aftercart.benchmarks.ingest.parcels import setup_parcels
from aftercart.benchmarks.ingest.report import IngestReport, check_state
from aftercart.benchmarks.ingest.stream import StreamStats, batch_clock, tracking_events


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
    from aftercart.kernel import events
    from aftercart.orders.events import MilestonesReached, OrderProjected

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
    parcels = setup_parcels(config, store, reporter)
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
    floor_seconds = run_floor(config, store, reporter)
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
