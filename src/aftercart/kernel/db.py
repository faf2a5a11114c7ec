"""Bulk writes on the ingest hot path, faster than the ORM's generic ones but just as portable.

The ORM prepares every value through several layers of field methods; for the few field types the
ledger writes in bulk we adapt values directly, once per backend, and run one prepared statement
with ``executemany`` (which psycopg pipelines and SQLite runs in a loop in C).

JSON is encoded with orjson: encoding every fact's payload and every order's snapshot with the
standard library was the largest single cost of a carrier firehose (about 8% of ingest, against
about 1% with orjson). The text differs only in spacing and in writing non-ASCII characters as they
are instead of ``\\u`` escapes; both decode to the same values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC
from operator import attrgetter
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.options import Options

from aftercart.kernel.caches import memoised

_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS  # like json.dumps, which writes int keys as strings


def json_dumps(value: Any) -> str:
    """Compact JSON text of ``value``, as ``json.dumps(value, separators=(",", ":"))`` would give
    it (same values; non-ASCII unescaped). A type orjson cannot encode (a ``Decimal``) goes to the
    standard library, which raises the error it always did."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


def _json_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(value).encode()


def _sqlite_datetime(v: Any) -> str | None:
    # What Django's SQLite backend stores: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    if v is None:
        return None
    if v.tzinfo is UTC:  # the common case; one C call instead of replace() then str()
        return v.isoformat(" ")[:-6]
    return str(v.astimezone(UTC).replace(tzinfo=None))


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How to turn a value of ``field`` into a parameter; ``None`` when it goes as it is."""
    vendor = connection.vendor
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if vendor == "sqlite" else None
    if isinstance(field, models.DateField):
        return (lambda v: None if v is None else v.isoformat()) if vendor == "sqlite" else None
    if isinstance(field, models.JSONField):
        if vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v, dumps=_json_bytes)
        return lambda v: None if v is None else json_dumps(v)
    if isinstance(field, models.ForeignKey) and isinstance(
        field.target_field, (models.AutoField, models.BigAutoField)
    ):
        # An id is stored as it is; anything else (a string id from a form) is prepared as usual.
        return lambda v: (
            v if v is None or type(v) is int else field.get_db_prep_save(v, connection=connection)
        )
    if isinstance(field, (models.DecimalField, models.ForeignKey)):
        return lambda v: None if v is None else field.get_db_prep_save(v, connection=connection)
    return None


def _adapted(
    adapters: Sequence[Callable[[Any], Any] | None], rows: Iterable[Sequence[Any]]
) -> list[list[Any]]:
    """Rows of parameters: each value passed through its column's adapter, if it has one (most
    columns, text and integers, have none: the per-value call was a good part of the cost)."""
    active = [(i, adapt) for i, adapt in enumerate(adapters) if adapt is not None]
    # The same object in the same column of consecutive rows (a batch's ``recorded_at``) is adapted
    # once: nothing changes it between two rows of one statement.
    last: list[Any] = [_NOTHING] * len(adapters)
    done: list[Any] = [None] * len(adapters)
    out = []
    for row in rows:
        values = list(row)
        for i, adapt in active:
            value = values[i]
            if value is last[i]:
                values[i] = done[i]
            else:
                last[i], values[i] = value, adapt(value)
                done[i] = values[i]
        out.append(values)
    return out


_NOTHING = object()


def concrete_field(meta: Options[Any], name: str) -> models.Field[Any, Any]:
    """``meta.get_field(name)``, which must be a field with a column of its own (not a reverse
    relation): the bulk statements and fixed reads below name its column."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{meta.label}.{name} is not a concrete field")
    return field


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows (tuples of values in ``field_names`` order), skipping any that would break a
    unique constraint (``ON CONFLICT DO NOTHING``: a concurrent duplicate is a duplicate, not an
    error)."""
    if not rows:
        return
    sql, adapters = _insert_statement(model, tuple(field_names), connection.vendor)
    params = _adapted(adapters, rows)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# Statements and adapters are built once per model and columns: the delivery worker runs the same
# few single-row writes for every message, where building them cost more than running them. Safe:
# keyed by model, columns and database vendor, and a model's table and columns are fixed for the
# life of the process.
@memoised("kernel.db.insert_statements", maxsize=256)
def _insert_statement(
    model: type[models.Model], field_names: tuple[str, ...], vendor: str
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    meta = model._meta
    fields = [concrete_field(meta, name) for name in field_names]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    return sql, [_adapter(f) for f in fields]


def update_rows(model: type[models.Model], field_names: Sequence[str], objs: Sequence[object]) -> None:
    """UPDATE each object's row with its current values of ``field_names`` (model instances, or any
    object with those attributes and a ``pk``, like the ledger's ``OrderRow``).

    One prepared single-row UPDATE run with executemany: Django's ``bulk_update`` builds one CASE
    expression per field over all rows, which costs several times more on both backends.
    """
    if not objs:
        return
    meta = model._meta
    fields = [concrete_field(meta, name) for name in field_names]
    adapters = [_adapter(f) for f in fields]
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(meta.pk.column),
    )
    values = attrgetter(*[f.attname for f in fields], "pk")
    params = _adapted([*adapters, None], (values(obj) for obj in objs))  # (..., pk) per object
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def update_rows_where(
    model: type[models.Model],
    set_fields: Sequence[str],
    where_fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE rows found by a unique key: each row is the new values of ``set_fields`` followed by
    the values of ``where_fields``. Lets a caller update rows it never loaded."""
    if not rows:
        return
    sql, adapters = _update_statement(model, tuple(set_fields), tuple(where_fields), connection.vendor)
    params = _adapted(adapters, rows)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@memoised("kernel.db.update_statements", maxsize=256)
