"""Every exception kind of issue 4, driven end to end through real facts.

Each journey: facts in through the ledger (``facts_record``) → detection (on ingest, or by the
periodic sweep for what only time reveals) → one open case → the customer's critical message in the
outbox (for the kinds the customer is told of) → the customer's option chosen through the API the
tracking page shares (for the kinds that offer one) → later facts that close the case.

Times are relative to the real clock because the options are offered "now" (the API's own clock);
gaps are whole weeks where business hours matter, so weekends never change the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from aftercart.domain.facts import Fact, FactKind
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exceptions_sweep
from aftercart.notifications.models import Message
from aftercart.orders.services import facts_record

pytestmark = pytest.mark.django_db

_n = [0]
TRACKING = "1Z999AA10123456784"


def fact(kind: str, at: datetime, **payload) -> Fact:
    _n[0] += 1
    carrier_event = kind == "tracking.event"
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=f"journey-{_n[0]}",
        source="test",
        order_ref=None if carrier_event else "1001",
        tracking_number=TRACKING if carrier_event else None,
        payload=payload,
    )


def placed(at: datetime) -> Fact:
    return fact(
        "order.placed",
        at,
        number="#1001",
        email="ana@example.com",
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
    )


def shipped(at: datetime, estimate: str | None = None) -> Fact:
    return fact(
        "shipment.created",
        at,
        shipment_id="S-1001",
        carrier="ups",
        tracking_number=TRACKING,
        lines=[{"line_id": "L1", "quantity": 1}],
        **({"estimated_delivery": estimate} if estimate else {}),
    )


def scan(at: datetime, tag: str, subtag: str | None = None, **extra) -> Fact:
    return fact(
        "tracking.event", at, carrier="ups", tracking_number=TRACKING, tag=tag, subtag=subtag, **extra
    )


def day(now: datetime, days: int) -> str:
    return (now + timedelta(days=days)).date().isoformat()


@dataclass(frozen=True)
class Journey:
    """One exception kind end to end. ``problem`` builds the facts that cause it (given now);
    ``swept``: only the periodic sweep can see it; ``message``: the critical milestone the customer
    is sent (None: the team's problem, not the customer's); ``choice``: (subject, choice) the
    customer makes, and whether the case stays open after it; ``resolve``: the facts that close it
    and the resolution the queue shows."""

    kind: str
    problem: Callable[[datetime], list[Fact]]
    swept: bool = False
    message: str | None = None
    choice: tuple[str, str] | None = None
    open_after_choice: bool = True
    resolve: Callable[[datetime], list[Fact]] | None = None
    resolution: str = ""


JOURNEYS = [
    Journey(
        "stalled",  # no carrier scan for a week while in transit, nothing promised: told as delayed
        lambda now: [
            placed(now - timedelta(days=9)),
            shipped(now - timedelta(days=8)),
            scan(now - timedelta(days=7), "in_transit"),
        ],
        swept=True,
        message="delayed",
        resolve=lambda now: [scan(now, "in_transit", raw_message="Arrived at hub")],
        resolution="carrier: in_transit",
    ),
    Journey(
        "not_picked_up",  # a label, never scanned by the carrier
        lambda now: [
            placed(now - timedelta(days=8)),
            shipped(now - timedelta(days=7)),
            scan(now - timedelta(days=7), "info_received"),
        ],
        swept=True,
        resolve=lambda now: [scan(now, "in_transit", raw_message="Picked up")],
        resolution="carrier: in_transit",
    ),
    Journey(
        "delayed",  # the carrier's date moved past the first promise
        lambda now: [
            placed(now - timedelta(days=2)),
            shipped(now - timedelta(days=1), estimate=day(now, 1)),
            scan(now - timedelta(hours=2), "in_transit", estimated_delivery=day(now, 4)),
        ],
        message="delayed",
        resolve=lambda now: [scan(now, "delivered")],
        resolution="delivered",
    ),
    Journey(
        "attempt_failed",
        lambda now: [
            placed(now - timedelta(days=3)),
            shipped(now - timedelta(days=2)),
            scan(
                now - timedelta(hours=3),
                "attempt_fail",
                "attempt_fail.addressee_unavailable",
                raw_message="No one home",
            ),
        ],
        message="attempt_failed",
        resolve=lambda now: [scan(now, "out_for_delivery")],
        resolution="carrier: out_for_delivery",
    ),
    Journey(
        "returning_to_sender",
        lambda now: [
            placed(now - timedelta(days=3)),
            shipped(now - timedelta(days=2)),
            scan(
                now - timedelta(hours=3),
                "exception",
                "exception.return_to_sender",
                raw_message="Address unknown, returning",
            ),
        ],
        message="exception",
        resolve=lambda now: [scan(now, "delivered", raw_message="Delivered back to sender")],
        resolution="delivered",
    ),
    Journey(
        "lost",
        lambda now: [
            placed(now - timedelta(days=3)),
            shipped(now - timedelta(days=2)),
            scan(now - timedelta(hours=3), "exception", "exception.lost", raw_message="Parcel lost"),
        ],
        message="exception",
        resolve=lambda now: [scan(now, "in_transit", raw_message="Parcel found")],
        resolution="carrier: in_transit",
    ),
    Journey(
        "damaged",
        lambda now: [
            placed(now - timedelta(days=3)),
            shipped(now - timedelta(days=2)),
            scan(now - timedelta(hours=3), "exception", "exception.damaged", raw_message="Box crushed"),
        ],
        message="exception",
        resolve=lambda now: [scan(now, "delivered")],
        resolution="delivered",
    ),
    Journey(
        "pickup_expiring",  # ready at a pickup point, deadline tonight: extend once
        lambda now: [
            placed(now - timedelta(days=4)),
            shipped(now - timedelta(days=3)),
            fact(
                "pickup.ready",
                now - timedelta(days=1),
                shipment_id="S-1001",
                tracking_number=TRACKING,
                location={"name": "UPS Access Point"},
                deadline=(now + timedelta(hours=8)).isoformat(),
            ),
        ],
        swept=True,
        message="pickup_expiring",
        choice=("S-1001", "extend_pickup"),
        open_after_choice=False,  # three more days: no longer expiring
        resolve=lambda now: [fact("pickup.collected", now, shipment_id="S-1001", tracking_number=TRACKING)],
        resolution="",
    ),
    Journey(
        "pickup_expired",  # the deadline passed uncollected: switch to delivery
        lambda now: [
            placed(now - timedelta(days=8)),
            shipped(now - timedelta(days=7)),
            fact(
                "pickup.ready",
                now - timedelta(days=6),
                shipment_id="S-1001",
                tracking_number=TRACKING,
                location={"name": "UPS Access Point"},
                deadline=(now - timedelta(hours=2)).isoformat(),
            ),
        ],
        swept=True,
        choice=("S-1001", "switch_to_delivery"),
        open_after_choice=False,  # nobody is coming to collect it: the carrier delivers
        resolve=lambda now: [scan(now, "delivered")],
        resolution="",
    ),
    Journey(
        "not_shipped_in_sla",  # the handling SLA passed with nothing shipped: keep waiting
        lambda now: [
            placed(now - timedelta(days=7)),
            fact("line.status", now - timedelta(days=6), line_id="L1", status="picking"),
        ],
        swept=True,
        message="late_to_ship",
        choice=("", "keep_waiting"),
        resolve=lambda now: [shipped(now)],
        resolution="cleared",
    ),
    Journey(
        "item_unavailable",  # the store cannot supply the line: wait for the restock
        lambda now: [
            placed(now - timedelta(hours=5)),
            fact("line.status", now - timedelta(hours=4), line_id="L1", status="unavailable"),
        ],
        message="item_unavailable",
        choice=("line:L1", "wait"),
        resolve=lambda now: [fact("line.status", now, line_id="L1", status="allocated")],
        resolution="cleared",
    ),
]


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.kind for j in JOURNEYS])
def test_exception_journey(store, api, journey: Journey):
    now = timezone.now()
    # Each fact is ingested as it happens, as a live store's would be: at the last one's time.
    problem = journey.problem(now)
    facts_record(store=store, facts=problem, now=max(f.occurred_at for f in problem))

    # Detection: on ingest for what a fact says; only the sweep for what time alone reveals.
    if journey.swept:
        assert not OrderException.objects.filter(kind=journey.kind).exists(), "time, not a fact, opens it"
        assert exceptions_sweep(now=now).opened >= 1
    case = OrderException.objects.get(kind=journey.kind, resolved_at__isnull=True)
    assert case.severity in ("warning", "high", "critical") and case.queue

    # The customer hears of it at once (critical), or not at all when it is the team's problem.
    told = Message.objects.filter(channel="email", critical=True).exclude(milestone__in=("order_confirmed",))
    if journey.message:
        message = told.get(milestone=journey.message)
        assert message.status == "pending" and message.send_at <= now + timedelta(seconds=1), message.reason
    else:
        assert not told.exists(), [m.milestone for m in told]

    # The option, as the page and the API offer it, chosen through the API.
    options = api.get("/api/v1/orders/1001").json()["options"]
    if journey.choice:
        subject, choice = journey.choice
        assert any(o["subject"] == subject and choice in o["choices"] for o in options), options
        response = api.post("/api/v1/orders/1001/choices", {"subject": subject, "choice": choice})
        assert response.status_code == 201, response.content
        case.refresh_from_db()
        assert (case.resolved_at is None) == journey.open_after_choice
        assert (
            api.post("/api/v1/orders/1001/choices", {"subject": subject, "choice": choice}).status_code == 409
        )
    else:
        assert options == [], "no option the customer could take for this kind"

    # Resolution: later facts close it.
    later = now + timedelta(minutes=5)
    if journey.resolve is not None:
        facts_record(store=store, facts=journey.resolve(later), now=later)
    case.refresh_from_db()
    assert case.resolved_at is not None
    if journey.resolution:
        assert case.resolution == journey.resolution
    assert OrderException.objects.filter(kind=journey.kind).count() == 1, "one case per cause"


@pytest.fixture
def delivery_history(store):
    """Sixty deliveries over the last three months (two to four days in transit): enough for the
    store's delivery model, so a stalled parcel's window can be re-estimated."""
    from aftercart.orders.windows import store_model
    from tests.integration.test_delivery_window import history

    history(store, 60, timezone.now())
    Message.objects.all().delete()
    # Fitted outside the sweep, as the worker's promise loop does: the sweep never fits one.
    assert store_model(store) is not None


def stalled_parcel(now: datetime, estimate: str) -> list[Fact]:
    """Shipped eight days ago with the carrier's estimate; one scan, then nothing for a week."""
    return [
        placed(now - timedelta(days=9)),
        shipped(now - timedelta(days=8), estimate=estimate),
        scan(now - timedelta(days=7, hours=22), "in_transit"),
    ]


