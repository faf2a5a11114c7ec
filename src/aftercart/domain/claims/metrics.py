"""The numbers behind claims, as pure functions of plain records: claims per 100 orders by kind,
carrier and lane, the approval rate, time to decision and to resolution (p50 and p90, nearest
rank), what was paid out and what was recovered from carriers. The claims app reads the rows
(:mod:`aftercart.claims.metrics`); everything computed is here, testable by hand."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.domain.returns.money import quantize

__all__ = ["ClaimRecord", "OrderRecord", "claims_metrics_of", "lane_of", "percentile", "rate_per_100"]


@dataclass(frozen=True)
class OrderRecord:
    """An order placed in the period: the carriers of its parcels and its lane."""

    carriers: frozenset[str] = frozenset()
    lane: str = ""


@dataclass(frozen=True)
class ClaimRecord:
    """A claim filed in the period."""

    kind: str
    status: str
    created_at: datetime
    carrier: str = ""
    lane: str = ""
    decided_at: datetime | None = None
    resolved_at: datetime | None = None
    currency: str = ""
    #: Money paid out (refund or store credit), and recovered from the carrier.
    paid_out: Decimal = Decimal(0)
    recovered: Decimal = Decimal(0)


def lane_of(origin: str, destination: str) -> str:
    """A lane as ``"GB→DE"`` (``"?"`` for a country not known)."""
    return f"{(origin or '?').upper()}→{(destination or '?').upper()}"


def rate_per_100(count: int, orders: int) -> float | None:
    """``count`` per 100 ``orders``, to two decimals; ``None`` without orders."""
    if orders <= 0:
        return None
    return round(count * 100 / orders, 2)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile by nearest rank: the smallest value with at least ``p`` % of the
    values at or below it (``None`` for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 3600, 2)


def _rates(counts: Counter[str], orders: Counter[str] | int) -> dict[str, Any]:
    out = {}
    for key in sorted(counts):
        base = orders if isinstance(orders, int) else orders.get(key, 0)
        out[key] = {"claims": counts[key], "orders": base, "per_100_orders": rate_per_100(counts[key], base)}
    return out


def _money(totals: dict[str, Decimal]) -> list[dict[str, str]]:
    return [
        {"currency": cur, "amount": str(quantize(totals[cur], cur))} for cur in sorted(totals) if totals[cur]
    ]


def claims_metrics_of(orders: Iterable[OrderRecord], claims: Iterable[ClaimRecord]) -> dict[str, Any]:
    """The metrics of ``claims`` filed in a period over ``orders`` placed in it.

    Rates: claims per 100 orders, in all, by kind (over every order), by carrier and by lane (over
    the orders shipped with that carrier, or on that lane; warranty claims, which are about the
    product, count by kind only). Approval rate: approved or resolved over decided (denied too).
    Times in hours from filing: to the decision (approved or denied), to the resolution."""
    orders = list(orders)
    claims = list(claims)
    total_orders = len(orders)
    by_carrier_orders: Counter[str] = Counter(c for o in orders for c in o.carriers)
    by_lane_orders: Counter[str] = Counter(o.lane for o in orders if o.lane)
    kinds: Counter[str] = Counter(c.kind for c in claims)
    carriers: Counter[str] = Counter(c.carrier for c in claims if c.carrier)
    lanes: Counter[str] = Counter(c.lane for c in claims if c.lane and c.carrier)
    decided = [c for c in claims if c.status in ("approved", "resolved", "denied")]
    approved = [c for c in decided if c.status != "denied"]
    to_decision = [h for c in claims if (h := _hours(c.created_at, c.decided_at)) is not None]
    to_resolution = [h for c in claims if (h := _hours(c.created_at, c.resolved_at)) is not None]
    paid: dict[str, Decimal] = defaultdict(Decimal)
    recovered: dict[str, Decimal] = defaultdict(Decimal)
    for c in claims:
        paid[c.currency] += c.paid_out
        recovered[c.currency] += c.recovered
    return {
        "orders": total_orders,
        "claims": len(claims),
        "claims_per_100_orders": rate_per_100(len(claims), total_orders),
        "by_kind": _rates(kinds, total_orders),
        "by_carrier": _rates(carriers, by_carrier_orders),
        "by_lane": _rates(lanes, by_lane_orders),
        "decided": len(decided),
        "approval_rate": None if not decided else round(len(approved) / len(decided), 4),
        "time_to_decision_hours": {"p50": percentile(to_decision, 50), "p90": percentile(to_decision, 90)},
        "time_to_resolution_hours": {
            "p50": percentile(to_resolution, 50),
            "p90": percentile(to_resolution, 90),
        },
        "paid_out": _money(paid),
        "recovered": _money(recovered),
    }
