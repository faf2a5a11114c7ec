"""What a run reports (the JSON keys and figures) and the check of the state it leaves behind."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from aftercart.benchmarks.ingest.config import IngestConfig
from aftercart.benchmarks.ingest.stream import StreamStats

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
