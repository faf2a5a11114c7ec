"""Parcels the orders do not own: which tracking numbers belong to another subject (a return's parcel).

The ledger routes a carrier event by its tracking number. When the number is a parcel some other
subject owns, the event is stored in the ledger with no order and stays off the order's projection
(a return parcel delivered to the warehouse is not the customer's order delivered), even when it
names the order (AfterShip sends the order id with a return's tracking). Its events are then handed
to that subject with :class:`~aftercart.orders.events.ForeignParcelEvents`.

Why a port and not a table: the owners already know their parcels (``Return.tracking_number``,
indexed per store), so asking them costs the ingest hot path the same one indexed query per batch
with carrier events that a table of owners would, without a second copy of the numbers to keep in
step with every place a return gets or changes its tracking number. Owners are registered in
:mod:`aftercart.wiring`; with none registered, claiming costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: ``claim(store, numbers)`` → which of these normalised tracking numbers the owner's parcels carry.
ParcelClaim = Callable[[Any, Sequence[str]], set[str]]

_owners: list[ParcelClaim] = []


def parcel_owner_register(claim: ParcelClaim) -> None:
    """Register an owner of parcels by its claim function (a second registration is ignored)."""
    if claim not in _owners:
        _owners.append(claim)


def parcel_owner_unregister(claim: ParcelClaim) -> None:
    """Unregister an owner registered with :func:`parcel_owner_register` (tests)."""
    if claim in _owners:
        _owners.remove(claim)


def parcels_claimed(store: Any, numbers: Sequence[str]) -> set[str]:
    """Which of these tracking numbers some registered owner claims (none asked when ``numbers`` is
    empty): their carrier events stay off the orders."""
    claimed: set[str] = set()
    if not numbers:
        return claimed
    for claim in _owners:
        claimed |= claim(store, numbers)
    return claimed
