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

    def receiver(*, items, now):
        calls.extend((item.order.external_id, [r.key for r in item.reached]) for item in items)

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


def _scan(n, tracking="1Z1"):
    return Fact(
        kind=FactKind.TRACKING_EVENT,
        occurred_at=datetime(2026, 3, 3, n, tzinfo=UTC),
        idempotency_key=f"scan:{tracking}:{n}",
        source="test",
        tracking_number=tracking,
        payload={"tag": "in_transit", "raw_message": f"scan {n}"},
    )


def _shipped(ref, tracking="1Z1"):
    return Fact(
        kind=FactKind.SHIPMENT_CREATED,
        occurred_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        idempotency_key=f"ship:{ref}",
        source="test",
        order_ref=ref,
        payload={"shipment_id": "S1", "tracking_number": tracking, "lines": [{"line_id": "L1"}]},
    )


def test_states_kept_in_memory_between_batches_give_the_stored_projection(
    store, django_capture_on_commit_callbacks
):
    from aftercart.orders import state_cache
    from aftercart.orders.models import Order
    from aftercart.orders.services import orders_rebuild

    state_cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        facts_record(store=store, facts=[placed("C"), _shipped("C")])
    for n in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            facts_record(store=store, facts=[_scan(n)])
    assert len(state_cache._entries) > 0
    cached = Order.objects.values("stage", "next_step", "milestones", "snapshot", "fact_count").get()
    state_cache.clear()
    orders_rebuild(store=store)
    assert Order.objects.values("stage", "next_step", "milestones", "snapshot", "fact_count").get() == cached
    assert cached["fact_count"] == 7


def test_a_rolled_back_batch_leaves_no_cached_state_behind(store, django_capture_on_commit_callbacks):
    from django.db import transaction

    from aftercart.orders import state_cache
    from aftercart.orders.models import Order

    state_cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        facts_record(store=store, facts=[placed("D"), _shipped("D", "1ZD")])
    with pytest.raises(RuntimeError), transaction.atomic():
        facts_record(store=store, facts=[_scan(1, "1ZD")])
        raise RuntimeError("the surrounding transaction fails")
    assert Order.objects.get(external_id="D").fact_count == 2
    with django_capture_on_commit_callbacks(execute=True):
        facts_record(store=store, facts=[_scan(2, "1ZD")])
    order = Order.objects.get(external_id="D")
    assert order.fact_count == 3, "the rolled-back scan is neither stored nor folded in"
    assert order.snapshot["shipments"]["S1"]["checkpoint_count"] == 1


def test_projected_receivers_see_every_reprojected_order(store):
    seen = []

    def receiver(*, items, now):
        seen.extend((item.order.external_id, len(item.reached)) for item in items)

    planner.connect_projected(receiver)
    try:
        facts_record(store=store, facts=[placed("E"), _shipped("E", "1ZE")])
        facts_record(store=store, facts=[_scan(1, "1ZE")])
        facts_record(store=store, facts=[_scan(2, "1ZE")])
    finally:
        planner.disconnect_projected(receiver)
    assert [external_id for external_id, _ in seen] == ["E", "E", "E"]
    assert seen[2][1] == 0, "a scan that reaches nothing new is still handed over"
