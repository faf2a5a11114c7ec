"""Where the projection hands newly reached milestones to whoever acts on them.

Receivers run inside the ledger's transaction, so what they write (outbox rows) commits or rolls back
with the facts that caused it. They must not do I/O: sending happens later, from the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from aftercart.domain.milestones import Reached
from aftercart.domain.projection import OrderState


class Receiver(Protocol):
    def __call__(
        self, *, order: object, state: OrderState, reached: list[Reached], now: datetime
    ) -> None: ...


_receivers: list[Callable[..., None]] = []


def connect(receiver: Callable[..., None]) -> Callable[..., None]:
    """Register a receiver (usable as a decorator)."""
    if receiver not in _receivers:
        _receivers.append(receiver)
    return receiver


def disconnect(receiver: Callable[..., None]) -> None:
    """Unregister a receiver (tests)."""
    if receiver in _receivers:
        _receivers.remove(receiver)


def dispatch(*, order: object, state: OrderState, reached: list[Reached], now: datetime) -> None:
    """Hand newly reached milestones to every receiver."""
    for receiver in _receivers:
        receiver(order=order, state=state, reached=reached, now=now)
