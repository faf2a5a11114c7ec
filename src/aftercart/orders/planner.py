"""Where the projection hands newly reached milestones to whoever acts on them.

Receivers get every order of a ledger batch at once, so they can read and write in bulk (one query
per batch, not per order). They run inside the ledger's transaction, so what they write (outbox
rows) commits or rolls back with the facts that caused it. They must not do I/O: sending happens
later, from the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aftercart.domain.facts import Fact
from aftercart.domain.milestones import Reached
from aftercart.domain.projection import OrderState


@dataclass(frozen=True, slots=True)
class Planned:
    """One order whose re-projection reached new milestones. ``order`` is the order's row as the
    ledger loaded it (an ``Order``, or the ledger's lighter ``OrderRow``): use its ``pk``,
    ``store_id`` and ``external_id`` only."""

    order: Any
    state: OrderState
    reached: list[Reached]


Receiver = Callable[..., None]  # receiver(*, items: Sequence[Planned], now: datetime) -> None

_receivers: list[Receiver] = []
#: Receivers of *every* re-projected order, milestones or not (exception detection needs to see a
#: new scan that resolves a stall). Same signature; ``reached`` may be empty.
_projected_receivers: list[Receiver] = []


def connect(receiver: Receiver) -> Receiver:
    """Register a receiver (usable as a decorator)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def disconnect(receiver: Receiver) -> None:
    """Unregister a receiver (tests, benchmarks)."""
    if receiver in _receivers:
        _receivers.remove(receiver)


def receivers() -> list[Receiver]:
    """The receivers connected now."""
    return list(_receivers)


def dispatch(*, items: Sequence[Planned], now: datetime) -> None:
    """Hand a batch's newly reached milestones to every receiver."""
    if not items:
        return
    for receiver in _receivers:
        receiver(items=items, now=now)


def connect_projected(receiver: Receiver) -> Receiver:
    """Register a receiver for every re-projected order of a batch (usable as a decorator)."""
    if receiver not in _projected_receivers:
        _projected_receivers.append(receiver)
    return receiver


def disconnect_projected(receiver: Receiver) -> None:
    """Unregister a receiver registered with :func:`connect_projected`."""
    if receiver in _projected_receivers:
        _projected_receivers.remove(receiver)


def dispatch_projected(*, items: Sequence[Planned], now: datetime) -> None:
    """Hand every re-projected order of a batch to the receivers registered for them."""
    if not items:
        return
    for receiver in _projected_receivers:
        receiver(items=items, now=now)


def wants_projected() -> bool:
    """Whether anyone listens for every re-projected order (saves building the list otherwise)."""
    return bool(_projected_receivers)


@dataclass(frozen=True, slots=True)
class Tracked:
    """A carrier event of a ledger batch, with its parcel's normalised tracking number (whether or
    not the number belongs to a shipment of an order: a return's parcel does not)."""

    tracking_number: str
    fact: Fact


#: Receivers of a batch's carrier events: ``receiver(*, store, events: Sequence[Tracked], now)``.
_tracking_receivers: list[Receiver] = []


def connect_tracking(receiver: Receiver) -> Receiver:
    """Register a receiver of every carrier event the ledger records (usable as a decorator)."""
    if receiver not in _tracking_receivers:
        _tracking_receivers.append(receiver)
    return receiver


def disconnect_tracking(receiver: Receiver) -> None:
    """Unregister a receiver registered with :func:`connect_tracking`."""
    if receiver in _tracking_receivers:
        _tracking_receivers.remove(receiver)


def dispatch_tracking(*, store: Any, events: Sequence[Tracked], now: datetime) -> None:
    """Hand a batch's new carrier events to every tracking receiver (inside the ledger's
    transaction: what they write commits with the facts)."""
    if not events:
        return
    for receiver in _tracking_receivers:
        receiver(store=store, events=events, now=now)


def wants_tracking() -> bool:
    """Whether anyone listens for carrier events."""
    return bool(_tracking_receivers)
