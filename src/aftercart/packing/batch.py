"""Which orders a batch of packing slips is for, and the refusals that write nothing and name the
culprit: an order the store does not have, a batch beyond the cap."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from aftercart.domain.vocabulary import Stage
from aftercart.orders.models import Order
from aftercart.stores.models import Store

#: Stages of an order still to pack: placed, not yet handed to a carrier.
UNSHIPPED = (Stage.CONFIRMATION.value, Stage.FULFILMENT.value)


class SlipsRefused(Exception):
    """A batch refused before anything is rendered. ``status`` is the HTTP answer (404 for one
    order the store does not have, 422 naming the ids in a batch, 400 for none, 413 beyond the cap); ``errors``
    are ``{field, message}`` pairs."""

    def __init__(self, status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []


def batch_limit() -> int:
    """The most orders one request may ask slips for (``AFTERCART_PACKING_SLIPS_MAX``, default 100:
    a pick cart or two, and about 6 CPU seconds, well inside a worker's 30 s timeout at ~60 ms a
    slip, docs/benchmarks.md; the command line has no limit)."""
    return int(getattr(settings, "AFTERCART_PACKING_SLIPS_MAX", 100))


def order_for_slip(store: Store, order_id: str) -> Order:
    """The store's order by its own id; 404 when the store has none by that id (another store's
    order is no more found than one that does not exist)."""
    order = Order.objects.select_related("store").filter(store=store, external_id=order_id).first()
    if order is None:
        raise SlipsRefused(404, "Order not found", f"No order with order_id {order_id!r} in this store.")
    return order


def orders_for_slips(store: Store, order_ids: Sequence[str], *, limit: int | None = None) -> list[Order]:
    """The store's orders for ``order_ids``, in the order asked (a repeated id once). Refused, by
    index and id, when any is unknown to the store, and when there are more than ``limit``."""
    wanted = list(dict.fromkeys(str(i) for i in order_ids))
    if not wanted:
        raise SlipsRefused(
            400,
            "No orders",
            "order_ids: name at least one order.",
            [{"field": "order_ids", "message": "empty"}],
        )
    if limit is not None and len(wanted) > limit:
        raise SlipsRefused(
            413,
            "Too many orders",
            f"order_ids: {len(wanted)} orders asked; at most {limit} per request "
            "(split the pick list, or use `aftercart packing-slips` for more).",
            [{"field": "order_ids", "message": f"at most {limit} orders"}],
        )
    found: dict[str, Order] = {}
    for start in range(0, len(wanted), 500):  # parameters per statement stay within SQLite's limit
        chunk = wanted[start : start + 500]
        for order in Order.objects.select_related("store").filter(store=store, external_id__in=chunk):
            found[order.external_id] = order
    missing: list[tuple[int, str]] = []  # (index as sent, id), each unknown id once
    for index, raw in enumerate(order_ids):
        if str(raw) not in found and all(str(raw) != i for _at, i in missing):
            missing.append((index, str(raw)))
    if missing:
        names = ", ".join(repr(i) for _index, i in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        # 422: the request is well formed, but names orders this store does not have.
        raise SlipsRefused(
            422,
            "Unknown orders",
            f"No order with order_id {names}{more} in this store; no slips were made.",
            [
                {"field": f"order_ids[{index}]", "message": f"no order {i!r} in this store"}
                for index, i in missing
            ],
        )
    return [found[i] for i in wanted]


def unshipped_orders(store: Store) -> list[Order]:
    """The store's orders still to pack (placed, not shipped, not cancelled), oldest first: the
    pick list when no ids are given."""
    return list(
        Order.objects.select_related("store")
        .filter(store=store, stage__in=UNSHIPPED, placed_at__isnull=False)
        .order_by("placed_at", "pk")
    )
