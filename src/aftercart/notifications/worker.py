"""The delivery loop: poll the outbox for due messages and deliver them until told to stop.

The outbox needs polling, not only task enqueueing, because most messages become due later than
they are written (the consolidation window, quiet hours, retry backoff).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from django.db import close_old_connections

from aftercart.notifications.services import LEASE, DeliveryReport, message_deliver_due

logger = logging.getLogger(__name__)


def delivery_loop(
    *,
    stop: threading.Event,
    interval: float = 5.0,
    limit: int = 50,
    lease: timedelta = LEASE,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> None:
    """Deliver due messages until ``stop`` is set; sleep ``interval`` seconds when none are due.

    A full batch is followed at once by the next, so a backlog drains at send speed. Errors (the
    database restarting) are logged and retried after ``interval``: the loop itself never dies.
    """
    while not stop.is_set():
        close_old_connections()
        try:
            report = message_deliver_due(limit=limit, lease=lease)
        except Exception:
            logger.exception("delivery pass failed; retrying in %ss", interval)
            stop.wait(interval)
            continue
        if on_report is not None and report.claimed:
            on_report(report)
        if report.claimed < limit and not report.deferred:
            stop.wait(interval)


def start_delivery_thread(
    *, interval: float = 5.0, limit: int = 50, lease: timedelta = LEASE
) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`delivery_loop` in a daemon thread (for ``aftercart worker``); set the returned
    event to stop it after its current message."""
    stop = threading.Event()
    thread = threading.Thread(
        target=delivery_loop,
        kwargs={"stop": stop, "interval": interval, "limit": limit, "lease": lease},
        name="aftercart-deliver",
        daemon=True,
    )
    thread.start()
    return thread, stop
