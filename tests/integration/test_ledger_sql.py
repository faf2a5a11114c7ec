"""The ledger's plain SQL names its columns (:mod:`aftercart.orders.ledger_sql`): a field added to a
model must be added there too, or the ledger would silently skip it (never read back, never
projected, or left to the database's NULL). These lists are checked against the models."""

from __future__ import annotations

from django.db import models

from aftercart.orders import ledger_sql
from aftercart.orders.models import Fact, Order, OrderLine, Shipment


def _fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if not f.primary_key}


def _once(names) -> set[str]:
    assert len(set(names)) == len(names), f"a column named twice: {names}"
    return set(names)


def test_the_fact_insert_names_every_column_of_a_fact():
    assert _once(ledger_sql.FACT_COLUMNS) == _fields(Fact)


def test_facts_are_read_back_with_every_column_a_domain_fact_holds():
    # Not read back: the store (the caller knows it) and when it was recorded (not part of a fact).
    read = {name.removesuffix("_id") for name in _once(ledger_sql.FACT_READ_FIELDS)}
    assert read == _fields(Fact) - {"store", "recorded_at"}
    for name in ledger_sql.FACT_READ_FIELDS:
        Fact._meta.get_field(name)  # the raw SELECT resolves each name to its column


def test_the_projection_writes_every_projected_column_of_an_order():
    identity = {"store", "external_id"}
    # Not the projection's: the public token and its version (tracking links), and updated_at,
    # which only the ORM's own saves set.
    not_projected = {"public_id", "token_version", "updated_at"}
    assert _once(ledger_sql.ORDER_FIELDS) == _fields(Order) - identity - not_projected
    assert set(ledger_sql.ORDER_PROGRESS_FIELDS) <= set(ledger_sql.ORDER_FIELDS)
    assert set(ledger_sql.SCAN_COLUMNS) <= set(ledger_sql.ORDER_PROGRESS_FIELDS)


def test_the_projection_writes_every_column_of_shipments_and_lines():
    assert _once(ledger_sql.SHIPMENT_FIELDS) == _fields(Shipment) - {"store", "order", "key"}
    assert _once(ledger_sql.LINE_FIELDS) == _fields(OrderLine) - {"order", "line_id"}