def test_a_stall_past_the_promise_is_told_as_delayed_with_the_re_estimated_window(store, delivery_history):
    now = timezone.now()
    promised = now - timedelta(days=5)  # the carrier's date, already past: the promise is broken
    facts = stalled_parcel(now, promised.date().isoformat())
    facts_record(store=store, facts=facts, now=facts[-1].occurred_at)

    assert exceptions_sweep(now=now).opened >= 1
    assert OrderException.objects.filter(kind="stalled", resolved_at__isnull=True).count() == 1
    message = Message.objects.get(channel="email", milestone="delayed")
    new_date = message.dedupe_key.rsplit(":", 1)[1]
    assert new_date >= now.date().isoformat() > promised.date().isoformat(), message.dedupe_key
    assert message.critical and message.status == "pending", message.reason

    # What the customer reads: the stall, honestly, and the new window (page and e-mail alike).
    from aftercart.notifications.channels import Outbound
    from aftercart.notifications.channels.email import build_email
    from aftercart.orders.models import Order
    from aftercart.orders.selectors import order_view

    order = Order.objects.get(external_id="1001")
    state, step = order_view(order, now)
    assert step.code.value == "stalled"
    email = build_email(Outbound(message=message, state=state, step=step, address="ana@example.com"))
    assert email.subject.startswith("UPS has not scanned your parcel since ")
    assert "We are chasing UPS" in email.body and "Expected between" in email.body

    # The next sweep tells nothing new; a new scan ends the stall.
    assert exceptions_sweep(now=now + timedelta(minutes=5)).opened == 0
    assert Message.objects.filter(milestone="delayed").count() == 1
    later = now + timedelta(minutes=10)
    facts_record(store=store, facts=[scan(later, "in_transit", raw_message="Arrived at hub")], now=later)
    assert not OrderException.objects.filter(kind="stalled", resolved_at__isnull=True).exists()


def test_a_stall_within_the_promise_shows_on_the_page_but_sends_nothing(store, delivery_history, api):
    now = timezone.now()
    facts = stalled_parcel(now, (now + timedelta(days=30)).date().isoformat())
    facts_record(store=store, facts=facts, now=facts[-1].occurred_at)

    assert exceptions_sweep(now=now).opened == 1
    assert OrderException.objects.get(resolved_at__isnull=True).kind == "stalled"
    assert not Message.objects.filter(milestone="delayed").exists(), "the re-estimate keeps the promise"
    # The order list agrees with the order (time changed the step; the sweep updated the column).
    listed = api.get("/api/v1/orders?next_step=stalled").json()
    assert [o["next_step"] for o in listed] == ["stalled"], listed
    step = api.get("/api/v1/orders/1001").json()["next_step"]
    assert step["code"] == "stalled" and [a["code"] for a in step["actions"]] == [
        "track_parcel",
        "contact_support",
    ]
