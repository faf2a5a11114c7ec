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
from aftercart.domain.projection.state import OrderState


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
    """A carrier event of a ledger batch, with its parcel's normalised tracking number."""

    tracking_number: str
    fact: Fact


@dataclass(frozen=True)
class TrackingOwner:
    """Something other than an order's shipments that owns parcels (a return owns its return
    parcel). ``claim(store, numbers)`` answers which of these tracking numbers are its own: their
    carrier events stay off the orders' projections (a return parcel delivered to the warehouse is
    not the customer's order delivered), even when they name the order. ``receive(*, store,
    events: Sequence[Tracked], now)`` then gets those events, inside the ledger's transaction."""

    claim: Callable[[Any, Sequence[str]], set[str]]
    receive: Receiver


_tracking_owners: list[TrackingOwner] = []


def connect_tracking(owner: TrackingOwner) -> TrackingOwner:
    """Register an owner of parcels (a second registration of an equal owner is ignored)."""
    if owner not in _tracking_owners:
        _tracking_owners.append(owner)
    return owner


def disconnect_tracking(owner: TrackingOwner) -> None:
    """Unregister an owner registered with :func:`connect_tracking`."""
    if owner in _tracking_owners:
        _tracking_owners.remove(owner)


def tracking_claims(store: Any, numbers: Sequence[str]) -> dict[str, TrackingOwner]:
    """Which owner claims each of these tracking numbers (numbers nobody claims are left out)."""
    claimed: dict[str, TrackingOwner] = {}
    if not numbers:
        return claimed
    for owner in _tracking_owners:
        for number in owner.claim(store, numbers):
            claimed.setdefault(number, owner)
    return claimed


def dispatch_tracking(
    *, store: Any, events: Sequence[Tracked], claims: dict[str, TrackingOwner], now: datetime
) -> None:
    """Hand each owner the batch's carrier events for the parcels it claimed."""
    for owner in _tracking_owners:
        mine = [e for e in events if claims.get(e.tracking_number) is owner]
        if mine:
            owner.receive(store=store, events=mine, now=now)
