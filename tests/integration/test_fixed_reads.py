"""Fixed reads (aftercart.kernel.reads) give what the ORM gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.kernel.reads import FixedRead
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order
from aftercart.orders.selectors import facts_for_orders
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token, read_tracking_token

pytestmark = pytest.mark.django_db


def _order(store, ref="A1"):
    facts_record(
        store=store,
        facts=[
            Fact(
                kind=FactKind.ORDER_PLACED,
                occurred_at=datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
                idempotency_key=f"p:{ref}",
                source="test",
                order_ref=ref,
                payload={"number": "#1001", "total": "19.90", "lines": [{"line_id": "L1", "title": "Café"}]},
            )
        ],
        notify=False,
    )
    return Order.objects.get(store=store, external_id=ref)


def test_rows_hold_what_values_list_holds(store):
    order = _order(store)
    fields = ("id", "kind", "occurred_at", "payload", "order_id")
    read = FixedRead(FactRow, where="order_id = %s", fields=fields)
    expected = list(FactRow.objects.filter(order_id=order.pk).values_list(*fields))
    got = read.rows([order.pk])
    assert got == expected and len(got) == 1
    occurred_at, payload = got[0][2], got[0][3]
    assert occurred_at == datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)  # aware, not text
    assert payload["lines"][0]["title"] == "Café"  # decoded JSON
    assert read.rows([order.pk + 1000]) == []


def test_instances_equal_the_querysets_field_by_field(store):
    order = _order(store)
    Order.objects.filter(pk=order.pk).update(total=Decimal("19.90"))
    read = FixedRead(Order, where="public_id = %s")
    (got,) = read.instances([order.public_id])
    expected = Order.objects.get(pk=order.pk)
    for field in Order._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert isinstance(got.total, Decimal) and got.placed_at.tzinfo is not None
    got.number = "#1002"
    got.save(update_fields=["number"])  # a loaded instance saves like any other
    assert Order.objects.get(pk=order.pk).number == "#1002"


def test_limit_and_order_are_applied(store):
    for ref in ("A1", "A2", "A3"):
        _order(store, ref)
    read = FixedRead(
        Order, where="store_id = %s", fields=("external_id",), order_by="external_id DESC", limit=2
    )
    assert read.rows([store.pk]) == [("A3",), ("A2",)]


def test_the_tracking_link_opens_its_order_with_its_store_and_facts(store):
    order = _order(store)
    opened = read_tracking_token(make_tracking_token(order))
    assert opened is not None and opened.pk == order.pk
    assert opened.store.pk == store.pk and opened.store.name == store.name
    facts = facts_for_orders([order.pk])[order.pk]
    assert [f.kind for f in facts] == [FactKind.ORDER_PLACED]
    assert facts == facts_for_orders([order.pk, order.pk + 1000])[order.pk]  # same as the batch read
