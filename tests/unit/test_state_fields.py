"""Guard for the order/shipment/line field lists that are written by hand for speed: the snapshot
codec (domain.projection.snapshot), the JSON form (OrderState.to_json) and the ledger's cached
columns (orders.ledger_sql, orders.services). A field added to a state class fails here until every one of them has
it, or (for the columns) it is listed below as deliberately kept in the snapshot only."""

from __future__ import annotations

import json
import types
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot
from aftercart.domain.projection.state import (
    LINE_PRODUCT_FIELDS,
    ORDER_TEXT_FIELDS,
    Checkpoint,
    LineState,
    OrderState,
    Pickup,
    ShipmentState,
)
from aftercart.orders import ledger_sql, services
from aftercart.orders.models import Order, OrderLine, Shipment

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

#: State fields the ledger does not cache as columns of the order, shipment or line row (the field
#: lists of orders.ledger_sql, filled by orders.services): they are read from the snapshot (or are
#: the row's key, or rows of their own). Adding a state field means caching it or adding it here.
NOT_CACHED = {
    OrderState: {
        "order_ref",
        "phone",
        "country",
        "customer_name",
        "locale",
        "timezone",
        "sms_consent",
        "lines",
        "shipments",
        "cancelled_at",
        "cancel_reason",
        "customer_choice",
        "last_sort_key",
    },
    ShipmentState: {
        "key",
        "shipment_id",
        "service",
        "tracking_url",
        "lines",
        "raw_code",
        "raw_message",
        "checkpoints",
        "pickup",
        "tags_seen",
        "exception_subtags",
        "failed_attempts",
        "deliveries",
        "checkpoint_count",
    },
    LineState: {"line_id", "status_at", "location", "pickup", "customer_choice", "substitute"},
}


def _value(cls: type, name: str, hint: Any) -> Any:
    """A value for one field that differs from its default and from the class's other fields of
    the same type (a codec reading one field from another's key fails), from the field's type."""
    n = [f.name for f in fields(cls)].index(name) + 1
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        [hint] = [a for a in get_args(hint) if a is not type(None)]
        origin = get_origin(hint)
    if hint is str:
        return {"line_id": "L1", "key": "S1"}.get(name, f"{name}-value")
    if hint is bool:
        return True
    if hint is int:
        return 100 + n
    if hint is Decimal:
        return Decimal(f"{n}.25")
    if hint is datetime:
        return AT + timedelta(minutes=n)
    if hint is date:
        return date(2026, 3, n)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return list(hint)[-1]
    if hint in (Pickup, LineState, ShipmentState, Checkpoint):
        return full(hint)
    if origin is list and get_args(hint) == (str,):
        return [f"{name}-value"]
    if origin is list and get_args(hint) == (Checkpoint,):
        return [full(Checkpoint)]
    if origin is dict and get_args(hint) == (str, int):
        return {"L1": 2}
    if origin is dict and get_args(hint) == (str, LineState):
        return {"L1": full(LineState)}
    if origin is dict and get_args(hint) == (str, ShipmentState):
        return {"S1": full(ShipmentState)}
    if origin is tuple and get_args(hint) == (datetime, int, str):
        return (AT, 2, "k")
    raise AssertionError(f"{cls.__name__}.{name}: teach this test a value of type {hint}")


def full(cls: type) -> Any:
    """An instance with every field set to something other than its default."""
    hints = get_type_hints(cls)
    return cls(**{f.name: _value(cls, f.name, hints[f.name]) for f in fields(cls)})


def without_checkpoints(state: OrderState) -> OrderState:
    for s in state.shipments.values():
        s.checkpoints = []
    return state


@pytest.mark.parametrize("encoded_later", [False, True])
def test_a_snapshot_restores_every_field(encoded_later: bool) -> None:
    state = full(OrderState)
    data = to_snapshot(state, encoded_later=encoded_later)
    if not encoded_later:
        data = json.loads(json.dumps(data))  # as stored
    assert from_snapshot(data) == without_checkpoints(full(OrderState))


def test_the_json_form_has_every_field() -> None:
    data = full(OrderState).to_json()
    assert set(data) == {f.name for f in fields(OrderState)}
    assert set(data["lines"]["L1"]) == {f.name for f in fields(LineState)}
    assert set(data["lines"]["L1"]["pickup"]) == {f.name for f in fields(Pickup)}
    shipment = data["shipments"]["S1"]
    assert set(shipment) == {f.name for f in fields(ShipmentState)}
    assert set(shipment["checkpoints"][0]) == {f.name for f in fields(Checkpoint)}


def test_the_fold_sets_the_declared_order_and_line_fields() -> None:
    hints = get_type_hints(OrderState)
    assert all(hints[name] is str for name in ORDER_TEXT_FIELDS)
    assert all(get_type_hints(LineState)[name] is str for name in LINE_PRODUCT_FIELDS)
    payload = {name: f"{name}-value" for name in ORDER_TEXT_FIELDS}
    payload["lines"] = [{"line_id": "L1", **{name: f"{name}-value" for name in LINE_PRODUCT_FIELDS}}]
    fact = Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=AT,
        idempotency_key="p",
        source="test",
        order_ref="o1",
        payload=payload,
    )
    state = project([fact], "o1")
    assert {name: getattr(state, name) for name in ORDER_TEXT_FIELDS} == {
        name: f"{name}-value" for name in ORDER_TEXT_FIELDS
    }
    line = state.lines["L1"]
    assert {name: getattr(line, name) for name in LINE_PRODUCT_FIELDS} == {
        name: f"{name}-value" for name in LINE_PRODUCT_FIELDS
    }


class _Reads:
    """A state that records which of its fields are read."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._target, name)


def _cached(entity: type, columns: Any) -> set[str]:
    """The fields the columns are made of: read from a full instance and from a bare one (a
    fallback such as ``first_scan_at or created_at`` reads its second field only then)."""
    read: set[str] = set()
    for state in (full(entity), entity(**{f.name: _value(entity, f.name, str) for f in fields(entity)[:1]})):
        reads = _Reads(state)
        columns(reads)
        read |= reads.read
    return read & {f.name for f in fields(entity)}


def _order_columns(state: Any) -> None:
    row = services.OrderRow(1, 1, "o1", 0, 0)
    services._copy_order(row, state, "step", [])
    assert all(hasattr(row, name) for name in ledger_sql.ORDER_FIELDS), "every column is written"


@pytest.mark.parametrize(
    ("entity", "columns"),
    [
        (OrderState, _order_columns),
        (ShipmentState, services._shipment_columns),
        (LineState, services._line_columns),
    ],
)
def test_every_state_field_is_a_cached_column_or_deliberately_not(entity: type, columns: Any) -> None:
    cached = _cached(entity, columns)
    assert cached.isdisjoint(NOT_CACHED[entity]), "listed as not cached, but it is"
    assert cached | NOT_CACHED[entity] == {f.name for f in fields(entity)}


@pytest.mark.parametrize(
    ("model", "names", "columns", "entity"),
    [
        (Shipment, ledger_sql.SHIPMENT_FIELDS, services._shipment_columns, ShipmentState),
        (OrderLine, ledger_sql.LINE_FIELDS, services._line_columns, LineState),
        (Order, ledger_sql.ORDER_FIELDS, None, None),
    ],
)
def test_the_column_lists_name_real_columns_one_value_each(model, names, columns, entity) -> None:
    for name in names:
        model._meta.get_field(name)
    if columns is not None:
        assert len(columns(full(entity))) == len(names)
