"""The whole simulation: which scenarios each shop gets, and when each order is placed so that
``now`` falls inside its scenario's window."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from aftercart.demo.simulate.journey import Journey
from aftercart.demo.simulate.models import SimulatedOrder, to_models
from aftercart.demo.simulate.shops import BRANDS, Brand

#: How far back the simulated orders go.
HISTORY = timedelta(days=30)

#: Scenario → weight. The name says where ``now`` falls in the order's journey.
SCENARIO_WEIGHTS: dict[str, int] = {
    "delivered": 40,
    "delivered_after_delay": 4,
    "delivered_after_attempt": 4,
    "delivered_split": 5,
    "pickup_collected": 3,
    "in_transit": 12,
    "out_for_delivery": 4,
    "delayed": 4,
    "attempt_failed": 3,
    "lost": 1,
    # The carrier stopped scanning the parcel days ago (it will be found, or declared lost, later):
    # the page says since when and that the shop is chasing it.
    "stalled": 1,
    "damaged": 1,
    "returning": 1,
    "pickup_ready": 3,
    "item_unavailable": 2,
    # Ready for pickup and not collected, the deadline less than a day away: the customer is
    # reminded and may extend it once or have it delivered.
    "pickup_expiring": 1,
    "partially_shipped": 3,
    "being_prepared": 5,
    # A backorder at the warehouse: past the two-business-day handling SLA with nothing shipped,
    # the customer is asked to keep waiting or cancel.
    "late_to_ship": 1,
    "just_placed": 3,
    "cancelled": 3,
}

#: Every shop gets each scenario at least once, so the demo always shows every situation that
#: ``now`` allows (nothing is out for delivery at 3 a.m.).
REQUIRED_SCENARIOS = tuple(SCENARIO_WEIGHTS)

#: When a scenario cannot happen at ``now`` (out for delivery on a Sunday night), the next one
#: that can.
FALLBACKS = ("in_transit", "delivered")


def simulate(*, seed: int, orders: int, now: datetime) -> list[SimulatedOrder]:
    """``orders`` simulated orders for the demo shops, placed over the 30 days before ``now``.

    Deterministic for a given ``seed`` and ``now``. Orders are numbered per shop in the order they
    were placed. No event after ``now`` is included.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    rng = random.Random(seed)
    out: list[SimulatedOrder] = []
    remaining = orders
    for index, brand in enumerate(BRANDS):
        count = remaining if index == len(BRANDS) - 1 else round(orders * brand.share)
        remaining -= count
        out.extend(_brand_orders(brand, count, seed, rng, now))
    return out


def _scenarios(count: int, rng: random.Random) -> list[str]:
    names = list(SCENARIO_WEIGHTS)
    chosen = list(REQUIRED_SCENARIOS[:count])
    chosen += rng.choices(names, weights=list(SCENARIO_WEIGHTS.values()), k=count - len(chosen))
    rng.shuffle(chosen)
    return chosen


def _brand_orders(
    brand: Brand, count: int, seed: int, rng: random.Random, now: datetime
) -> Iterator[SimulatedOrder]:
    journeys: list[Journey] = []
    for i, scenario in enumerate(_scenarios(count, rng)):
        journey = None
        for candidate in (scenario, *FALLBACKS):
            journey = _place(brand, candidate, f"{seed}:{brand.slug}:{i}", now)
            if journey is not None:
                break
        if journey is not None:
            journeys.append(journey)
    # Numbers follow the order in which customers checked out, as in a real shop.
    journeys.sort(key=lambda j: j.placed)
    for seq, journey in enumerate(journeys, start=1):
        yield to_models(journey, seq, now)


def _place(brand: Brand, scenario: str, key: str, now: datetime) -> Journey | None:
    """Simulate the scenario with the customer checking out at a moment that puts ``now`` inside
    its window, or ``None`` when no moment in the last 30 days does (e.g. "out for delivery" on
    a Sunday night)."""
    placer = random.Random(f"{key}:placed")
    lo, hi = 0.0, HISTORY.total_seconds() / 86400
    narrowed = False
    for _ in range(400):
        placed = _checkout_time(brand, placer, now - timedelta(days=placer.uniform(lo, hi)))
        if not now - HISTORY <= placed <= now:
            continue
        # The journey's own randomness is the same whatever the placement, so retries move the
        # same journey in time rather than drawing a new one.
        journey = Journey(brand, random.Random(f"{key}:journey"), placed, scenario)
        journey.run()
        start, end = journey.window
        if start <= now and (end is None or now < end):
            return journey
        if not narrowed:
            narrowed = True
            # Look where the window falls relative to checkout and search around it only.
            days = 86400.0
            first = (start - placed).total_seconds() / days
            last = (end - placed).total_seconds() / days if end else hi
            lo, hi = max(0.0, first - 2.5), min(hi, max(last + 2.5, first))
    return None


#: Relative likelihood of checkout at each local hour (evenings and lunchtime are busiest).
_HOURLY = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 10, 9, 8, 8, 9, 10, 12, 13, 12, 9, 5)


def _checkout_time(brand: Brand, rng: random.Random, around: datetime) -> datetime:
    day = around.astimezone(brand.tz).date()
    hour = rng.choices(range(24), weights=_HOURLY)[0]
    moment = time(hour, rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, moment, tzinfo=brand.tz).astimezone(UTC)
