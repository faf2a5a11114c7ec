"""Replenishment: how long a store's customers take to buy a product again, learned from its orders.

For each product, every customer's purchases are put in date order (several on one day are one
purchase: a basket, or an invoice split in lines) and the days between consecutive purchases are
the product's intervals. The product's interval is the **median** of all of them — robust to the
customer who bought twice in a week and the one who came back after a year — and it is learned
only with enough support: at least ``min_intervals`` intervals from at least ``min_customers``
customers. Otherwise the product has none and no reminder is sent: a guess would nag.

A reminder is due a little before the customer would run out (``lead_days`` before the interval
since their last purchase of it), and never before the product onboarding message (the caller
passes the earliest moment a promotion may go).
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Purchase:
    """One customer buying one product on one day."""

    customer: str
    product: str
    on: date


@dataclass(frozen=True, slots=True)
class Interval:
    """A product's learned repeat-purchase interval and the evidence behind it."""

    product: str
    days: float
    #: Intervals the median is taken over.
    support: int
    customers: int


def learn_intervals(
    purchases: Iterable[Purchase], *, min_intervals: int = 5, min_customers: int = 3, max_days: int = 730
) -> dict[str, Interval]:
    """Each product's median interval between a customer's consecutive purchases, for the products
    with enough support (see the module); products without are absent. Customers or products
    named "" are ignored; intervals longer than ``max_days`` are not repeat purchases."""
    days_by_key: dict[tuple[str, str], set[date]] = defaultdict(set)
    for p in purchases:
        if p.customer and p.product:
            days_by_key[(p.product, p.customer)].add(p.on)
    gaps: dict[str, list[int]] = defaultdict(list)
    buyers: dict[str, set[str]] = defaultdict(set)
    for (product, customer), days in days_by_key.items():
        ordered = sorted(days)
        found = [(b - a).days for a, b in itertools.pairwise(ordered)]
        found = [g for g in found if 0 < g <= max_days]
        if found:
            gaps[product].extend(found)
            buyers[product].add(customer)
    out: dict[str, Interval] = {}
    for product, values in gaps.items():
        if len(values) >= min_intervals and len(buyers[product]) >= min_customers:
            out[product] = Interval(
                product, float(statistics.median(values)), len(values), len(buyers[product])
            )
    return out


def reminder_due(
    *, last_purchase: datetime, interval: Interval, lead_days: float = 3.0, not_before: datetime | None = None
) -> datetime:
    """When to remind a customer who last bought the product at ``last_purchase``: ``lead_days``
    before they would run out, never before ``not_before`` (the onboarding message) nor before the
    purchase itself."""
    due = last_purchase + timedelta(days=max(interval.days - lead_days, 0.0))
    return max(due, not_before or due, last_purchase)
