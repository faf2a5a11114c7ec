"""The ledger's bulk writes (``aftercart.kernel.db``) store what the ORM would, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from aftercart.kernel.db import insert_rows, json_dumps, update_rows
from aftercart.orders.models import Fact, Order

pytestmark = pytest.mark.django_db

_COLUMNS = (
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


def test_json_text_decodes_to_what_the_standard_library_would_write():
    value = {"city": "Liège", "note": "配達済み", 3: [1, 2.5, None, True], "nested": {"a": ""}}
    text = json_dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert " " not in text.replace("配達済み", "")  # compact, like separators=(",", ":")


def test_a_value_json_cannot_hold_is_still_an_error():
    with pytest.raises(TypeError):
        json_dumps({"total": Decimal("1.10")})


def test_inserted_and_updated_rows_read_back_through_the_orm(store):
    order = Order.objects.create(store=store, external_id="bulk-1")
    # A zone other than UTC: stored as the same instant.
    occurred = datetime(2026, 3, 2, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    payload = {"location": "Liège, BE", "raw_message": "Zugestellt – Nachbar", "lines": {"7": 1}}
    insert_rows(
        Fact,
        _COLUMNS,
        [(store.pk, order.pk, "tracking.event", occurred, occurred, "test", "k1", "", "", payload)],
    )
    fact = Fact.objects.get(idempotency_key="k1")
    assert fact.order_id == order.pk
    assert fact.occurred_at == occurred
    assert fact.occurred_at.astimezone(UTC).hour == 8
    assert fact.payload == payload

    order.snapshot = {"order_ref": "bulk-1", "shipments": {"S1": {"raw_message": "Entregue ✓"}}}
    order.milestones = ["order_confirmed", "shipped:S1"]
    order.total = Decimal("12.30")
    order.last_event_at = occurred
    update_rows(Order, ["snapshot", "milestones", "total", "last_event_at"], [order])
    again = Order.objects.get(pk=order.pk)
    assert again.snapshot == order.snapshot
    assert again.milestones == ["order_confirmed", "shipped:S1"]
    assert again.total == Decimal("12.30")
    assert again.last_event_at == occurred


def test_a_duplicate_key_is_skipped_not_an_error(store):
    row = (store.pk, None, "tracking.event", datetime.now(UTC), datetime.now(UTC), "test", "dup", "", "", {})
    insert_rows(Fact, _COLUMNS, [row])
    insert_rows(Fact, _COLUMNS, [row])
    assert Fact.objects.filter(idempotency_key="dup").count() == 1
