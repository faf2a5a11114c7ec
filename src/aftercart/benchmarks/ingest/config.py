"""What an ingest run is asked to do, and the constants every part of it shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: Ledger facts written per setup call (two per parcel: order placed, shipment created).
SETUP_PARCELS_PER_CALL = 500
#: How far back a re-sent event may reach (carriers re-send recent events, not last month's).
RESEND_WINDOW = 4096
#: Journeys start from here: fixed, so runs are reproducible. The run keeps its own clock (see
#: :func:`batch_clock`), so the date itself does not matter.
EPOCH = datetime(2020, 1, 6, tzinfo=UTC)
#: How long after its newest event a batch is recorded: a webhook's delivery delay.
DELIVERY_LAG = timedelta(minutes=2)


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
