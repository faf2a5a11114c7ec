"""The claims metrics of a store over a period (``GET /api/v1/claims/metrics``): this reads the
rows, :func:`aftercart.domain.claims.metrics.claims_metrics_of` computes."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.claims.models import Claim
from aftercart.domain.claims.metrics import ClaimRecord, OrderRecord, claims_metrics_of, lane_of
from aftercart.domain.facts import to_utc
from aftercart.orders.models import Order, Shipment
from aftercart.stores.models import Store


def claims_metrics(
    store: Store, *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Orders placed and claims filed in ``[since, until)`` (either end open when ``None``). The
    ends are read in UTC (PostgreSQL takes no offset beyond ±15:59, which ISO 8601 allows)."""
    since = None if since is None else to_utc(since)
    until = None if until is None else to_utc(until)
    orders = Order.objects.filter(store=store, placed_at__isnull=False)
    claims = Claim.objects.filter(store=store)
    if since is not None:
        orders = orders.filter(placed_at__gte=since)
        claims = claims.filter(created_at__gte=since)
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
        claims = claims.filter(created_at__lt=until)
    origin = store.country
    countries = dict(orders.values_list("id", "snapshot__country"))
    carriers: dict[int, set[str]] = defaultdict(set)
    for order_id, carrier in Shipment.objects.filter(order_id__in=orders.values("id")).values_list(
        "order_id", "carrier"
    ):
        if carrier:
            carriers[order_id].add(carrier.lower())
    order_records = [
        OrderRecord(frozenset(carriers.get(pk, ())), lane_of(origin, str(country or "")))
        for pk, country in countries.items()
    ]
    claim_records = [
        ClaimRecord(
            kind=row["kind"],
            status=row["status"],
            created_at=row["created_at"],
            carrier=(row["carrier"] or "").lower(),
            lane=lane_of(origin, str(row["order__snapshot__country"] or "")),
            decided_at=row["decided_at"],
            resolved_at=row["resolved_at"],
            currency=row["currency"],
            paid_out=row["payout_amount"] if row["resolution"] in ("refund", "store_credit") else Decimal(0),
            recovered=row["carrier_claim__amount_recovered"] or Decimal(0),
        )
        for row in claims.values(
            "kind",
            "status",
            "created_at",
            "carrier",
            "order__snapshot__country",
            "decided_at",
            "resolved_at",
            "currency",
            "payout_amount",
            "resolution",
            "carrier_claim__amount_recovered",
        )
    ]
    return {
        "from": None if since is None else since.isoformat(),
        "to": None if until is None else until.isoformat(),
        **claims_metrics_of(order_records, claim_records),
    }
