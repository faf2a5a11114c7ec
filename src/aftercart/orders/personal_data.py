"""The ledger's part of a customer's personal data: their orders, the facts about them and the
cached projections (see docs/privacy.md).

Erasure is the one write the append-only ledger allows on a stored fact: the payload is
pseudonymised in place (personal fields blanked, the customer's strings redacted from free text),
never deleted, so every order keeps its facts, its timeline and its statuses. Blank fields change
no status: the projection only ever overwrites with non-empty values (docs/facts.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import F

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.facts import FactKind
from aftercart.domain.personal_data import PERSONAL_KEYS, scrub_json
from aftercart.domain.projection.fold import project
from aftercart.kernel.db import chunks
from aftercart.kernel.personal_data import DataSubject
from aftercart.orders.models import Fact, Order
from aftercart.orders.selectors import facts_for_orders

#: A customer's review (``feedback.received``): its title and comment are their own words.
_FEEDBACK_TEXT = ("title", "comment")


def orders_of_customer(*, store_id: int, emails: Iterable[str], phones: Iterable[str]) -> set[int]:
    """The store's orders whose e-mail or phone number is the customer's (both normalised:
    :mod:`aftercart.domain.contacts`; phones read in each order's country)."""
    emails, phones = {e for e in emails if e}, {p for p in phones if p}
    found = set(Order.objects.filter(store_id=store_id, email__in=emails).values_list("pk", flat=True))
    if phones:
        # The phone is in the snapshot only, as typed: compared after normalising each one.
        rows = (
            Order.objects.filter(store_id=store_id)
            .values_list("pk", "snapshot__phone", "snapshot__country")
            .iterator(chunk_size=2000)
        )
        found.update(pk for pk, phone, country in rows if phone and phone_key(phone, country or "") in phones)
    return found


def orders_placed_before(
    cutoff: datetime, *, excluding: Any = None, limit: int = 1000
) -> dict[int, list[int]]:
    """The oldest ``limit`` orders placed before ``cutoff`` (``excluding``: a query of order ids
    already purged), by store: what a retention purge erases."""
    rows = Order.objects.filter(placed_at__lt=cutoff)
    if excluding is not None:
        rows = rows.exclude(pk__in=excluding)
    by_store: dict[int, list[int]] = {}
    for pk, store_id in rows.order_by("placed_at", "pk").values_list("pk", "store_id")[:limit]:
        by_store.setdefault(store_id, []).append(pk)
    return by_store


def identities(order_ids: Sequence[int]) -> tuple[set[str], set[str], set[str]]:
    """Everything identifying in these orders' facts: their e-mail addresses and phone numbers
    (normalised) and every personal string as given (names, postcodes, addresses, and the
    addresses as typed), to search the rest of the data for."""
    emails: set[str] = set()
    phones: set[str] = set()
    strings: set[str] = set()
    for chunk in chunks(list(order_ids)):
        for payload in Fact.objects.filter(order_id__in=chunk).values_list("payload", flat=True):
            if not isinstance(payload, dict):
                continue
            country = str(payload.get("country") or "")
            if payload.get("email"):
                emails.add(email_key(str(payload["email"])))
            if payload.get("phone"):
                phones.add(phone_key(str(payload["phone"]), country))
            strings.update(
                str(v) for k, v in payload.items() if k in PERSONAL_KEYS and isinstance(v, str) and v
            )
    return emails, phones, strings


def addresses_in_use(*, store_id: int, emails: Iterable[str], excluding: Sequence[int]) -> set[str]:
    """Which of these e-mail addresses still belong to another order of the store (one not being
    erased): a retention purge leaves those customers' consent records alone."""
    return set(
        Order.objects.filter(store_id=store_id, email__in=set(emails))
        .exclude(pk__in=excluding)
        .values_list("email", flat=True)
    )


def export(subject: DataSubject) -> dict[str, Any]:
    """Each order as Aftercart derives it, and every fact it was derived from."""
    ids = sorted(subject.order_ids)
    facts = facts_for_orders(ids)
    rows: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunks(ids):
        for order_id, kind, occurred, recorded, source, payload in (
            Fact.objects.filter(order_id__in=chunk)
            .order_by("occurred_at", "pk")
            .values_list("order_id", "kind", "occurred_at", "recorded_at", "source", "payload")
        ):
            rows.setdefault(order_id, []).append(
                {
                    "kind": kind,
                    "occurred_at": occurred.isoformat(),
                    "recorded_at": recorded.isoformat(),
                    "source": source,
                    "payload": payload,
                }
            )
    orders = []
    for order in Order.objects.filter(pk__in=ids).order_by("placed_at", "pk"):
        state = project(facts.get(order.pk, ()), order.external_id)
        orders.append(
            {
                "order_id": order.external_id,
                "number": order.number,
                "placed_at": order.placed_at.isoformat() if order.placed_at else None,
                "state": state.to_json(),
                "facts": rows.get(order.pk, []),
            }
        )
    return {"orders": orders}


def erase(subject: DataSubject) -> dict[str, int]:
    """Pseudonymise the orders' facts and cached projections in place; revoke their tracking links.

    The snapshot is scrubbed the same way as the facts it was folded from, so it is what a rebuild
    from the scrubbed facts gives (``aftercart backup verify`` compares the two). ``token_version``
    is raised: links sent to the customer stop opening the order, and no process folds new facts
    onto a state it cached before the erasure (:mod:`aftercart.orders.state_cache`).
    """
    ids = sorted(subject.order_ids)
    facts_changed = 0
    for chunk in chunks(ids):
        changed = []
        for fact in Fact.objects.filter(order_id__in=chunk).only("pk", "kind", "payload"):
            payload = scrub_json(fact.payload, subject.needles)
            if fact.kind == FactKind.FEEDBACK_RECEIVED.value and isinstance(payload, dict):
                payload.update({k: "" for k in _FEEDBACK_TEXT if payload.get(k)})
            if payload != fact.payload:
                fact.payload = payload
                changed.append(fact)
        Fact.objects.bulk_update(changed, ["payload"], batch_size=500)
        facts_changed += len(changed)
    orders = list(Order.objects.filter(pk__in=ids).only("pk", "snapshot"))
    for order in orders:
        order.snapshot = scrub_json(order.snapshot, subject.needles)
    Order.objects.bulk_update(orders, ["snapshot"], batch_size=500)
    Order.objects.filter(pk__in=ids).update(email="", postal_code="", token_version=F("token_version") + 1)
    return {"orders": len(orders), "facts": facts_changed}
