"""What support measures: how many "where is my order?" contacts reach the store per 100 orders,
how many are answered without a person, whether those answers held, how fast people answer.

Pure functions of plain records, so the figures the console, the API and the back office show are
computed once, here, and can be checked by hand (``tests/unit/test_support_metrics.py``).

Definitions (each figure's docstring repeats its own):

- a **contact** is one conversation a customer opened (whatever the channel); its *intent* is the
  one the classifier gave it, and it is **WISMO** when that intent is in
  :data:`~aftercart.domain.support.intents.WISMO_INTENTS`;
- a contact is **automated** when it was answered automatically and no person answered it after;
- a **recontact** is the same customer (same ``customer`` key: their normalised e-mail or phone)
  opening another contact within 72 hours after an automated answer;
- **first-response time** is from the contact's opening to its first answer, automated or human;
  percentiles are nearest-rank (the smallest value with at least p % of values at or below it), so
  each one is a time that really happened;
- weeks are ISO weeks (Monday to Sunday, UTC), named ``YYYY-Www``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aftercart.domain.support.intents import OTHER, WISMO_INTENTS

__all__ = [
    "RECONTACT_WINDOW",
    "Contact",
    "SupportFigures",
    "WeekFigure",
    "automation_rate",
    "figures",
    "first_response_percentiles",
    "iso_week",
    "nearest_rank",
    "recontact_rate",
    "volume_by_intent",
    "wismo_per_100_orders",
]

#: A customer writing again this soon after an automated answer was not helped by it.
RECONTACT_WINDOW = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class Contact:
    """One conversation as the figures see it.

    ``customer`` is the customer's normalised e-mail or phone ("" when unknown: such a contact
    never counts as anyone's recontact); ``first_response_at`` is the first answer, automated or a
    person's (``None``: unanswered); ``automated`` says the answer that closed it was automatic and
    no person answered it.
    """

    store: str
    opened_at: datetime
    intent: str = OTHER
    customer: str = ""
    automated: bool = False
    first_response_at: datetime | None = None
    automated_at: datetime | None = None

    @property
    def wismo(self) -> bool:
        """Whether the customer asked where the order is (or when it arrives)."""
        return self.intent in WISMO_INTENTS


@dataclass(frozen=True, slots=True)
class WeekFigure:
    """One store's one week: WISMO contacts, orders placed, and contacts per 100 orders (``None``
    when no order was placed that week: a rate over nothing is not zero)."""

    store: str
    week: str
    wismo_contacts: int
    orders: int
    per_100_orders: float | None


def iso_week(moment: datetime) -> str:
    """The ISO week of ``moment`` as ``YYYY-Www`` (``2026-W01``); the caller passes UTC."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def wismo_per_100_orders(
    contacts: Iterable[Contact], orders: Iterable[tuple[str, datetime]]
) -> list[WeekFigure]:
    """WISMO contacts per 100 orders, per store and ISO week: the week's WISMO contacts (by when
    they were opened) over the orders placed that week (``orders``: ``(store, placed_at)``), × 100.

    Every (store, week) with a contact or an order has a row, sorted by store then week."""
    wismo: Counter[tuple[str, str]] = Counter((c.store, iso_week(c.opened_at)) for c in contacts if c.wismo)
    placed: Counter[tuple[str, str]] = Counter((store, iso_week(at)) for store, at in orders)
    rows = []
    for key in sorted(set(wismo) | set(placed)):
        n, total = wismo[key], placed[key]
        rows.append(WeekFigure(key[0], key[1], n, total, round(100 * n / total, 2) if total else None))
    return rows


def automation_rate(contacts: Sequence[Contact]) -> float | None:
    """The share (0..1) of contacts answered automatically with no person after; ``None`` for no
    contacts."""
    if not contacts:
        return None
    return sum(c.automated for c in contacts) / len(contacts)


def recontact_rate(contacts: Sequence[Contact], window: timedelta = RECONTACT_WINDOW) -> float | None:
    """The share (0..1) of automated answers after which the same customer opened another contact
    within ``window`` (the automated answer's time, else the contact's first response, else its
    opening, starts the window; a contact opened at that very moment or later counts, up to and
    including the window's end). ``None`` when nothing was automated."""
    by_customer: dict[str, list[datetime]] = defaultdict(list)
    for c in contacts:
        if c.customer:
            by_customer[c.customer].append(c.opened_at)
    for times in by_customer.values():
        times.sort()
    automated = [c for c in contacts if c.automated]
    if not automated:
        return None
    again = 0
    for c in automated:
        start = c.automated_at or c.first_response_at or c.opened_at
        if c.customer and any(
            start <= t <= start + window and t > c.opened_at for t in by_customer[c.customer]
        ):
            again += 1
    return again / len(automated)


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p ≤ 100) of ``values``: the ⌈p/100 · n⌉-th
    smallest; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def first_response_percentiles(contacts: Iterable[Contact]) -> tuple[float | None, float | None]:
    """First-response time in seconds, p50 and p90 (nearest rank), over the answered contacts."""
    seconds = [
        (c.first_response_at - c.opened_at).total_seconds()
        for c in contacts
        if c.first_response_at is not None and c.first_response_at >= c.opened_at
    ]
    return nearest_rank(seconds, 50), nearest_rank(seconds, 90)


def volume_by_intent(contacts: Iterable[Contact]) -> list[tuple[str, int]]:
    """Contacts per intent, most first (ties by name)."""
    counts = Counter(c.intent or OTHER for c in contacts)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True, slots=True)
class SupportFigures:
    """Every support figure over one period."""

    contacts: int
    wismo_contacts: int
    orders: int
    wismo_per_100_orders: float | None
    weekly: tuple[WeekFigure, ...]
    automation_rate: float | None
    recontact_rate: float | None
    first_response_p50: float | None
    first_response_p90: float | None
    by_intent: tuple[tuple[str, int], ...]


def figures(contacts: Sequence[Contact], orders: Sequence[tuple[str, datetime]]) -> SupportFigures:
    """All the figures of a period's ``contacts`` and ``orders`` (``(store, placed_at)``): the
    period's WISMO contacts per 100 orders overall, and per store and week."""
    wismo = sum(c.wismo for c in contacts)
    p50, p90 = first_response_percentiles(contacts)
    return SupportFigures(
        contacts=len(contacts),
        wismo_contacts=wismo,
        orders=len(orders),
        wismo_per_100_orders=round(100 * wismo / len(orders), 2) if orders else None,
        weekly=tuple(wismo_per_100_orders(contacts, orders)),
        automation_rate=automation_rate(contacts),
        recontact_rate=recontact_rate(contacts),
        first_response_p50=p50,
        first_response_p90=p90,
        by_intent=tuple(volume_by_intent(contacts)),
    )
