"""A per-process cache of recently projected order states.

Ingest folds new facts onto an order's previous state; reading that state back from its stored
snapshot (JSON decode, then rebuilding the dataclasses) was the largest per-event cost of a carrier
firehose. A worker that keeps ingesting for the same orders can keep their states in memory instead.

Safe by construction:

* an entry is only used when its ``fact_count`` equals the order row's, read under the row lock in
  the same transaction, so any write by another process (or a rebuild) makes it a miss;
* an entry is *taken* (removed) before the fold mutates it, and states are put back only when the
  transaction commits, so a rolled-back batch never leaves a state the database does not have.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from django.db import transaction

from aftercart.domain.projection.state import OrderState
from aftercart.kernel.caches import cache_register

#: Orders kept; a firehose touches each active order every few batches. Bounded so memory stays
#: flat however long the worker runs (each entry is a few KB).
MAX_ENTRIES = 20_000

#: An entry's version: the order's ``(fact_count, token_version)``. An erasure rewrites facts
#: without adding any, and raises ``token_version`` so that no process folds new facts onto a state
#: that still holds the erased customer's data.
Version = tuple[int, int]

_entries: OrderedDict[int, tuple[Version, OrderState, list[str]]] = OrderedDict()


def take(order_id: int, version: Version) -> tuple[OrderState, list[str]] | None:
    """The cached state and milestone keys of an order if they are as of ``version``."""
    entry = _entries.pop(order_id, None)
    if entry is None or entry[0] != version:
        return None
    return entry[1], entry[2]


def put_on_commit(items: Iterable[tuple[int, Version, OrderState, list[str]]]) -> None:
    """Cache (order id, version, state, milestones) once the surrounding transaction commits.

    The states come without checkpoint lists, like a stored snapshot (the ledger folds with
    ``project(checkpoints=False)``): otherwise every cached parcel's timeline would stay in memory.
    """
    batch = list(items)
    if batch:
        transaction.on_commit(lambda: _put(batch))


def clear() -> None:
    """Forget everything (:func:`aftercart.kernel.caches.caches_reset`)."""
    _entries.clear()


cache_register("orders.state_cache", clear)


def _put(batch: list[tuple[int, Version, OrderState, list[str]]]) -> None:
    for order_id, version, state, milestones in batch:
        _entries[order_id] = (version, state, milestones)
        _entries.move_to_end(order_id)
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)
