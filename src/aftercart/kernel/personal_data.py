"""The port through which every app hands over a customer's personal data: exporters and erasers,
registered by name in one registry.

The privacy feature reaches across orders, notifications, exceptions and returns (and, later,
claims and conversations), yet a lower layer may not import a higher one. So each app describes
its own personal data in a ``personal_data.py`` module of its own — how to export it, how to erase
it — and :mod:`aftercart.wiring.handlers` registers them here; :mod:`aftercart.privacy` runs them
without importing any of them. A new subject app adds one module and one line in the wiring.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from aftercart.domain.personal_data import pseudonym


@dataclass(frozen=True)
class DataSubject:
    """Whose data, within one store: the customer's normalised addresses, the orders found for them,
    every string of theirs to search for, and their pseudonym.

    ``whole_customer`` false is a retention purge of old orders: records kept by address alone
    (consent, preferences) are left to the customer's newer orders."""

    store_id: int
    order_ids: frozenset[int]
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    needles: tuple[str, ...] = ()
    pseudonym: str = ""
    whole_customer: bool = True
    #: Pseudonymises one address (e-mail or E.164 phone) with the installation's key.
    pseudonymise: Callable[[str], str] = field(default=lambda value: value, compare=False, repr=False)


@dataclass(frozen=True)
class PersonalData:
    """One app's personal data. ``export`` returns a JSON-safe section of the export; ``files``
    the files to put beside it (``(name in the archive, path on disk)``); ``erase`` replaces or
    deletes the subject's personal data inside the caller's transaction and returns counts of what
    it touched (no personal data in them); files go once that transaction commits
    (``transaction.on_commit``), so a rolled-back erasure leaves them."""

    name: str
    export: Callable[[DataSubject], dict[str, Any]]
    erase: Callable[[DataSubject], dict[str, int]]
    files: Callable[[DataSubject], list[tuple[str, Path]]] = lambda subject: []


_registry: dict[str, PersonalData] = {}
_lock = threading.Lock()


def personal_data_register(handler: PersonalData) -> None:
    """Register an app's exporter and eraser (again: replaced, so ``ready()`` may run twice)."""
    with _lock:
        _registry[handler.name] = handler


def personal_data_handlers() -> list[PersonalData]:
    """Every registered handler, in registration order."""
    with _lock:
        return list(_registry.values())


def privacy_key() -> bytes:
    """The key of customers' pseudonyms: ``AFTERCART_PRIVACY_KEY`` when set, else derived from the
    secret key. Keep it stable: erased customers' pseudonyms (and their opt-out suppressions) are
    recognised only under the key they were made with."""
    secret = getattr(settings, "AFTERCART_PRIVACY_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(b"aftercart.privacy\0" + str(secret).encode()).digest()


def pseudonym_of(store_id: int, value: str) -> str:
    """The pseudonym of a normalised address in one store (a customer of two stores is two
    customers, as everywhere else)."""
    return pseudonym(privacy_key(), f"{store_id}\0{value}")


def pseudonyms_of(contacts: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """:func:`pseudonym_of` for many ``(store id, address)`` pairs (the key derived once)."""
    key = privacy_key()
    return {(store_id, value): pseudonym(key, f"{store_id}\0{value}") for store_id, value in contacts}
