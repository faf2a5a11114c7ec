"""The process's caches, registered in one place with one reset.

Each module that keeps something in memory across requests or passes (prepared SQL, a parsed
setting, rendered page parts, fitted models, projected states) registers it here under a name with
the function that empties it, and says in its own docstring why what it keeps cannot go stale in a
way that matters. :func:`caches_reset` empties them all: what a new process would start with. Tests
call it before each test (an autouse fixture) and wherever they stand for "another process"; code
calls it where a change must be seen at once by this process (none does today).

Not registered: the pure ``lru_cache``s of :mod:`aftercart.domain` (their values depend on their
arguments alone, so there is nothing a reset could make fresher) and block-scoped caches such as
:func:`aftercart.notifications.message_templates.templates_cached`, which end with their block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import _lru_cache_wrapper, lru_cache
from typing import TypeVar

T = TypeVar("T")

_registry: dict[str, Callable[[], None]] = {}
_lock = threading.Lock()


def cache_register(name: str, clear: Callable[[], None]) -> Callable[[], None]:
    """Register a process cache under ``name`` (its module and what it keeps) with the function
    that empties it; returns ``clear``. Registering a name again replaces it (a module reloaded)."""
    with _lock:
        _registry[name] = clear
    return clear


def memoised(name: str, *, maxsize: int | None = 128) -> Callable[[Callable[..., T]], _lru_cache_wrapper[T]]:
    """``functools.lru_cache(maxsize=maxsize)`` (``None``: unbounded, like ``functools.cache``),
    registered under ``name``."""

    def decorate(function: Callable[..., T]) -> _lru_cache_wrapper[T]:
        cached = lru_cache(maxsize=maxsize)(function)
        cache_register(name, cached.cache_clear)
        return cached

    return decorate


def caches_registered() -> dict[str, Callable[[], None]]:
    """The registered caches, by name, with their clear functions."""
    with _lock:
        return dict(_registry)


def caches_reset() -> None:
    """Empty every registered cache of this process."""
    for clear in caches_registered().values():
        clear()
