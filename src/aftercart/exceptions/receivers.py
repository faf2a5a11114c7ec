"""The planner receiver: every re-projected order of a ledger batch → its exception cases synced.

Runs inside the ledger's transaction, once per batch: one read of the batch's open cases and bulk
writes, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from aftercart.exceptions.services import SyncResult, exceptions_sync_many
from aftercart.orders.planner import Planned

#: Hooks told of the cases each batch opened. Each gets
#: ``(result: SyncResult, items: Sequence[Planned], now: datetime)``.
on_opened: list = []


def _message_opened(result: SyncResult, items: Sequence[Planned], now: datetime) -> None:
    from aftercart.exceptions.notify import notify_opened

    notify_opened(result.opened, {i.order.pk: (i.order, i.state) for i in items}, now)


on_opened.append(_message_opened)


def sync_exceptions(*, items: Sequence[Planned], now: datetime) -> None:
    """Open and resolve the cases of every re-projected order (``AFTERCART_EXCEPTIONS_ENABLED``)."""
    if not getattr(settings, "AFTERCART_EXCEPTIONS_ENABLED", True):
        return
    result: SyncResult = exceptions_sync_many(items=[(i.order, i.state) for i in items], now=now)
    if result.opened:
        for hook in on_opened:
            hook(result, items, now)
