"""The ledger service beyond the API: the events it publishes, and backfills."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.kernel import events
from aftercart.kernel.caches import caches_reset
from aftercart.orders.events import MilestonesReached, OrderProjected
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
def received(settings):
    # Only the ledger's own event: an exception case the batch opens (late to ship, the order being
    # placed months before now) publishes its milestone as MilestonesReached too.
    settings.AFTERCART_EXCEPTIONS_ENABLED = False
    calls = []

    def receiver(event):
        calls.extend((item.order.external_id, [r.key for r in item.reached]) for item in event.items)

    events.subscribe(MilestonesReached, receiver)
    yield calls
    events.unsubscribe(MilestonesReached, receiver)


def test_new_milestones_are_published_once(store, received):
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

    with django_capture_on_commit_callbacks(execute=True):
        facts_record(store=store, facts=[placed("C"), _shipped("C")])
    for n in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            facts_record(store=store, facts=[_scan(n)])
    assert len(state_cache._entries) > 0
    # The cache holds no parcel timelines (they would keep every scan of every cached order alive).
    states = [state for _, state, _ in state_cache._entries.values()]
    assert all(not s.checkpoints for state in states for s in state.shipments.values())
    assert any(s.checkpoint_count for state in states for s in state.shipments.values())
    cached = Order.objects.values("stage", "next_step", "milestones", "snapshot", "fact_count").get()
    caches_reset()  # another process: nothing in memory
    orders_rebuild(store=store)
    assert Order.objects.values("stage", "next_step", "milestones", "snapshot", "fact_count").get() == cached
    assert cached["fact_count"] == 7


def test_a_rolled_back_batch_leaves_no_cached_state_behind(store, django_capture_on_commit_callbacks):
    from django.db import transaction

    from aftercart.orders.models import Order

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


def test_order_projected_handlers_see_every_reprojected_order(store):
    seen = []

    def receiver(event):
        seen.extend((item.order.external_id, len(item.reached)) for item in event.items)

    events.subscribe(OrderProjected, receiver)
    try:
        facts_record(store=store, facts=[placed("E"), _shipped("E", "1ZE")])
        facts_record(store=store, facts=[_scan(1, "1ZE")])
        facts_record(store=store, facts=[_scan(2, "1ZE")])
    finally:
        events.unsubscribe(OrderProjected, receiver)
    assert [external_id for external_id, _ in seen] == ["E", "E", "E"]
    assert seen[2][1] == 0, "a scan that reaches nothing new is still handed over"


_ORDER_COLUMNS = (
    "number",
    "email",
    "postal_code",
    "placed_at",
    "currency",
    "total",
    "stage",
    "next_step",
    "milestones",
    "snapshot",
    "fact_count",
    "last_event_at",
)


_SHIPMENT_COLUMNS = (
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
)


def test_batches_of_scans_only_keep_the_order_row_equal_to_a_rebuild(
    store, django_capture_on_commit_callbacks
):
    """Scan-only batches write back only the columns scans can move; the order's own fields stay as
    they were, and an order update between scans still lands."""
    from aftercart.orders.models import Order, Shipment
    from aftercart.orders.services import orders_rebuild

    order = Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        idempotency_key="p:F",
        source="test",
        order_ref="F",
        payload={
            "number": "#1001",
            "email": "Ana@Example.com",
            "postal_code": "sw1a 1aa",
            "currency": "GBP",
            "total": "42.50",
            "lines": [{"line_id": "L1"}],
        },
    )
    updated = Fact(
        kind=FactKind.ORDER_UPDATED,
        occurred_at=datetime(2026, 3, 3, 2, 30, tzinfo=UTC),
        idempotency_key="u:F",
        source="test",
        order_ref="F",
        payload={"email": "ana.new@example.com"},
    )
    batches = [
        [order, _shipped("F", "1ZF")],
        [_scan(1, "1ZF")],
        [_scan(2, "1ZF")],
        [updated],
        [_scan(3, "1ZF")],
    ]
    for batch in batches:
        with django_capture_on_commit_callbacks(execute=True):
            facts_record(store=store, facts=batch)
    delivered = Fact(
        kind=FactKind.TRACKING_EVENT,
        occurred_at=datetime(2026, 3, 4, 9, tzinfo=UTC),
        idempotency_key="scan:1ZF:delivered",
        source="test",
        tracking_number="1ZF",
        payload={"tag": "delivered", "raw_message": "Delivered", "estimated_delivery": "2026-03-05"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        facts_record(store=store, facts=[delivered])
    live = Order.objects.values(*_ORDER_COLUMNS).get(external_id="F")
    assert (live["number"], live["email"], live["postal_code"]) == ("#1001", "ana.new@example.com", "SW1A1AA")
    assert (live["fact_count"], live["stage"]) == (7, "post_delivery")
    assert "delivered:S1" in live["milestones"]
    parcel = Shipment.objects.filter(order__external_id="F").values(*_SHIPMENT_COLUMNS).get()
    assert (parcel["tag"], parcel["tracking_number"]) == ("delivered", "1ZF")
    caches_reset()  # another process: nothing in memory
    orders_rebuild(store=store)
    assert Order.objects.values(*_ORDER_COLUMNS).get(external_id="F") == live
    assert Shipment.objects.filter(order__external_id="F").values(*_SHIPMENT_COLUMNS).get() == parcel
