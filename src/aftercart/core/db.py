"""Bulk writes on the ingest hot path, faster than the ORM's generic ones but just as portable.

The ORM prepares every value through several layers of field methods; for the few field types the
ledger writes in bulk we adapt values directly, once per backend, and run one prepared statement
with ``executemany`` (which psycopg pipelines and SQLite runs in a loop in C).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    vendor = connection.vendor
    if isinstance(field, models.DateTimeField):
        if vendor == "sqlite":
            # What Django's SQLite backend stores: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
            return lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None))
        return lambda v: v
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else (v.isoformat() if vendor == "sqlite" else v)
    if isinstance(field, models.JSONField):
        if vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v)
        return lambda v: None if v is None else json.dumps(v, separators=(",", ":"))
    if isinstance(field, (models.DecimalField, models.ForeignKey)):
        return lambda v: field.get_db_prep_save(v, connection=connection)
    return lambda v: v


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows (tuples of values in ``field_names`` order), skipping any that would break a
    unique constraint (``ON CONFLICT DO NOTHING``: a concurrent duplicate is a duplicate, not an
    error)."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    adapters = [_adapter(f) for f in fields]  # type: ignore[arg-type]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(
        qn(meta.db_table),
        ", ".join(qn(f.column) for f in fields),  # type: ignore[union-attr]
        ", ".join(["%s"] * len(fields)),
    )
    params = [[adapt(value) for adapt, value in zip(adapters, row, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def update_rows(model: type[models.Model], field_names: Sequence[str], objs: Sequence[models.Model]) -> None:
    """UPDATE each object's row with its current values of ``field_names``.

    One prepared single-row UPDATE run with executemany: Django's ``bulk_update`` builds one CASE
    expression per field over all rows, which costs several times more on both backends.
    """
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    adapters = [_adapter(f) for f in fields]  # type: ignore[arg-type]
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),  # type: ignore[union-attr]
        qn(meta.pk.column),  # type: ignore[union-attr]
    )
    attnames = [f.attname for f in fields]  # type: ignore[union-attr]
    params = [
        [adapt(getattr(obj, name)) for adapt, name in zip(adapters, attnames, strict=True)] + [obj.pk]
        for obj in objs
    ]
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
    meta = model._meta
    fields = [meta.get_field(name) for name in (*set_fields, *where_fields)]
    adapters = [_adapter(f) for f in fields]  # type: ignore[arg-type]
    qn = connection.ops.quote_name
    columns = [qn(f.column) for f in fields]  # type: ignore[union-attr]
    n = len(set_fields)
    sql = "UPDATE {} SET {} WHERE {}".format(
        qn(meta.db_table),
        ", ".join(f"{c} = %s" for c in columns[:n]),
        " AND ".join(f"{c} = %s" for c in columns[n:]),
    )
    params = [[adapt(value) for adapt, value in zip(adapters, row, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
