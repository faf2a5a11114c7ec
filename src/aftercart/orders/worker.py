"""The projection drain, run beside the task worker: orders whose facts came in through
:func:`~aftercart.orders.services.facts_append` (carrier firehoses) are projected here, about once a
second, many events of an order at once."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.db import close_old_connections, connections
from django.utils import timezone

from aftercart.orders.services import projection_drain

logger = logging.getLogger(__name__)


def projections_catch_up(*, now: datetime | None = None) -> int:
    """Drain until no order is pending projection. Returns the number of orders projected."""
    total = 0
    while projected := projection_drain(now=now or timezone.now()):
        total += projected
    return total


def projection_loop(*, stop: threading.Event, interval: float = 1.0) -> None:
    """Catch up, then wait ``interval`` seconds, until ``stop`` is set. Errors are logged and the
    loop goes on: the markers stay, so the next round projects what this one could not."""
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                projections_catch_up()
            except Exception:
                logger.exception("projection drain failed; retrying in %ss", interval)
            stop.wait(interval)
    finally:
        connections.close_all()  # this thread's own connections: none is left open on the server


def start_projection_thread(*, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`projection_loop` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=projection_loop,
        kwargs={"stop": stop, "interval": interval},
        name="aftercart-projection",
        daemon=True,
    )
    thread.start()
    return thread, stop
