"""Exception sweep benchmark: candidate selection and a full sweep over N synthetic active shipments.

    taskset -c 0 .venv/bin/python bench/sweep.py --shipments 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres

Creates a temporary database (``aftercart_bench_<random>``, dropped afterwards; a SQLite file without
``--database-url``), migrates it, inserts N orders, N lines and N shipments with ``executemany`` (a mix
of healthy, delivered, stalled, label-only, overdue and unshipped orders), then times:

* ``select``: the sweep's set-based candidate queries alone;
* ``first_sweep``: a full :func:`exceptions_sweep` that opens the cases (candidates synced from their
  snapshots);
* ``steady_sweep``: the next sweep, when every cause is already open (the usual 5-minute tick).

Prints one JSON line. A benchmark, not a test: it measures and never fails on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)  # a Monday
CHUNK = 20_000


def _mix(i: int, rng: random.Random) -> str:
    """Which profile order ``i`` has: most parcels are healthy or delivered; a few are problems."""
    r = rng.random()
    if r < 0.01:
        return "stalled"
    if r < 0.015:
        return "label_only"
    if r < 0.02:
        return "overdue"
    if r < 0.025:
        return "unshipped"
    if r < 0.45:
        return "delivered"
    return "moving"


def _state_snapshot(ref: str, profile: str, placed: datetime, last_scan: datetime) -> dict:
    from aftercart.domain.projection.snapshot import to_snapshot
    from aftercart.domain.projection.state import LineState, OrderState, ShipmentState
    from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag

    state = OrderState(order_ref=ref, number=f"#{ref}", placed_at=placed, email=f"c{ref}@example.com")
    line = state.lines["L1"] = LineState(line_id="L1", status=FulfilmentStatus.PLACED)
    if profile != "unshipped":
        tag = CarrierTag.INFO_RECEIVED if profile == "label_only" else CarrierTag.IN_TRANSIT
        state.shipments["S1"] = ShipmentState(
            key="S1",
            carrier="ups",
            tracking_number=f"1Z{ref}",
            lines={"L1": 1},
            tag=tag,
            subtag=Subtag(tag.value),
            status_at=last_scan,
            created_at=placed + timedelta(hours=4),
            first_scan_at=None if profile == "label_only" else placed + timedelta(hours=8),
            last_checkpoint_at=last_scan,
            first_estimated_delivery=(placed + timedelta(days=3)).date(),
            estimated_delivery=(placed + timedelta(days=3)).date(),
        )
        line.shipped_quantity = 1
    return to_snapshot(state)


def populate(n: int, seed: int = 7) -> dict[str, int]:
    """Insert N orders with one line and (unless unshipped) one shipment each."""
    from aftercart.kernel.db import insert_rows
    from aftercart.orders.models import Order, OrderLine, Shipment
    from aftercart.stores.services import store_create

    store = store_create(slug="bench", name="Bench")
    rng = random.Random(seed)
    profiles: dict[str, int] = {}
    order_fields = (
        "store", "external_id", "public_id", "token_version", "number", "email", "postal_code",
        "placed_at", "currency", "stage", "next_step", "milestones", "snapshot", "fact_count", "last_event_at",
        "updated_at",
    )  # fmt: skip
    for start in range(0, n, CHUNK):
        orders, plan = [], []
        for i in range(start, min(n, start + CHUNK)):
            profile = _mix(i, rng)
            profiles[profile] = profiles.get(profile, 0) + 1
            ref = str(i)
            if profile == "overdue":
                placed = NOW - timedelta(days=6)
                last = NOW - timedelta(hours=3)
            elif profile in ("stalled", "label_only", "unshipped"):
                placed = NOW - timedelta(days=5 + rng.random())
                last = placed + timedelta(hours=10)
            else:
                placed = NOW - timedelta(days=rng.random() * 2)
                last = NOW - timedelta(hours=rng.random() * 20)
            interesting = profile in ("stalled", "label_only", "overdue", "unshipped")
            # Only orders the sweep will pick need a snapshot; the rest keep the table small.
            snapshot = _state_snapshot(ref, profile, placed, last) if interesting else {}
            orders.append(
                (store.pk, ref, f"{i:026d}", 0, f"#{ref}", "", "", placed, "GBP", "in_transit", "", [], snapshot,
                 3, last, NOW)
            )  # fmt: skip
            plan.append((ref, profile, placed, last))
        insert_rows(Order, order_fields, orders)
        ids = dict(
            Order.objects.filter(store=store, external_id__in=[p[0] for p in plan]).values_list(
                "external_id", "pk"
            )
        )
        lines, shipments = [], []
        for ref, profile, placed, last in plan:
            order_id = ids[ref]
            shipped = 0 if profile == "unshipped" else 1
            status = "handed_to_carrier" if shipped else "placed"
            lines.append((order_id, "L1", "SKU", "Item", "", "", 1, None, status, shipped, 0))
            if not shipped:
                continue
            tag = {"delivered": "delivered", "label_only": "info_received"}.get(profile, "in_transit")
            promise = (placed + timedelta(days=3)).date()
            shipments.append(
                (store.pk, order_id, "S1", "ups", f"1Z{ref}", tag, tag, last, placed + timedelta(hours=4),
                 last if tag == "delivered" else None, promise, promise,
                 None if profile == "label_only" else last)
            )  # fmt: skip
        insert_rows(
            OrderLine,
            ("order", "line_id", "sku", "title", "variant", "product_id", "quantity", "unit_price", "status",
             "shipped_quantity", "unavailable_quantity"),
            lines,
        )  # fmt: skip
        insert_rows(
            Shipment,
            ("store", "order", "key", "carrier", "tracking_number", "tag", "subtag", "status_at", "shipped_at",
             "delivered_at", "estimated_delivery", "first_estimated_delivery", "last_checkpoint_at"),
            shipments,
        )  # fmt: skip
        print(f"inserted {min(n, start + CHUNK)}/{n}", file=sys.stderr, flush=True)
    return profiles


def measure(n: int) -> dict:
    """Populate, analyse, and time selection, a first sweep and a steady-state sweep."""
    from django.db import connection

    from aftercart.exceptions.selectors import sweep_candidates
    from aftercart.exceptions.services import exceptions_sweep
    from aftercart.stores.detection_rules import rules_for

    started = time.perf_counter()
    profiles = populate(n)
    insert_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rules = rules_for("")
    started = time.perf_counter()
    found = sweep_candidates(now=NOW, rules=rules)
    select_seconds = time.perf_counter() - started
    first = exceptions_sweep(now=NOW)
    steady = exceptions_sweep(now=NOW + timedelta(minutes=5))
    return {
        "benchmark": "sweep",
        "database": connection.vendor,
        "shipments_and_orders": n,
        "profiles": profiles,
        "insert_seconds": round(insert_seconds, 1),
        "select_seconds": round(select_seconds, 3),
        "candidates_by_rule": {k: len(v) for k, v in found.items()},
        "first_sweep": {
            "seconds": round(first.select_seconds + first.sync_seconds, 3),
            "select_seconds": round(first.select_seconds, 3),
            "sync_seconds": round(first.sync_seconds, 3),
            "candidates": first.candidates,
            "opened": first.opened,
        },
        "steady_sweep": {
            "seconds": round(steady.select_seconds + steady.sync_seconds, 3),
            "candidates": steady.candidates,
            "opened": steady.opened,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shipments", type=int, default=200_000)
    parser.add_argument("--database-url", default=None, help="A PostgreSQL server URL (default: SQLite).")
    args = parser.parse_args()
    from aftercart.benchmarks import temporary_database

    with temporary_database(args.database_url) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("AFTERCART_SECRET_KEY", "bench-" + "x" * 40)
        os.environ["AFTERCART_DEBUG"] = "0"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        try:
            print(json.dumps(measure(args.shipments)))
        finally:
            from django.db import connections

            connections.close_all()


if __name__ == "__main__":
    main()
