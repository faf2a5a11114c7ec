"""The delivery loop: poll the outbox for due messages and deliver them until told to stop.

The outbox needs polling, not only task enqueueing, because most messages become due later than
they are written (the consolidation window, quiet hours, retry backoff).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from aftercart.kernel.loops import Loop
from aftercart.notifications.delivery import LEASE, DeliveryReport, message_deliver_due


def delivery_pass(
    *, limit: int = 50, lease: timedelta = LEASE, on_report: Callable[[DeliveryReport], None] | None = None
) -> bool:
    """Deliver one batch of due messages; whether more are waiting. A full batch is followed at
    once by the next, so a backlog drains at send speed."""
    report = message_deliver_due(limit=limit, lease=lease)
    if on_report is not None and report.claimed:
        on_report(report)
    return report.claimed >= limit or bool(report.deferred)


def delivery_loop(
    *,
    interval: float = 5.0,
    limit: int = 50,
    lease: timedelta = LEASE,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> Loop:
    """Delivery as a loop (:mod:`aftercart.kernel.loops`): ``interval`` seconds between polls when
    nothing is due."""
    return Loop("deliver", partial(delivery_pass, limit=limit, lease=lease, on_report=on_report), interval)
