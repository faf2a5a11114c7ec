"""Simulated shops for ``aftercart demo``: a month of orders with the journeys real parcels have.

Pure: no Django, no clock. Everything comes from ``random.Random`` seeded with the caller's seed and
from the ``now`` the caller passes, so the same seed and ``now`` give the same orders, numbers and
events, event for event. The output is the canonical API models (:class:`OrderIn` and the event
models), turned into facts by the same functions the REST API uses — the demo exercises the real
ingest path, it does not write tables.

How a journey is made: each order is given a *scenario* (delivered, in transit, out for delivery,
delayed, failed attempt, lost, damaged, pickup (one about to expire), unavailable item (with a
substitute when the product has another variant), split parcels, being prepared,
just placed, cancelled). Its whole timeline is simulated forward from the moment it was placed —
warehouse processing on business days, a carrier service's transit time, scans at plausible local
hours — and the order is placed at a moment such that ``now`` falls where the scenario wants it
(e.g. between "out for delivery" and "delivered"). Events after ``now`` are not emitted: the
simulation is cut at the present, like a real shop's data.
"""

from aftercart.demo.simulate.models import SimulatedOrder
from aftercart.demo.simulate.orders import FALLBACKS, HISTORY, REQUIRED_SCENARIOS, SCENARIO_WEIGHTS, simulate
from aftercart.demo.simulate.shops import (
    BRANDS,
    LUMIERE,
    NORTHWIND,
    Brand,
    City,
    PickupPoint,
    Product,
    Service,
)
from aftercart.domain.calendar import add_business_days, is_business_day

__all__ = [
    "BRANDS",
    "FALLBACKS",
    "HISTORY",
    "LUMIERE",
    "NORTHWIND",
    "REQUIRED_SCENARIOS",
    "SCENARIO_WEIGHTS",
    "Brand",
    "City",
    "PickupPoint",
    "Product",
    "Service",
    "SimulatedOrder",
    "add_business_days",
    "is_business_day",
    "simulate",
]
