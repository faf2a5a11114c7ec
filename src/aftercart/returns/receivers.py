"""The ledger's carrier events → returns: a return's parcel is tracked like any other.

Carrier events reach the ledger through the usual doors (the REST tracking API, AfterShip and
EasyPost webhooks, carrier polls). A return's tracking number belongs to no order shipment, so
its events are kept unattached in the ledger; this receiver, called once per ledger batch inside
its transaction, moves the returns they name (one indexed query per batch, none when no event
names a return).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aftercart.orders.planner import Tracked
from aftercart.returns import selectors
from aftercart.returns.services import return_carrier_event


def track_returns(*, store: Any, events: Sequence[Tracked], now: datetime) -> None:
    """Apply a batch's carrier events to the returns whose tracking numbers they carry, oldest
    event first (a batch may hold a parcel's whole history)."""
    found = {
        ret.tracking_number: ret
        for ret in selectors.returns_by_tracking(store.pk, sorted({e.tracking_number for e in events}))
    }
    if not found:
        return
    for event in sorted(events, key=lambda e: e.fact.sort_key):
        ret = found.get(event.tracking_number)
        if ret is None:
            continue
        tag = str(event.fact.payload.get("tag") or "")
        if return_carrier_event(
            ret, tag=tag, occurred_at=event.fact.occurred_at, fact_key=event.fact.idempotency_key
        ):
            ret.refresh_from_db(fields=["status", "exchange_order"])
