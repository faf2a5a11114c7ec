"""The periodic exception sweep, run beside the task worker: stalls and missed deadlines are
revealed by time passing, which no incoming fact signals."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django.utils import timezone

from aftercart.exceptions.services import exceptions_sweep
from aftercart.orders.windows import models_refit_due, promises_make

logger = logging.getLogger(__name__)


def sweep_loop(*, stop: threading.Event, interval: float = 300.0) -> None:
    """Sweep, then wait ``interval`` seconds, until ``stop`` is set. Errors are logged and the
    loop goes on: a database restart must not end the sweeps."""
    while not stop.is_set():
        close_old_connections()
        try:
            # Delivery models are fitted here, hourly, and stored for every process: a fit takes
            # seconds and has no place in a page view or a transaction. First, so that the sweep's
            # re-estimates of stalled parcels use a fit from the start.
            models_refit_due(now=timezone.now())
        except Exception:
            logger.exception("delivery model refit failed; retrying in %ss", interval)
        try:
            exceptions_sweep(now=timezone.now())
        except Exception:
            logger.exception("exception sweep failed; retrying in %ss", interval)
        try:
            # New orders' delivery promises, kept as made (a prediction per order has no place in
            # the ledger's transaction).
            promises_make(now=timezone.now())
        except Exception:
            logger.exception("delivery promises failed; retrying in %ss", interval)
        stop.wait(interval)


def start_sweep_thread(*, interval: float = 300.0) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`sweep_loop` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=sweep_loop, kwargs={"stop": stop, "interval": interval}, name="aftercart-sweep", daemon=True
    )
    thread.start()
    return thread, stop
