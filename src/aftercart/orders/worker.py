"""The projection drain, run by ``aftercart worker``: orders whose facts came in through
:func:`~aftercart.orders.services.facts_append` (carrier firehoses) are projected here, about once a
second, many events of an order at once."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from aftercart.kernel.loops import Loop
from aftercart.orders.services import projection_drain


def projections_catch_up(*, now: datetime | None = None) -> int:
    """Drain until no order is pending projection. Returns the number of orders projected."""
    total = 0
    while projected := projection_drain(now=now or timezone.now()):
        total += projected
    return total


def projection_pass() -> bool:
    """One pass of the loop: catch up. Nothing is left waiting afterwards (a failed pass leaves the
    markers, so the next one projects what this one could not)."""
    projections_catch_up()
    return False


def projection_loop(*, interval: float = 1.0) -> Loop:
    """The drain as a loop (:mod:`aftercart.kernel.loops`): catch up, then wait ``interval``."""
    return Loop("projection", projection_pass, interval)
