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

from aftercart.benchmarks.ingest.config import (
    DELIVERY_LAG,
    EPOCH,
    RESEND_WINDOW,
    SETUP_PARCELS_PER_CALL,
    IngestConfig,
)
from aftercart.benchmarks.ingest.report import REPORT_KEYS, IngestReport, check_state
from aftercart.benchmarks.ingest.run import run_ingest
from aftercart.benchmarks.ingest.stream import Parcel, StreamStats, batch_clock, tracking_events

__all__ = [
    "DELIVERY_LAG",
    "EPOCH",
    "REPORT_KEYS",
    "RESEND_WINDOW",
    "SETUP_PARCELS_PER_CALL",
    "IngestConfig",
    "IngestReport",
    "Parcel",
    "StreamStats",
    "batch_clock",
    "check_state",
    "run_ingest",
    "tracking_events",
]
