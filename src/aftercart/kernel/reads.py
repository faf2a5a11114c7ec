"""Hot reads of a fixed shape, with their SQL built once per process instead of once per query.

Django compiles a queryset's SQL every time it runs. For the customer's tracking page, served
hundreds of times a second, that compilation was most of the cost of each read: 0.25 ms for a
one-column lookup and 0.5-0.8 ms for a whole order with its store, against 0.03 ms for SQLite to
answer the same indexed lookup. A :class:`FixedRead` names the model, the columns and the condition
once; its SQL is written on first use for the connection's database and reused.

Values come back through the converters the ORM itself applies for each field on that database
(datetimes made aware, JSON decoded, decimals, booleans), so a row holds what a ``values_list`` of
the same fields would, and :meth:`FixedRead.instances` builds model instances the way a queryset
does (``Model.from_db``). Only plain field columns: anything more belongs in a queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connections, models

from aftercart.kernel.db import concrete_field

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]
#: A column's expression (converters are given it, as the ORM does) and its converters.
Conversion = tuple[Any, list[Converter]]


@dataclass
class FixedRead:
    """``SELECT <fields> FROM <model's table> WHERE <where> [ORDER BY ...] [LIMIT n]``.

    ``where`` and ``order_by`` are SQL over the table's column names with ``%s`` placeholders
    (``"order_id = %s"``); ``fields`` are field names (``None``: every concrete field, in model order,
    as :meth:`instances` needs).
    """

    model: type[models.Model]
    where: str
    fields: Sequence[str] | None = None
    order_by: str = ""
    limit: int | None = None
    #: Per database alias: the SQL and each column's converters.
    _prepared: dict[str, tuple[str, list[Conversion]]] = field(default_factory=dict, repr=False)

    def _fields(self) -> list[models.Field]:
        meta = self.model._meta
        if self.fields is None:
            return list(meta.concrete_fields)
        return [concrete_field(meta, name) for name in self.fields]

    def _prepare(self, using: str) -> tuple[str, list[Conversion]]:
        prepared = self._prepared.get(using)
        if prepared is None:
            connection = connections[using]
            quote = connection.ops.quote_name
            table = self.model._meta.db_table
            columns, converters = [], []
            for model_field in self._fields():
                columns.append(f"{quote(table)}.{quote(model_field.column)}")
                # What the ORM's compiler applies to this column: the backend's, then the field's.
                col = model_field.get_col(table)
                converters.append(
                    # django-stubs lacks Field.get_db_converters (Django's Field has it).
                    (col, connection.ops.get_db_converters(col) + model_field.get_db_converters(connection))  # type: ignore[attr-defined]
                )
            sql = f"SELECT {', '.join(columns)} FROM {quote(table)} WHERE {self.where}"
            if self.order_by:
                sql += f" ORDER BY {self.order_by}"
            if self.limit is not None:
                sql += f" LIMIT {int(self.limit)}"
            prepared = self._prepared[using] = (sql, converters)
        return prepared

    def rows(self, params: Sequence[Any], using: str = "default") -> list[tuple[Any, ...]]:
        """The matching rows, each value converted as the ORM would."""
        sql, converters = self._prepare(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            raw = cursor.fetchall()
        active = [(index, col, fns) for index, (col, fns) in enumerate(converters) if fns]
        if not active:
            return [tuple(row) for row in raw]
        out = []
        for row in raw:
            values = list(row)
            for index, col, fns in active:
                for convert in fns:
                    values[index] = convert(values[index], col, connection)
            out.append(tuple(values))
        return out

    def instances(self, params: Sequence[Any], using: str = "default") -> list[Any]:
        """The matching rows as model instances (every concrete field loaded)."""
        assert self.fields is None, "instances need every concrete field"
        names = [f.attname for f in self.model._meta.concrete_fields]
        return [self.model.from_db(using, names, row) for row in self.rows(params, using)]
