"""The periodic exception sweep, run by ``aftercart worker``: stalls and missed deadlines are
revealed by time passing, which no incoming fact signals."""

from __future__ import annotations

import logging

from django.utils import timezone

from aftercart.exceptions.services import exceptions_sweep
from aftercart.kernel.loops import Loop
from aftercart.orders.windows import models_refit_due, promises_make

logger = logging.getLogger(__name__)


def sweep_pass() -> bool:
    """Refit due delivery models, sweep, make new promises. Each step fails on its own (logged):
    one that raises does not keep the others from running. Nothing is left waiting."""
    try:
        # Delivery models are fitted here, hourly, and stored for every process: a fit takes
        # seconds and has no place in a page view or a transaction. First, so that the sweep's
        # re-estimates of stalled parcels use a fit from the start.
        models_refit_due(now=timezone.now())
    except Exception:
        logger.exception("delivery model refit failed; retrying next sweep")
    try:
        exceptions_sweep(now=timezone.now())
    except Exception:
        logger.exception("exception sweep failed; retrying next sweep")
    try:
        # New orders' delivery promises, kept as made (a prediction per order has no place in
        # the ledger's transaction).
        promises_make(now=timezone.now())
    except Exception:
        logger.exception("delivery promises failed; retrying next sweep")
    return False


def sweep_loop(*, interval: float = 300.0) -> Loop:
    """The sweep as a loop (:mod:`aftercart.kernel.loops`): a pass every ``interval`` seconds."""
    return Loop("sweep", sweep_pass, interval)
