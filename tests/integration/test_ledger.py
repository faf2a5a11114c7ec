"""The ledger service beyond the API: planner hand-off and backfills."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.orders import planner
from aftercart.orders.services import facts_record

pytestmark = pytest.mark.django_db


def placed(ref):
    return Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        idempotency_key=f"p:{ref}",
        source="test",
        order_ref=ref,
        payload={"lines": [{"line_id": "L1"}]},
    )


@pytest.fixture
def received():
    calls = []

    def receiver(*, order, state, reached, now):
        calls.append((order.external_id, [r.key for r in reached]))

    planner.connect(receiver)
    yield calls
    planner.disconnect(receiver)


def test_new_milestones_are_handed_to_the_planner_once(store, received):
    facts_record(store=store, facts=[placed("A")])
    facts_record(store=store, facts=[placed("A")])
    assert received == [("A", ["order_confirmed"])]


def test_a_backfill_updates_projections_but_tells_nobody(store, received):
    result = facts_record(store=store, facts=[placed("B")], notify=False)
    assert result.accepted == 1
    assert received == []
    from aftercart.orders.models import Order

    assert Order.objects.get(external_id="B").milestones == ["order_confirmed"]
