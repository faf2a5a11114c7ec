"""The ledger's carrier events → returns: a return's parcel is tracked like any other.

Carrier events reach the ledger through the usual doors (the REST tracking API, AfterShip and
EasyPost webhooks, carrier polls). The returns app owns the parcels of its returns
(:func:`return_parcels` is registered as an owner with :mod:`aftercart.orders.parcels`): their
events are kept in the ledger but off the order's projection, even when they name the order
(AfterShip sends the order id with a return's tracking), so a return delivered to the warehouse is
never told as the order delivered. One indexed query per ledger batch with carrier events says
which numbers are returns'; their events then move the returns (:func:`track_returns`, handling
:class:`~aftercart.orders.events.ForeignParcelEvents`), inside the ledger's transaction.

When a store is deleted, its returns' photos on disk go with its rows (:func:`forget_store_photos`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from aftercart.kernel.db import rows_in
from aftercart.orders.events import ForeignParcelEvents
from aftercart.returns import selectors
from aftercart.returns.models import Return, ReturnLine
from aftercart.returns.photos import photos_delete
from aftercart.returns.services.carrier import return_carrier_event


def track_returns(event: ForeignParcelEvents) -> None:
    """Apply a batch's carrier events to the returns whose tracking numbers they carry, oldest
    event first (a batch may hold a parcel's whole history)."""
    store, events = event.store, event.events
    found = {
        ret.tracking_number: ret
        for ret in selectors.returns_by_tracking(store.pk, sorted({e.tracking_number for e in events}))
    }
    if not found:
        return
    for tracked in sorted(events, key=lambda e: e.fact.sort_key):
        ret = found.get(tracked.tracking_number)
        if ret is None:
            continue
        tag = str(tracked.fact.payload.get("tag") or "")
        if return_carrier_event(
            ret, tag=tag, occurred_at=tracked.fact.occurred_at, fact_key=tracked.fact.idempotency_key
        ):
            ret.refresh_from_db(fields=["status", "exchange_order"])


def return_parcels(store: Any, numbers: Sequence[str]) -> set[str]:
    """Which of these (normalised) tracking numbers are the store's return parcels (in chunks the
    database accepts as parameters, as the ledger reads)."""
    rows = rows_in(Return, ("tracking_number",), "tracking_number", numbers, equal={"store": store.pk})
    return {number for (number,) in rows}


def forget_store_photos(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` of a store (connected in ``ReturnsConfig.ready``): its returns' rows go with
    it by cascade, and their photos on disk go too — once the deletion is committed, so a deletion
    that rolls back keeps them."""
    paths = [
        path
        for photos in ReturnLine.objects.filter(ret__store_id=instance.pk).values_list("photos", flat=True)
        for path in photos or []
        if isinstance(path, str)
    ]
    if paths:
        transaction.on_commit(lambda: photos_delete(paths))
