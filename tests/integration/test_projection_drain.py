"""The firehose path: ``facts_append`` stores facts and marks orders, ``projection_drain`` projects
them later. It must end where ``facts_record`` ends for the same facts, survive a crash between the
two steps, and be run by the worker."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftercart.domain.facts import Fact
from aftercart.exceptions.models import OrderException
from aftercart.kernel import events
from aftercart.kernel.caches import caches_reset
from aftercart.kernel.loops import loops_start
from aftercart.notifications.models import Message
from aftercart.orders import state_cache
from aftercart.orders.events import MilestonesReached
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order, PendingProjection, Shipment
from aftercart.orders.services import facts_append, facts_record, projection_drain, projection_pending
from aftercart.orders.worker import projection_loop, projections_catch_up
from aftercart.stores.services import store_create
from tests.factories import fact

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: Late enough that every journey below is over: the planner sees them all as of this moment.
NOW = T0 + timedelta(days=3)


def _order_facts(n: int) -> list[Fact]:
    """Order ``n`` placed and shipped (the same customer for every order, so the messaging planner's
    per-customer caps and consolidation see them together)."""
    ref, tracking = f"O{n}", f"1Z00{n}"
    return [
        fact(
            "order.placed",
            T0,
            f"placed-{ref}",
            order=ref,
            number=f"#{ref}",
            email="ana@example.com",
            lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        ),
        fact(
            "shipment.created",
            T0 + timedelta(hours=1),
            f"ship-{ref}",
            order=ref,
            shipment_id="S1",
            carrier="UPS",
            tracking_number=tracking,
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
    ]


#: A journey: (hours after placing, tag, subtag). Out for delivery, a failed attempt, delivered.
JOURNEY = [
    (2, "info_received", "info_received"),
    (5, "in_transit", "in_transit.accepted"),
    (20, "in_transit", "in_transit.arrival_scan"),
    (26, "exception", "exception.delayed"),
    (40, "out_for_delivery", "out_for_delivery"),
    (44, "attempt_fail", "attempt_fail.addressee_unavailable"),
    (60, "out_for_delivery", "out_for_delivery"),
    (62, "delivered", "delivered"),
]


def _scans(n: int) -> list[Fact]:
    tracking = f"1Z00{n}"
    return [
        fact(
            "tracking.event",
            T0 + timedelta(hours=hours, minutes=n),
            f"scan-{tracking}-{i}",
            order=None,
            tracking=tracking,
            carrier="ups",
            tag=tag,
            subtag=subtag,
            raw_message=f"{tag} {i}",
        )
        for i, (hours, tag, subtag) in enumerate(JOURNEY)
    ]


def _outcome(store):
    """What the projection and the planner left, independent of row ids."""
    orders = {
        o["external_id"]: o
        for o in Order.objects.filter(store=store).values(
            "external_id", "stage", "next_step", "milestones", "snapshot", "fact_count", "last_event_at"
        )
    }
    shipments = sorted(
        Shipment.objects.filter(store=store).values_list(
            "order__external_id", "key", "tag", "subtag", "delivered_at", "last_checkpoint_at"
        )
    )
    messages = sorted(
        Message.objects.filter(store=store).values_list(
            "order__external_id", "channel", "milestone", "status", "send_at", "recipient", "reason"
        )
    )
    cases = sorted(
        OrderException.objects.filter(order__store=store).values_list(
            "order__external_id", "kind", "opened_at", "resolved_at", "resolution"
        )
    )
    return orders, shipments, messages, cases


_stores = iter(range(10**6))


def _fresh_store():
    return store_create(slug=f"drain-{next(_stores)}", name="Drain test store")


@st.composite
def _arrivals(draw):
    """The carrier events of two orders in any order, cut into 1–5 appends."""
    scans = draw(st.permutations(_scans(1) + _scans(2)))
    cuts = sorted(draw(st.sets(st.integers(1, len(scans) - 1), max_size=4)))
    chunks = [scans[a:b] for a, b in zip([0, *cuts], [*cuts, len(scans)], strict=True)]
    return chunks, draw(st.booleans())


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals=_arrivals())
def test_append_then_drain_ends_like_recording_the_same_facts(arrivals):
    """Same projection, same outbox rows, same cases. Draining after every append must match
    recording each append; one drain after all of them must match recording them all at once."""
    _append_then_drain_ends_like_recording(arrivals, contextlib.nullcontext, lambda store: None)


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals=_arrivals())
def test_append_then_drain_ends_like_recording_with_commits_and_the_state_cache(
    arrivals, django_capture_on_commit_callbacks
):
    """The same, with each write's on-commit callbacks run as after a real commit: the state cache
    then fills, and the appends and drains fold onto the states it kept. The recorded store forgets
    its states before each write (folding from stored snapshots, as a new process would), so the
    cached path is compared with the uncached one."""

    def forget(store):
        for order_id in Order.objects.filter(store=store).values_list("pk", flat=True):
            state_cache.take(order_id, (-1, 0))  # taken: removed whatever it holds

    _append_then_drain_ends_like_recording(
        arrivals, lambda: django_capture_on_commit_callbacks(execute=True), forget
    )
    assert len(state_cache._entries) > 0, "the cache was filled (and so used by the later writes)"


def _append_then_drain_ends_like_recording(arrivals, committed, forget):
    """``committed()``: the context each write runs in (its on-commit callbacks run, or not);
    ``forget(store)``: called before each write of the recorded (reference) store."""
    chunks, drain_each = arrivals
    caches_reset()  # each example starts as a new process
    setup = _order_facts(1) + _order_facts(2)
    sync, deferred = _fresh_store(), _fresh_store()
    for store in (sync, deferred):
        with committed():
            facts_record(store=store, facts=setup, now=T0 + timedelta(hours=1))

    if drain_each:
        for chunk in chunks:
            forget(sync)
            with committed():
                facts_record(store=sync, facts=chunk, now=NOW)
            with committed():
                facts_append(store=deferred, facts=chunk, now=NOW)
            with committed():
                projection_drain(now=NOW)
    else:
        forget(sync)
        with committed():
            facts_record(store=sync, facts=[f for chunk in chunks for f in chunk], now=NOW)
        for chunk in chunks:
            with committed():
                facts_append(store=deferred, facts=chunk, now=NOW)
        assert projection_pending() == 2, "both orders wait for the drain"
        assert Order.objects.get(store=deferred, external_id="O1").fact_count == 2, "not projected yet"
        with committed():
            assert projection_drain(now=NOW) == 2

    assert projection_pending() == 0
    expected = _outcome(sync)
    assert expected[2], "the journey reached milestones that message the customer"
    assert _outcome(deferred) == expected


@pytest.mark.django_db
def test_a_crash_after_the_append_loses_no_message_and_sends_none_twice(store):
    facts_record(store=store, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    before = Message.objects.count()
    facts_append(store=store, facts=_scans(1), now=NOW)  # committed; the process dies before a drain
    caches_reset()  # the new process remembers nothing
    assert Message.objects.count() == before, "nothing is decided at append time"
    assert PendingProjection.objects.filter(order__external_id="O1").exists(), "the mark is durable"

    # The restarted drain fails half-way (a handler raises): its transaction rolls back whole.
    def broken(event):
        raise RuntimeError("database went away")

    events.subscribe(MilestonesReached, broken)
    try:
        with pytest.raises(RuntimeError):
            projection_drain(now=NOW)
    finally:
        events.unsubscribe(MilestonesReached, broken)
    assert projection_pending() == 1 and Message.objects.count() == before

    assert projection_drain(now=NOW) == 1
    decided = sorted(Message.objects.values_list("milestone", "channel"))
    assert len(decided) > before, "the journey's messages were decided"
    # The carrier re-sends the batch it got no answer for; the worker drains again.
    result = facts_append(store=store, facts=_scans(1), now=NOW)
    assert result.duplicates == len(JOURNEY) and projection_pending() == 0
    assert projection_drain(now=NOW) == 0
    assert sorted(Message.objects.values_list("milestone", "channel")) == decided

    reference = _fresh_store()
    facts_record(store=reference, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    facts_record(store=reference, facts=_scans(1), now=NOW)
    assert _outcome(store)[1:] == _outcome(reference)[1:]


@pytest.mark.django_db
def test_recording_reads_facts_appended_before_it(store):
    """An API request after a firehose append sees every fact, not only its own."""
    facts_record(store=store, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    scans = _scans(1)
    facts_append(store=store, facts=scans[:4], now=NOW)
    facts_record(store=store, facts=scans[4:], now=NOW)
    order = Order.objects.get(store=store, external_id="O1")
    assert order.fact_count == 2 + len(JOURNEY) == FactRow.objects.filter(order=order).count()
    assert Shipment.objects.get(order=order).tag == "delivered"
    assert projection_pending() == 0 and projection_drain(now=NOW) == 0


@pytest.mark.django_db
def test_events_appended_before_their_shipment_join_the_order_at_the_drain(store):
    placed, shipped = _order_facts(1)
    facts_record(store=store, facts=[placed], now=T0)
    assert facts_append(store=store, facts=_scans(1), now=NOW).orphaned == len(JOURNEY)
    facts_append(store=store, facts=[shipped], now=NOW)
    assert PendingProjection.objects.get().refold, "adopted facts: fold the order from its history"
    projection_drain(now=NOW)
    order = Order.objects.get(store=store)
    assert order.fact_count == 2 + len(JOURNEY) == FactRow.objects.filter(order=order).count()
    assert Shipment.objects.get(order=order).tag == "delivered"


@pytest.mark.django_db
def test_a_drain_takes_at_most_its_limit_oldest_first(store):
    for n in (1, 2, 3):
        facts_record(store=store, facts=_order_facts(n), now=T0 + timedelta(hours=1))
        facts_append(store=store, facts=_scans(n)[:2], now=NOW + timedelta(minutes=n))
    assert projection_drain(now=NOW, limit=2) == 2
    assert list(PendingProjection.objects.values_list("order__external_id", flat=True)) == ["O3"]
    assert projections_catch_up(now=NOW) == 1 and projection_pending() == 0


@pytest.mark.django_db(transaction=True)  # the task worker closes its connection when done
def test_the_worker_batch_run_projects_pending_orders(store):
    facts_record(store=store, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    facts_append(store=store, facts=_scans(1), now=NOW)
    call_command("aftercart_worker", "--batch")
    assert projection_pending() == 0
    assert Shipment.objects.get(store=store).tag == "delivered"


@pytest.mark.django_db(transaction=True)
def test_the_worker_thread_drains_while_it_runs(store, monkeypatch):
    from aftercart.orders import worker

    facts_record(store=store, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    facts_append(store=store, facts=_scans(1), now=NOW)
    drained = threading.Event()
    catch_up = worker.projections_catch_up

    def observed(**kwargs):
        # Told without reading the database from this thread: the tests' SQLite is one shared
        # in-memory database, where a read beside the thread's write fails ("table is locked").
        if catch_up(**kwargs):
            drained.set()
        return 0

    monkeypatch.setattr(worker, "projections_catch_up", observed)
    with loops_start([projection_loop(interval=0.05)], timeout=10) as running:
        assert drained.wait(20), "the thread projected the pending order"
    assert not any(thread.is_alive() for thread in running.threads)
    assert projection_pending() == 0
    assert Shipment.objects.get(store=store).tag == "delivered"


@pytest.mark.django_db
def test_a_rebuild_leaves_pending_orders_to_the_drain_which_messages_them(store):
    from aftercart.orders.services import orders_rebuild

    facts_record(store=store, facts=_order_facts(1), now=T0 + timedelta(hours=1))
    facts_append(store=store, facts=_scans(1), now=NOW)
    before = Message.objects.count()
    orders_rebuild(store=store)
    assert projection_pending() == 1 and Message.objects.count() == before, "not folded silently"
    projection_drain(now=NOW)
    assert Message.objects.count() > before
    order = Order.objects.get(store=store)
    assert order.fact_count == 2 + len(JOURNEY)
