"""A customer's data within one store: find it, export it, erase it; and the retention purge.

The orchestrator knows no app's tables: each app exports and erases its own part through the
port :mod:`aftercart.kernel.personal_data` (registered in :mod:`aftercart.wiring.handlers`). It
finds the customer's orders through the ledger (the one app every other part hangs from), builds
the :class:`~aftercart.kernel.personal_data.DataSubject` and runs every handler in one transaction.
See docs/privacy.md.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.personal_data import needles_for
from aftercart.kernel.caches import caches_reset
from aftercart.kernel.personal_data import DataSubject, personal_data_handlers, pseudonym_of
from aftercart.orders.personal_data import identities, orders_of_customer, orders_placed_before
from aftercart.privacy.models import ErasedOrder, ErasureReceipt
from aftercart.stores.models import Store

logger = logging.getLogger(__name__)

#: The export's format, in its ``format`` field: readers check it.
EXPORT_FORMAT = "aftercart.personal-data/1"
#: Orders one retention pass erases (per transaction).
RETENTION_BATCH = 200


class PrivacyRefused(ValueError):
    """A request that names no customer, or not in a form we can match: ``field`` says which."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class NothingHeld(LookupError):
    """No personal data of this customer in this store."""


@dataclass
class Export:
    """Everything held about one customer in one store: ``data`` (JSON) and the files beside it."""

    data: dict[str, Any]
    files: list[tuple[str, Path]] = field(default_factory=list)

    def zip_bytes(self) -> bytes:
        """The export as a zip: ``personal-data.json`` and the files under their names."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("personal-data.json", json.dumps(self.data, indent=2, ensure_ascii=False))
            for name, path in self.files:
                archive.write(path, name)
        return buffer.getvalue()


def subject_find(store: Store, *, email: str = "", phone: str = "") -> DataSubject:
    """The customer with this e-mail address or phone number (or both) in ``store``: their orders
    and every address and personal string on those orders (an erasure asked by e-mail takes the
    phone number of the same orders too). :class:`PrivacyRefused` if neither is usable."""
    emails = {email_key(email)} - {""}
    phones: set[str] = set()
    if phone.strip():
        key = phone_key(phone, store.country)
        if not key.startswith("+"):
            raise PrivacyRefused(
                "phone", "not a valid phone number (E.164, or national in the store's country)"
            )
        phones.add(key)
    if not emails and not phones:
        raise PrivacyRefused("email", "give the customer's e-mail address or phone number")
    if emails and "@" not in next(iter(emails)):
        raise PrivacyRefused("email", "not an e-mail address")
    order_ids = orders_of_customer(store_id=store.pk, emails=emails, phones=phones)
    found_emails, found_phones, strings = identities(sorted(order_ids))
    return _subject(
        store.pk,
        order_ids,
        emails | found_emails,
        phones | found_phones,
        strings | {email, phone},
        primary=next(iter(sorted(emails or phones))),
    )


def _subject(
    store_id: int,
    order_ids: set[int],
    emails: set[str],
    phones: set[str],
    strings: set[str],
    *,
    primary: str = "",
    whole_customer: bool = True,
) -> DataSubject:
    return DataSubject(
        store_id=store_id,
        order_ids=frozenset(order_ids),
        emails=frozenset(emails - {""}),
        phones=frozenset(phones - {""}),
        needles=needles_for(emails | phones | strings),
        pseudonym=pseudonym_of(store_id, primary) if primary else "",
        whole_customer=whole_customer,
        pseudonymise=lambda value: pseudonym_of(store_id, value),
    )


def _empty(section: Any) -> bool:
    if isinstance(section, dict):
        return all(_empty(v) for v in section.values())
    return not section


def customer_export(store: Store, *, email: str = "", phone: str = "", now: datetime | None = None) -> Export:
    """Everything the store holds about the customer (see docs/privacy.md for the format);
    :class:`NothingHeld` when there is nothing."""
    subject = subject_find(store, email=email, phone=phone)
    sections = {handler.name: handler.export(subject) for handler in personal_data_handlers()}
    if _empty(sections):
        raise NothingHeld("nothing held")
    files = [item for handler in personal_data_handlers() for item in handler.files(subject)]
    data = {
        "format": EXPORT_FORMAT,
        "store": {"slug": store.slug, "name": store.name},
        "generated_at": (now or timezone.now()).isoformat(),
        "customer": {"emails": sorted(subject.emails), "phones": sorted(subject.phones)},
        "sections": sections,
        "files": [name for name, _ in files],
    }
    return Export(data, files)


def customer_erase(
    store: Store, *, requested_by: str, email: str = "", phone: str = "", now: datetime | None = None
) -> ErasureReceipt:
    """Erase the customer's personal data in ``store`` (docs/privacy.md: what goes, what stays and
    why), in one transaction, and return its receipt. :class:`NothingHeld` (and nothing written)
    when nothing of theirs was found."""
    now = now or timezone.now()
    subject = subject_find(store, email=email, phone=phone)
    matched = "+".join(k for k, v in (("email", email.strip()), ("phone", phone.strip())) if v)
    receipt = _erase(subject, ErasureReceipt.Kind.REQUEST, requested_by, matched, now)
    if receipt is None:
        raise NothingHeld("nothing held")
    return receipt


def _erase(
    subject: DataSubject, kind: str, requested_by: str, matched_by: str, now: datetime
) -> ErasureReceipt | None:
    with transaction.atomic():
        counts = {handler.name: handler.erase(subject) for handler in personal_data_handlers()}
        if not any(n for part in counts.values() for n in part.values()):
            return None
        receipt = ErasureReceipt.objects.create(
            store_id=subject.store_id,
            kind=kind,
            subject=subject.pseudonym,
            requested_by=requested_by[:120],
            matched_by=matched_by,
            requested_at=now,
            completed_at=timezone.now(),
            counts=counts,
        )
        ErasedOrder.objects.bulk_create(
            [ErasedOrder(order_id=pk, receipt=receipt) for pk in sorted(subject.order_ids)],
            ignore_conflicts=True,
        )
        # This process forgets at once what it cached of these orders; other processes' caches
        # are stale by the orders' token_version (aftercart.orders.state_cache).
        transaction.on_commit(caches_reset)
    logger.info("erasure %s: %s orders, receipt %s", kind, len(subject.order_ids), receipt.pk)
    return receipt


def retention_purge(
    *, now: datetime | None = None, days: int | None = None, limit: int = RETENTION_BATCH
) -> bool:
    """Erase the personal data of up to ``limit`` orders placed more than ``days`` (default
    ``AFTERCART_RETENTION_DAYS``; 0: keep for ever) ago and not erased yet, with the same erasers
    as a request. Records kept by address alone (consent) go only when no newer order of the store
    still has that address. Returns whether more are waiting."""
    days = settings.AFTERCART_RETENTION_DAYS if days is None else days
    if not days:
        return False
    now = now or timezone.now()
    due = orders_placed_before(
        now - timedelta(days=days), excluding=ErasedOrder.objects.values("order_id"), limit=limit
    )
    for store_id, ids in due.items():
        _purge(store_id, ids, days, now)
    return sum(len(ids) for ids in due.values()) >= limit


def _purge(store_id: int, order_ids: Sequence[int], days: int, now: datetime) -> None:
    emails, phones, strings = identities(order_ids)
    subject = _subject(store_id, set(order_ids), emails, phones, strings, whole_customer=False)
    receipt = _erase(subject, ErasureReceipt.Kind.RETENTION, f"retention:{days}d", "", now)
    if receipt is None:  # nothing personal left in them: marked so the next pass passes them by
        with transaction.atomic():
            receipt = ErasureReceipt.objects.create(
                store_id=store_id,
                kind=ErasureReceipt.Kind.RETENTION,
                requested_by=f"retention:{days}d",
                requested_at=now,
                completed_at=timezone.now(),
                counts={},
            )
            ErasedOrder.objects.bulk_create([ErasedOrder(order_id=pk, receipt=receipt) for pk in order_ids])


def retention_pass() -> bool:
    """One pass of the retention loop (:mod:`aftercart.kernel.loops`)."""
    return retention_purge()
