"""The ledger's hand-tuned SQL, in one place: the column lists its plain-SQL reads and writes use,
the idempotency look-up, the append lock, the read-back of unfolded facts, and the fact insert.

Ingest runs at about 10,000 events a second, and at that rate the ORM's per-query compilation and
per-value conversion cost more than the database's own work; each function says what it replaces
and why. Plain SQL names its columns, so a field added to a model would be silently skipped (or get
the database's NULL): ``tests/integration/test_ledger_sql.py`` checks these lists against the
models' fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection

from aftercart.domain.facts import Fact, FactKind
from aftercart.kernel.db import chunks, concrete_field, insert_rows, rows_in
from aftercart.kernel.reads import FixedRead
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order

#: Every column of a fact row but its id, in the order :func:`facts_insert` takes values.
FACT_COLUMNS = (
    "store",
    "order",
    "kind",
    "occurred_at",
    "recorded_at",
    "source",
    "idempotency_key",
    "order_ref",
    "tracking_number",
    "payload",
)
#: What a fact is read back as: its order, then what :func:`fact_of` builds a domain fact from.
FACT_READ_FIELDS = (
    "order_id",
    "kind",
    "occurred_at",
    "idempotency_key",
    "source",
    "order_ref",
    "tracking_number",
    "payload",
)
#: What facts about a parcel can change on its order: see ``services._copy_progress``.
ORDER_PROGRESS_FIELDS = ["stage", "next_step", "milestones", "snapshot", "fact_count", "last_event_at"]
#: The order columns a projection writes back (the rest are its identity: id, store, external id).
ORDER_FIELDS = ["number", "email", "postal_code", "placed_at", "currency", "total", *ORDER_PROGRESS_FIELDS]
#: Written for every order a scan reaches; stage and milestones only when they changed.
SCAN_COLUMNS: tuple[str, ...] = ("next_step", "snapshot", "fact_count", "last_event_at")
#: The projected columns of a shipment row (besides its order and key).
SHIPMENT_FIELDS = [
    "carrier",
    "tracking_number",
    "tag",
    "subtag",
    "status_at",
    "shipped_at",
    "delivered_at",
    "estimated_delivery",
    "first_estimated_delivery",
    "last_checkpoint_at",
]
#: The projected columns of an order line row (besides its order and line id).
LINE_FIELDS = [
    "sku",
    "title",
    "variant",
    "product_id",
    "quantity",
    "unit_price",
    "status",
    "shipped_quantity",
    "unavailable_quantity",
]

#: One order's facts: every page view reads them (see aftercart.kernel.reads for why not a queryset).
FACTS_OF_ORDER = FixedRead(FactRow, where="order_id = %s", fields=FACT_READ_FIELDS)


def existing_keys(store_id: int, keys: Sequence[str]) -> set[str]:
    """The idempotency keys among ``keys`` the store's ledger holds already.

    Plain SQL (:func:`~aftercart.kernel.db.rows_in`): the ORM's preparation of a 900-value IN list
    cost more than the query itself."""
    return {
        key
        for (key,) in rows_in(
            FactRow, ("idempotency_key",), "idempotency_key", keys, equal={"store": store_id}
        )
    }


def facts_insert(rows: Sequence[Sequence[Any]]) -> None:
    """Insert fact rows (values in :data:`FACT_COLUMNS` order); a duplicate key is skipped."""
    insert_rows(FactRow, FACT_COLUMNS, rows)


def lock_for_append(order_ids: Sequence[int]) -> int:
    """Lock the orders about to get facts and return the newest fact id stored so far: every fact
    this transaction inserts gets a larger one, and every earlier fact of these orders is committed
    (appends and drains of an order take turns on its row), so ``id > watermark`` finds exactly the
    facts no projection has folded. SQLite serialises writers already, so it only reads the id."""
    if connection.features.has_select_for_update:
        rows_in(Order, ("id",), "id", order_ids, lock=True)
    # Plain SQL: the ORM compiles this aggregate anew for every batch appended.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(FactRow._meta.db_table)}")
        (newest,) = cursor.fetchone()
    return newest or 0


def facts_after(after: dict[int, int]) -> dict[int, list[Fact]]:
    """The facts of each order (a key of ``after``) stored after its watermark, a fact id: the
    facts no projection of the order has folded yet (see ``PendingProjection``).

    Plain SQL, values decoded here: the drain reads back every fact a firehose appended, and the
    ORM's per-value converters (JSON, datetimes) cost more than the query.
    """
    by_order: dict[int, list[Fact]] = defaultdict(list)
    qn = connection.ops.quote_name
    names = [qn(concrete_field(FactRow._meta, name).column) for name in FACT_READ_FIELDS]
    if connection.vendor == "sqlite":
        # As text: the driver would otherwise parse it with Django's regex-based converter, at
        # several times the cost of datetime.fromisoformat in _datetime.
        at = FACT_READ_FIELDS.index("occurred_at")
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
                        fact_of(kind, _datetime(at), key, source, order_ref, tracking, _json(payload))
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


def fact_of(
    kind: str, occurred_at: datetime, key: str, source: str, order_ref: str, tracking: str, payload: Any
) -> Fact:
    """A domain fact from a ledger row's decoded values (:data:`FACT_READ_FIELDS` after the order
    id): the one fact builder of both ledger reads."""
    return Fact(_KINDS[kind], occurred_at, key, source, order_ref or None, tracking or None, payload)
