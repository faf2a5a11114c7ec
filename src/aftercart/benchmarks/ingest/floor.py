"""The floor: the run's rows written into the same table with a plain ``executemany`` INSERT per
batch, what the database alone costs."""

from __future__ import annotations

import time
from collections import deque
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from aftercart.benchmarks import Reporter
from aftercart.benchmarks.ingest.config import RESEND_WINDOW, IngestConfig
from aftercart.benchmarks.ingest.stream import tracking_events


def run_floor(config: IngestConfig, store: Any, reporter: Reporter) -> float:
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
        rows: list[tuple[Any, ...]] = []  # driver parameters (a Jsonb is one too)
        for event in batch:
            fact = event_fact(validate(event))
            assert fact.tracking_number is not None  # a tracking event's fact names its parcel
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