def _update_statement(
    model: type[models.Model], set_fields: tuple[str, ...], where_fields: tuple[str, ...], vendor: str
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    meta = model._meta
    fields = [concrete_field(meta, name) for name in (*set_fields, *where_fields)]
    qn = connection.ops.quote_name
    columns = [qn(f.column) for f in fields]
    n = len(set_fields)
    sql = "UPDATE {} SET {} WHERE {}".format(
        qn(meta.db_table),
        ", ".join(f"{c} = %s" for c in columns[:n]),
        " AND ".join(f"{c} = %s" for c in columns[n:]),
    )
    return sql, [_adapter(f) for f in fields]


#: SQLite caps bound parameters per statement; IN lists go in chunks of this many values.
IN_CHUNK = 900


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (for IN lists within SQLite's parameter limit)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_in(
    model: type[models.Model],
    columns: Sequence[str],
    field: str,
    values: Sequence[Any],
    *,
    equal: dict[str, Any] | None = None,
    null: Sequence[str] = (),
    lock: bool = False,
) -> list[tuple[Any, ...]]:
    """``SELECT columns WHERE field IN (values) [AND name = value ...] [AND name IS NULL ...]``, in
    chunks, as plain rows.

    For text, integer and boolean columns only: values come as the driver returns them (a
    boolean is 0/1 on SQLite), with none of the ORM's conversions. The ORM's preparation of a
    900-value IN list cost more than running the query. ``lock``: ``FOR UPDATE`` where the
    database has it (SQLite serialises writers instead).
    """
    meta = model._meta
    qn = connection.ops.quote_name

    def column(name: str) -> str:
        return qn(concrete_field(meta, name).column)

    equal = equal or {}
    select = "SELECT {} FROM {} WHERE {}".format(
        ", ".join(column(c) for c in columns),
        qn(meta.db_table),
        "".join(f"{column(name)} = %s AND " for name in equal)
        + "".join(f"{column(name)} IS NULL AND " for name in null),
    )
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk in chunks(values):
            cursor.execute(
                f"{select}{column(field)} IN ({', '.join(['%s'] * len(chunk))}){suffix}",
                [*equal.values(), *chunk],
            )
            rows += cursor.fetchall()
    return rows


def delete_in(model: type[models.Model], field: str, values: Sequence[Any]) -> None:
    """``DELETE WHERE field IN (values)``, in chunks, for models nothing cascades from."""
    meta = model._meta
    qn = connection.ops.quote_name
    sql = f"DELETE FROM {qn(meta.db_table)} WHERE {qn(concrete_field(meta, field).column)} IN "
    with connection.cursor() as cursor:
        for chunk in chunks(values):
            cursor.execute(sql + f"({', '.join(['%s'] * len(chunk))})", list(chunk))


def serialise_on(*keys: str) -> None:
    """Hold a lock on each of ``keys`` (any strings naming what the caller is about to check and
    change) until the current transaction ends: another transaction asking for one of them waits.

    On PostgreSQL: transaction-level advisory locks (``pg_advisory_xact_lock``) on a 64-bit hash of
    each key, taken in sorted order so that two transactions wanting the same keys cannot deadlock
    on them (a hash collision only makes two unrelated keys take turns). On SQLite nothing is
    needed: every write transaction begins IMMEDIATE (see settings), which already makes writers
    take turns on the whole database. Must be called inside ``transaction.atomic``.
    """
    if connection.vendor != "postgresql" or not keys:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("serialise_on outside a transaction would release its locks at once")
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
