"""Every re-projected order of a ledger batch (:class:`~aftercart.orders.events.OrderProjected`) →
its exception cases synced, and the customer messages the opened cases call for.

Runs inside the ledger's transaction, once per batch: one read of the batch's open cases and bulk
writes, no I/O.
"""

from __future__ import annotations

from django.conf import settings

from aftercart.exceptions.notify import notify_opened
from aftercart.exceptions.services import SyncResult, exceptions_sync_many
from aftercart.orders.events import OrderProjected


def sync_exceptions(event: OrderProjected) -> None:
    """Open and resolve the cases of every re-projected order (``AFTERCART_EXCEPTIONS_ENABLED``);
    the cases opened that need a customer message are published as milestones reached."""
    if not getattr(settings, "AFTERCART_EXCEPTIONS_ENABLED", True):
        return
    items = event.items
    result: SyncResult = exceptions_sync_many(items=[(i.order, i.state) for i in items], now=event.now)
    if result.opened:
        notify_opened(result.opened, {i.order.pk: (i.order, i.state) for i in items}, event.now)
