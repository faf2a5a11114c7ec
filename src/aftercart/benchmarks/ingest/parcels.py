"""Before the timed run: every parcel the stream will touch, set up through the ledger (order placed,
shipment created)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aftercart.benchmarks import Reporter
from aftercart.benchmarks.ingest.config import DELIVERY_LAG, EPOCH, SETUP_PARCELS_PER_CALL, IngestConfig
from aftercart.benchmarks.ingest.stream import Parcel, StreamStats, schedule


def _order_json(parcel: Parcel) -> dict[str, Any]:
    placed = EPOCH + timedelta(minutes=parcel.start - 2 * 24 * 60)
    lines: list[dict[str, Any]] = [
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


def setup_parcels(config: IngestConfig, store: Any, reporter: Reporter) -> int:
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
    for _ in schedule(config, stats, admit):
        done += 1
        if done % 10_000 == 0:
            reporter.advance(10_000)
    if pending:
        flush()
    reporter.advance(done % 10_000)
    return stats.parcels
