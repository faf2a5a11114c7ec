"""Typed events: how a lower layer causes work in a higher one without importing it.

An event is a frozen dataclass named for what happened (``OrderProjected``, ``MilestonesReached``),
declared by the package that publishes it. Handlers are subscribed per event type, all of them in
one place (:mod:`aftercart.wiring`), and :func:`publish` calls them:

* plain handlers synchronously, inside the publisher's transaction: what they write (outbox rows,
  exception cases) commits or rolls back with the facts that caused it. They must do no I/O, and
  an exception they raise rolls the publisher's transaction back;
* handlers subscribed with ``on_commit=True`` through ``transaction.on_commit``: side effects that
  must only happen once the publisher's writes are durable (and never if they roll back).

Handlers get the whole event at once, so an event carrying a ledger batch is handled in bulk (one
query per batch, not per order). Publishing an event nobody subscribed to costs a dictionary look-up;
a publisher whose event is expensive to build asks :func:`has_subscribers` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.db import transaction

E = TypeVar("E")
Handler = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class Subscription:
    """One handler of an event type, and whether it runs when the transaction commits."""

    handler: Handler
    on_commit: bool = False


_subscriptions: dict[type, tuple[Subscription, ...]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], None], *, on_commit: bool = False) -> None:
    """Call ``handler(event)`` for every published event of ``event_type`` (exactly that type), after
    the handlers subscribed before it. Subscribing the same handler again is ignored (start-up code
    may run twice in tests)."""
    current = _subscriptions.get(event_type, ())
    if any(s.handler == handler for s in current):
        return
    _subscriptions[event_type] = (*current, Subscription(handler, on_commit))


def unsubscribe(event_type: type, handler: Handler) -> None:
    """Stop calling ``handler`` for ``event_type`` (tests, benchmarks); unknown handlers are ignored."""
    remaining = tuple(s for s in _subscriptions.get(event_type, ()) if s.handler != handler)
    if remaining:
        _subscriptions[event_type] = remaining
    else:
        _subscriptions.pop(event_type, None)


def subscriptions(event_type: type) -> list[Subscription]:
    """The handlers of ``event_type`` now, in the order they run."""
    return list(_subscriptions.get(event_type, ()))


def has_subscribers(event_type: type) -> bool:
    """Whether anyone handles ``event_type`` (saves building an event nobody reads)."""
    return event_type in _subscriptions


def publish(event: object) -> None:
    """Hand ``event`` to the handlers of its type: plain ones now, in the caller's transaction;
    ``on_commit`` ones when that transaction commits (at once outside a transaction)."""
    for subscription in _subscriptions.get(type(event), ()):
        if subscription.on_commit:
            transaction.on_commit(partial(subscription.handler, event))
        else:
            subscription.handler(event)
