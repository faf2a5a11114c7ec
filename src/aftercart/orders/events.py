"""What the ledger publishes (:mod:`aftercart.kernel.events`) when a batch of facts changes orders.

Every event carries a whole ledger batch, so its handlers read and write in bulk (one query per
batch, not per order). They are published inside the ledger's transaction: what plain handlers
write (outbox rows, exception cases, a return's progress) commits or rolls back with the facts that
caused it, and they must do no I/O. Who handles what is wired in :mod:`aftercart.wiring`.

* :class:`MilestonesReached`: orders whose re-projection reached new milestones (also published by
  the exception cases for the milestones that time revealed).
* :class:`OrderProjected`: every re-projected order, milestones or not (a new scan that reaches
  nothing new still resolves a stall).
* :class:`ForeignParcelEvents`: carrier events of parcels another subject owns
  (:mod:`aftercart.orders.parcels`), kept in the ledger but off the orders' projections.

Backfills (``facts_record(notify=False)``) and rebuilds publish nothing: nobody is told about the past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aftercart.domain.facts import Fact
from aftercart.domain.milestones import Reached
from aftercart.domain.projection.state import OrderState


@dataclass(frozen=True, slots=True)
class Planned:
    """One re-projected order and the milestones it newly reached (maybe none). ``order`` is the
    order's row as the ledger loaded it (an ``Order``, or the ledger's lighter ``OrderRow``): use its
    ``pk``, ``store_id`` and ``external_id`` only."""

    order: Any
    state: OrderState
    reached: list[Reached]


@dataclass(frozen=True, slots=True)
class MilestonesReached:
    """Orders of one batch that reached new milestones (every item's ``reached`` is non-empty)."""

    items: Sequence[Planned]
    now: datetime


@dataclass(frozen=True, slots=True)
class OrderProjected:
    """Every order a batch re-projected; ``reached`` may be empty. Built only when someone
    subscribed (``has_subscribers(OrderProjected)``): a firehose batch re-projects thousands."""

    items: Sequence[Planned]
    now: datetime


@dataclass(frozen=True, slots=True)
class Tracked:
    """A carrier event of a ledger batch, with its parcel's normalised tracking number."""

    tracking_number: str
    fact: Fact


@dataclass(frozen=True, slots=True)
class ForeignParcelEvents:
    """A batch's carrier events for parcels another subject claimed (:mod:`aftercart.orders.parcels`):
    stored in the ledger with no order, handed over here. ``store`` is the ``Store`` of the batch.
    Every handler gets every claimed event and picks its own parcels' (each already looks its
    parcels up by number to apply them)."""

    store: Any
    events: Sequence[Tracked]
    now: datetime
