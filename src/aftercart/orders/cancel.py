"""The store cancelling an order (``POST /api/v1/orders/<id>/cancel``), refused once it was
delivered: checked in the transaction that holds the order's lock and writes the cancellation.

Checked before the lock, a delivery recorded between the check and the write (a carrier scan
arriving at that moment) left a cancellation on a delivered order. Under the lock, the delivery
either committed before the check (refused) or waits until the cancellation has committed (it
folds after it, as facts of a cancelled order do).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from aftercart.domain.facts import Fact
from aftercart.kernel.db import rows_in
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.services import RecordResult, facts_record
from aftercart.stores.models import Store


class OrderDelivered(Exception):
    """The order was delivered: there is nothing left to cancel (nothing was written)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id!r} was delivered")
        self.order_id = order_id


def order_cancel(*, store: Store, order: Order, fact: Fact, now: datetime | None = None) -> RecordResult:
    """Record ``fact`` (the order's ``order.cancelled``) unless the order was delivered and not
    already cancelled (cancelling again changes nothing): :class:`OrderDelivered` then."""
    with transaction.atomic():
        # PostgreSQL: the row lock every ledger writer takes first. SQLite: the transaction began
        # IMMEDIATE (settings), which already holds the database's one write lock.
        if connection.features.has_select_for_update:
            rows_in(Order, ("id",), "id", [order.pk], lock=True)
        state = order_state(order)
        if state.cancelled_at is None and state.fully_delivered:
            raise OrderDelivered(order.external_id)
        return facts_record(store=store, facts=[fact], now=now)
