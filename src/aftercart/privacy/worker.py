"""The retention purge as a loop of ``aftercart worker`` (run only when
``AFTERCART_RETENTION_DAYS`` is set): orders age past the limit by time passing, which no event
signals, so a pass looks every hour and erases what is due in batches."""

from __future__ import annotations

from aftercart.kernel.loops import Loop
from aftercart.privacy.services import retention_pass


def retention_loop(*, interval: float = 3600.0) -> Loop:
    """The retention purge as a loop (:mod:`aftercart.kernel.loops`)."""
    return Loop("retention", retention_pass, interval)
