"""Exception cases end to end: facts in → detection → one case per cause → resolution by later facts,
the sweep for what only time reveals, and the team's queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.urls import include, path
from django.utils import timezone

from aftercart.domain.facts import Fact, FactKind
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exceptions_sweep
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record

pytestmark = pytest.mark.django_db

# Until the project's urls include the app, the queue tests route through this module.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("aftercart.exceptions.urls")),
    # the order's page links its packing slip, which the web app serves
    path("", include("aftercart.web.urls")),
]

MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
_n = [0]


def fact(kind, at, order="1001", **payload):
    _n[0] += 1
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=f"{kind}:{_n[0]}",
        source="test",
        order_ref=order if kind != "tracking.event" else None,
        tracking_number=payload.get("tracking_number"),
        payload=payload,
    )


def placed(order="1001", at=MON):
    return fact(
        "order.placed",
        at,
        order=order,
        number=f"#{order}",
        email="ana@example.com",
        lines=[{"line_id": "L1", "quantity": 1}],
    )


def shipped(order="1001", tracking="1Z1", at=MON + timedelta(hours=2), carrier="UPS", estimate=None):
    return fact(
        "shipment.created",
        at,
        order=order,
        shipment_id=f"S-{order}",
        carrier=carrier,
        tracking_number=tracking,
        lines=[{"line_id": "L1", "quantity": 1}],
        estimated_delivery=estimate,
    )


def scan(tag, at, tracking="1Z1", subtag=None, **extra):
    return fact(
        "tracking.event", at, tracking_number=tracking, carrier="ups", tag=tag, subtag=subtag, **extra
    )


def ingest(store, *facts, now):
    return facts_record(store=store, facts=list(facts), now=now)


def cases(**filters):
    return list(OrderException.objects.filter(**filters).order_by("pk"))


def only_open(kind):
    rows = cases(kind=kind, resolved_at__isnull=True)
    assert len(rows) == 1, rows
    return rows[0]


def test_sweep_finds_a_stall_with_no_new_fact_and_a_new_scan_resolves_it(store):
    t = MON + timedelta(hours=3)
    ingest(store, placed(), shipped(), scan("in_transit", t), now=t)
    assert cases() == []
    quiet = t + timedelta(days=4)  # Mon 12:00 → Fri 12:00: 96 business hours without a scan
    swept = exceptions_sweep(now=quiet)
    assert swept.opened == 1 and swept.by_rule["stalled"] == 1
    case = only_open("stalled")
    assert (case.subject, case.carrier, case.queue, case.severity) == ("S-1001", "ups", "carrier", "high")
    assert case.opened_at == quiet
    again = exceptions_sweep(now=quiet + timedelta(minutes=5))
    assert again.candidates == 0 and again.opened == 0, "an open cause is not a candidate again"
    assert len(cases(kind="stalled")) == 1
    back = quiet + timedelta(hours=1)
    ingest(store, scan("in_transit", back, raw_code="ARR"), now=back)
    case.refresh_from_db()
    assert case.resolved_at == back and case.resolution == "carrier: in_transit"
    assert cases(resolved_at__isnull=True) == []


def test_a_stall_over_a_weekend_waits_for_business_hours(store):
    friday = datetime(2026, 3, 6, 12, tzinfo=UTC)
    ingest(store, placed(at=friday - timedelta(hours=5)), shipped(at=friday - timedelta(hours=4)), now=friday)
    ingest(store, scan("in_transit", friday), now=friday)
    assert exceptions_sweep(now=datetime(2026, 3, 9, 23, tzinfo=UTC)).opened == 0  # 35 business hours
    assert exceptions_sweep(now=datetime(2026, 3, 10, 13, tzinfo=UTC)).opened == 1  # 49


def test_delay_opens_on_ingest_updates_its_date_and_delivery_resolves_it(store):
    t = MON + timedelta(hours=5)
    ingest(store, placed(), shipped(estimate="2026-03-05"), now=t)
    ingest(store, scan("in_transit", t, estimated_delivery="2026-03-07"), now=t)
    case = only_open("delayed")
    assert case.detail == "2026-03-07"
    ingest(
        store,
        scan("in_transit", t + timedelta(hours=9), estimated_delivery="2026-03-09"),
        now=t + timedelta(hours=9),
    )
    case.refresh_from_db()
    assert case.detail == "2026-03-09" and case.resolved_at is None
    assert len(cases(kind="delayed")) == 1, "a moving date is the same cause, not a new one"
    done = datetime(2026, 3, 9, 15, tzinfo=UTC)
    ingest(store, scan("delivered", done), now=done)
    case.refresh_from_db()
    assert case.resolution == "delivered" and case.resolved_at == done


def test_a_promise_passed_without_delivery_is_found_by_the_sweep(store):
    t = MON + timedelta(hours=5)
    ingest(store, placed(), shipped(estimate="2026-03-05"), scan("out_for_delivery", t), now=t)
    assert cases() == []
    swept = exceptions_sweep(now=datetime(2026, 3, 6, 1, tzinfo=UTC))
    assert swept.by_rule["delayed"] == 1
    assert only_open("delayed").detail == "overdue since 2026-03-05"


@pytest.mark.parametrize(
    ("tag", "subtag", "kind", "queue"),
    [
        ("exception", "exception.lost", "lost", "carrier"),
        ("exception", "exception.damaged", "damaged", "carrier"),
        ("exception", "exception.return_to_sender", "returning_to_sender", "carrier"),
        ("attempt_fail", "attempt_fail.addressee_unavailable", "attempt_failed", "customer"),
    ],
)
def test_carrier_reported_problems_open_once_and_close_on_the_next_good_scan(store, tag, subtag, kind, queue):
    t = MON + timedelta(hours=5)
    ingest(store, placed(), shipped(), scan("in_transit", t), now=t)
    problem = scan(tag, t + timedelta(hours=10), subtag=subtag, raw_message="carrier says so")
    ingest(store, problem, now=t + timedelta(hours=10))
    ingest(store, problem, now=t + timedelta(hours=11))  # the same fact again: a duplicate
    ingest(
        store, scan(tag, t + timedelta(hours=12), subtag=subtag), now=t + timedelta(hours=12)
    )  # said twice
    case = only_open(kind)
    assert case.queue == queue and len(cases(kind=kind)) == 1
    assert case.severity in {"high", "critical"}
    good = t + timedelta(hours=20)
    ingest(store, scan("delivered", good), now=good)
    case.refresh_from_db()
    assert case.resolution == "delivered"


def test_item_unavailable_opens_and_a_restock_resolves_it(store):
    ingest(store, placed(), now=MON)
    t = MON + timedelta(hours=1)
    ingest(store, fact("line.status", t, line_id="L1", status="unavailable"), now=t)
    case = only_open("item_unavailable")
    assert (case.subject, case.queue, case.shipment_key) == ("line:L1", "warehouse", "")
    ingest(
        store,
        fact("line.status", t + timedelta(hours=2), line_id="L1", status="allocated"),
        now=t + timedelta(hours=2),
    )
    case.refresh_from_db()
    assert case.resolution == "cleared"


def test_handling_sla_missed_is_swept_and_shipping_resolves_it(store):
    ingest(store, placed(), now=MON)
    assert exceptions_sweep(now=MON + timedelta(hours=40)).opened == 0
    late = MON + timedelta(hours=50)
    swept = exceptions_sweep(now=late)
    assert swept.opened == 1
    case = only_open("not_shipped_in_sla")
    assert case.subject == "" and case.queue == "warehouse"
    ingest(store, shipped(at=late), now=late)
    case.refresh_from_db()
    assert case.resolved_at == late


def test_label_not_picked_up_is_swept_and_the_first_scan_resolves_it(store):
    ingest(
        store,
        placed(),
        shipped(),
        scan("info_received", MON + timedelta(hours=3)),
        now=MON + timedelta(hours=3),
    )
    swept = exceptions_sweep(now=MON + timedelta(hours=60))
    assert swept.by_rule["not_picked_up"] == 1 and swept.opened == 1
    case = only_open("not_picked_up")
    t = MON + timedelta(hours=61)
    ingest(store, scan("in_transit", t), now=t)
    case.refresh_from_db()
    assert case.resolved_at == t


def test_pickup_expiring_then_expired_then_collected(store):
    deadline = MON + timedelta(days=5)
    ready_at = MON + timedelta(days=1)
    ready = fact(
        "pickup.ready", ready_at, shipment_id="S-1001", tracking_number="1Z1", deadline=deadline.isoformat()
    )
    ingest(store, placed(), shipped(), ready, now=ready_at)
    assert exceptions_sweep(now=ready_at + timedelta(hours=1)).opened == 0
    exceptions_sweep(now=deadline - timedelta(hours=2))
    expiring = only_open("pickup_expiring")
    from aftercart.notifications.models import Message

    reminder = Message.objects.get(milestone="pickup_expiring")
    assert (reminder.critical, reminder.status, reminder.channel) == (True, "pending", "email"), (
        reminder.reason
    )
    exceptions_sweep(now=deadline - timedelta(hours=1))
    assert Message.objects.filter(milestone="pickup_expiring").count() == 1, "reminded once"
    exceptions_sweep(now=deadline + timedelta(hours=1))
    expiring.refresh_from_db()
    assert expiring.resolved_at is not None
    expired = only_open("pickup_expired")
    t = deadline + timedelta(hours=3)
    ingest(store, fact("pickup.collected", t, shipment_id="S-1001", tracking_number="1Z1"), now=t)
    expired.refresh_from_db()
    assert expired.resolution == "delivered"


def test_the_database_refuses_a_second_open_case_for_one_cause(store):
    ingest(store, placed(), now=MON)
    exceptions_sweep(now=MON + timedelta(days=3))
    case = only_open("not_shipped_in_sla")
    dup = OrderException(
        store=store,
        order_id=case.order_id,
        kind=case.kind,
        subject="",
        severity="high",
        queue="warehouse",
        opened_at=MON,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        dup.save()
    case.resolved_at = MON + timedelta(days=4)
    case.save()
    dup.save()  # once resolved, the same cause may open again as a new episode


def test_sweep_queries_do_not_grow_with_the_number_of_orders(store, django_assert_max_num_queries):
    for i in range(30):
        ref = str(2000 + i)
        t = MON + timedelta(hours=3)
        ingest(
            store,
            placed(ref),
            shipped(ref, tracking=f"1Z{i}"),
            scan("in_transit", t, tracking=f"1Z{i}"),
            now=t,
        )
    # 6 candidate queries + (stores, lock+snapshots, open cases, insert) per batch, plus savepoints;
    # then the stalled parcels' message: their kept promises, their stores, the store's history for
    # the re-estimate, and the planner's reads and insert; then the cached next-step codes time
    # changed (stores, one UPDATE per code).
    with django_assert_max_num_queries(23):
        result = exceptions_sweep(now=MON + timedelta(days=4))
    assert result.opened == 30


@pytest.mark.urls(__name__)
def test_queue_page_lists_open_cases_with_filters_and_links_to_the_timeline(store, admin_client, client):
    from aftercart.stores.services import store_create

    other = store_create(slug="other", name="Other")
    t = MON + timedelta(hours=3)
    ingest(store, placed("A1"), shipped("A1", tracking="1ZA"), scan("in_transit", t, tracking="1ZA"), now=t)
    ingest(
        other,
        placed("B1"),
        shipped("B1", tracking="DHL1", carrier="DHL"),
        scan("in_transit", t, tracking="DHL1"),
        now=t,
    )
    ingest(store, placed("C1"), now=MON)
    exceptions_sweep(now=MON + timedelta(days=4))
    assert OrderException.objects.filter(resolved_at__isnull=True).count() == 3

    def rows(**params):
        response = admin_client.get("/ops/exceptions", params)
        assert response.status_code == 200
        return response.content.decode().count('<tr class="case"')

    assert rows() == 3
    assert rows(kind="stalled") == 2
    assert rows(carrier="DHL") == 1
    assert rows(store="other") == 1
    assert rows(kind="stalled", store="acme") == 1
    # Age is measured from the real clock: make one case fresh, the others are months old.
    OrderException.objects.filter(kind="not_shipped_in_sla").update(opened_at=timezone.now())
    assert rows(age="12h") == 2
    assert rows(age="2d", kind="not_shipped_in_sla") == 0
    order = Order.objects.get(external_id="A1")
    page = admin_client.get("/ops/exceptions").content.decode()
    assert f'href="/ops/exceptions/orders/{order.pk}"' in page
    timeline = admin_client.get(f"/ops/exceptions/orders/{order.pk}")
    assert timeline.status_code == 200
    assert timeline.content.decode().count('<tr class="fact"') == 3
    assert client.get("/ops/exceptions").status_code == 302, "staff only"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("age", ["1e400", "inf", "-inf", "nan", "1e12", "99999999d", "-3h", "3x", "d"])
def test_an_age_filter_that_is_no_age_is_ignored_not_a_server_error(store, admin_client, age):
    ingest(store, placed("C1"), now=MON)
    exceptions_sweep(now=MON + timedelta(days=4))
    response = admin_client.get("/ops/exceptions", {"age": age})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<tr class="case"') == 1, "listed as if no age were asked"
    assert 'name="age" value=""' in page, "and the form does not pretend it filtered"


@pytest.mark.django_db(transaction=True)  # the task worker closes its connection when done
def test_the_worker_batch_mode_sweeps(store):
    """`aftercart worker --batch` runs the sweep (at the real now): a parcel last scanned in March
    2026 has long stalled."""
    from django.core.management import call_command

    t = MON + timedelta(hours=3)
    ingest(store, placed(), shipped(), scan("in_transit", t), now=t)
    assert cases() == []
    call_command("aftercart_worker", "--batch")
    assert only_open("stalled").subject == "S-1001"
