"""Reads from the ledger and its projections."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection

from aftercart.domain.addresses import postal_code_key
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.next_step import NextStep, next_step
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.db import chunks, concrete_field
from aftercart.kernel.reads import FixedRead
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order
from aftercart.stores.detection_rules import rules_for
from aftercart.stores.models import Store

_FACT_FIELDS = (
    "order_id",
    "kind",
    "occurred_at",
    "idempotency_key",
    "source",
    "order_ref",
    "tracking_number",
    "payload",
)
#: One order's facts: every page view reads them (see aftercart.kernel.reads for why not a queryset).
_FACTS_OF_ORDER = FixedRead(FactRow, where="order_id = %s", fields=_FACT_FIELDS)


def facts_for_orders(order_ids: Sequence[int]) -> dict[int, list[Fact]]:
    """The domain facts of each order, in one query per chunk."""
    ids = list(order_ids)
    if len(ids) != 1:
        return facts_after(dict.fromkeys(ids, 0))  # every fact: ids start at 1
    by_order: dict[int, list[Fact]] = defaultdict(list)
    for order_id, *values in _FACTS_OF_ORDER.rows([ids[0]]):
        by_order[order_id].append(_fact(*values))
    return by_order


def facts_after(after: dict[int, int]) -> dict[int, list[Fact]]:
    """The facts of each order (a key of ``after``) stored after its watermark, a fact id: the
    facts no projection of the order has folded yet (see ``PendingProjection``).

    Plain SQL, values decoded here: the drain reads back every fact a firehose appended, and the
    ORM's per-value converters (JSON, datetimes) cost more than the query.
    """
    by_order: dict[int, list[Fact]] = defaultdict(list)
    qn = connection.ops.quote_name
    names = [qn(concrete_field(FactRow._meta, name).column) for name in _FACT_FIELDS]
    if connection.vendor == "sqlite":
        # As text: the driver would otherwise parse it with Django's regex-based converter, at
        # several times the cost of datetime.fromisoformat in _datetime.
        at = _FACT_FIELDS.index("occurred_at")
        names[at] = f"CAST({names[at]} AS TEXT)"
    columns = ", ".join(names)
    table = qn(FactRow._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in chunks(sorted(after)):
            # One bound for the chunk (facts past the lowest watermark), then each order's own.
            cursor.execute(
                f"SELECT id, {columns} FROM {table} WHERE id > %s AND order_id IN "
                f"({', '.join(['%s'] * len(chunk))})",
                [min(after[order_id] for order_id in chunk), *chunk],
            )
            # Unpacked by name, not sliced into new tuples: this loop runs for every fact a drain folds.
            for fact_id, order_id, kind, at, key, source, order_ref, tracking, payload in cursor.fetchall():
                if fact_id > after[order_id]:
                    by_order[order_id].append(
                        _fact(kind, _datetime(at), key, source, order_ref, tracking, _json(payload))
                    )
    return by_order


def _datetime(value: datetime | str) -> datetime:
    # SQLite stores naive UTC (Django's adapter returns it as a naive datetime); PostgreSQL's are
    # aware already.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    # Django has both backends return JSON columns as text, for JSONField to decode.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


#: Kind by stored value: a dict lookup, where ``FactKind(value)`` goes through the enum machinery
#: for each of the thousands of facts a drain reads back.
_KINDS = {kind.value: kind for kind in FactKind}


def _fact(
    kind: str, occurred_at: datetime, key: str, source: str, order_ref: str, tracking: str, payload: Any
) -> Fact:
    """A domain fact from a ledger row's decoded values (``_FACT_FIELDS`` after the order id)."""
    return Fact(_KINDS[kind], occurred_at, key, source, order_ref or None, tracking or None, payload)


def order_state(order: Order) -> OrderState:
    """The order's state, projected fresh from its facts (one query)."""
    return project(facts_for_orders([order.pk]).get(order.pk, ()), order.external_id)


def order_view(order: Order, now: datetime) -> tuple[OrderState, NextStep]:
    """State and next step of one order, as every touchpoint shows it (with the store's exception
    thresholds, as its team's queue sees the order)."""
    return order_view_of(order, facts_for_orders([order.pk]).get(order.pk, ()), now)


def order_view_of(order: Order, facts: Sequence[Fact], now: datetime) -> tuple[OrderState, NextStep]:
    """:func:`order_view` from the order's facts already read (the delivery worker reads the facts
    of a whole batch of orders in one query). ``order.store`` is read: load it with the order."""
    state = project(facts, order.external_id)
    return state, next_step(state, now, rules_for(order.store.country))


def order_by_external_id(store: Store, external_id: str) -> Order | None:
    """A store's order by the store's own id."""
    return Order.objects.filter(store=store, external_id=external_id).first()


def order_timeline(order: Order) -> list[FactRow]:
    """Every fact of an order in the order it happened (the agent's and API's timeline)."""
    return list(order.facts.order_by("occurred_at", "pk"))


# --- the shopper's lookup ----------------------------------------------------------------------

#: Most orders one number can match across stores; numbers are per store, so a few can collide.
MAX_CANDIDATES = 20


def normalise_number(raw: str) -> str:
    """An order number as typed ("#1001", " 1001 ", "ac-1001") without the "#" and spaces, upper case."""
    return re.sub(r"\s+", "", raw or "").lstrip("#").upper()[:64]


def normalise_email(raw: str) -> str:
    """E-mail addresses compare case-insensitively (orders store them lower-cased)."""
    return (raw or "").strip().lower()[:254]


def _same(given: str, stored: str) -> bool:
    # Compare fixed-length digests so the time taken says nothing about how much of the secret
    # matched or how long it is; an empty value never matches (an order without a postal code
    # must not open for an empty or punctuation-only answer).
    a = hashlib.sha256(given.encode()).digest()
    b = hashlib.sha256(stored.encode()).digest()
    return hmac.compare_digest(a, b) & bool(given) & bool(stored)


def find_order(number: str, contact: str, store: Store | None = None) -> Order | None:
    """The order with this number whose e-mail or postal code is ``contact``, else ``None``.

    Every miss (unknown number, wrong e-mail, wrong postal code) takes the same path: one query,
    then the same comparisons against each candidate (or one stand-in), so neither the answer nor
    its timing tells which part was wrong.
    """
    core = normalise_number(number)
    email, postal = normalise_email(contact), postal_code_key(contact)
    # Stores spell numbers with or without "#" and customers type either, in either case.
    candidates: Sequence[Order | None] = [None]
    if core:  # an empty number must never match the orders that have none
        variants = {core, f"#{core}", core.lower(), f"#{core.lower()}"}
        query = Order.objects.filter(number__in=variants).select_related("store")
        if store is not None:
            query = query.filter(store=store)
        candidates = list(query[:MAX_CANDIDATES]) or [None]
    found: Order | None = None
    for order in candidates:
        matches = _same(email, order.email if order else "\0") | _same(
            postal, order.postal_code if order else "\0"
        )
        if matches and order is not None and found is None:
            found = order
    return found
