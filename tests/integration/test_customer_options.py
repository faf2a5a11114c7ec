"""The customer options beyond wait/refund, through every door: a substitute for an unavailable item,
extending a pickup once or switching it to delivery, keeping waiting for or cancelling a late order
that has not shipped. Offered on the tracking page and in the API from one domain decision, recorded
as ``customer.choice`` facts, reflected in the next step, refused (writing nothing) when stale, and
sent to the store's own systems as a signed ``order.customer_choice`` webhook."""

from __future__ import annotations

import base64
import os
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from aftercart.domain.facts import Fact, FactKind
from aftercart.exceptions.models import OrderException
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import Message
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token
from tests.integration.test_channels import Stub, enable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receiver():
    stub = Stub("/hooks/aftercart", lambda request: None, (204, {}))
    yield stub
    stub.stop()


_n = [0]


def fact(kind, at, **payload):
    _n[0] += 1
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=f"opt-{kind}-{_n[0]}",
        source="test",
        order_ref="1001",
        payload=payload,
    )


def placed(at):
    return fact(
        "order.placed",
        at,
        number="#1001",
        email="ana@example.com",
        lines=[
            {"line_id": "L1", "title": "Rain jacket", "quantity": 1},
            {"line_id": "L2", "title": "Wool socks", "quantity": 1},
        ],
    )


def record(store, *facts, now=None):
    facts_record(store=store, facts=list(facts), now=now or timezone.now())
    return Order.objects.get(external_id="1001")


def choices(order):
    return list(order.facts.filter(kind=FactKind.CUSTOMER_CHOICE.value).order_by("pk"))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the choice form carries a CSRF token"
    return match.group(1)


def page_and_post(order, subject, choice):
    """GET the page as a browser would, then POST the choice with its CSRF token."""
    url = f"/t/{make_tracking_token(order)}"
    html = Client().get(url).content.decode()
    if "csrfmiddlewaretoken" not in html:
        # No form on the page: this is a stale form from an earlier visit (CSRF aside).
        client = Client()
        return client, html, client.post(f"{url}/choices", {"subject": subject, "choice": choice})
    client = Client(enforce_csrf_checks=True)
    html = client.get(url).content.decode()
    response = client.post(
        f"{url}/choices", {"subject": subject, "choice": choice, "csrfmiddlewaretoken": csrf_of(html)}
    )
    return client, html, response


# --- item unavailable: substitute ------------------------------------------------------------------


def test_a_substitute_the_store_names_is_offered_chosen_and_awaited(store, api):
    now = timezone.now()
    order = record(
        store,
        placed(now - timedelta(hours=3)),
        fact("line.status", now - timedelta(hours=2), line_id="L1", status="picking"),
        fact(
            "line.status",
            now - timedelta(hours=2),
            line_id="L2",
            status="unavailable",
            substitute="Merino socks",
        ),
    )
    body = api.get("/api/v1/orders/1001").json()
    assert body["options"] == [
        {
            "situation": "item_unavailable",
            "subject": "line:L2",
            "line_id": "L2",
            "shipment_id": None,
            "choices": ["substitute", "wait", "refund"],
            "substitute": "Merino socks",
            "deadline": None,
            "new_deadline": None,
        }
    ]
    client, html, response = page_and_post(order, "line:L2", "substitute")
    assert 'data-choice="substitute"' in html and "Send me Merino socks instead" in html
    assert response.status_code == 303
    assert [f.payload for f in choices(order)] == [
        {"choice": "substitute", "line_id": "L2", "substitute": "Merino socks"}
    ]
    after = client.get(response["Location"]).content.decode()
    assert "You chose a substitute" in after
    assert 'data-step="being_prepared"' in after, "the substitute is still to come"
    case = OrderException.objects.get(kind="item_unavailable")
    assert case.resolved_at is None, "the warehouse still has the substitute to send"
    assert api.get("/api/v1/orders/1001").json()["options"] == []


def test_without_a_named_substitute_none_is_offered_and_posting_one_writes_nothing(store):
    now = timezone.now()
    order = record(
        store,
        placed(now - timedelta(hours=3)),
        fact("line.status", now - timedelta(hours=2), line_id="L2", status="unavailable"),
    )
    _client, html, response = page_and_post(order, "line:L2", "substitute")
    assert 'data-choice="substitute"' not in html
    assert response.status_code == 400
    assert choices(order) == []


# --- pickup not collected: extend once, or switch to delivery ---------------------------------------


def pickup_order(store, now, deadline_in=timedelta(hours=10)):
    return record(
        store,
        placed(now - timedelta(days=3)),
        fact(
            "pickup.ready",
            now - timedelta(days=2),
            lines=[{"line_id": "L1"}, {"line_id": "L2"}],
            location={"name": "Acme Soho", "address": "1 Soho Sq, London", "hours": "9-18"},
            deadline=(now + deadline_in).isoformat(),
        ),
        now=now,
    )


def test_a_pickup_deadline_is_extended_once_and_a_second_extension_is_refused(store, api):
    now = timezone.now()
    order = pickup_order(store, now)
    deadline = order_view(order, now)[0].lines["L1"].pickup.deadline
    assert OrderException.objects.filter(kind="pickup_expiring", resolved_at__isnull=True).count() == 2
    offers = api.get("/api/v1/orders/1001").json()["options"]
    assert [(o["subject"], o["choices"]) for o in offers] == [
        ("line:L1", ["extend_pickup", "switch_to_delivery"]),
        ("line:L2", ["extend_pickup", "switch_to_delivery"]),
    ]

    _client, html, response = page_and_post(order, "line:L1", "extend_pickup")
    assert 'data-situation="pickup_not_collected"' in html and "Keep it for me until" in html
    assert response.status_code == 303
    [extended] = choices(order)
    new_deadline = deadline + timedelta(days=3)
    assert extended.payload == {
        "choice": "extend_pickup",
        "line_id": "L1",
        "deadline": new_deadline.isoformat(),
    }
    state, step = order_view(order, timezone.now())
    assert state.lines["L1"].pickup.deadline == new_deadline
    assert state.lines["L1"].pickup.extended_from == deadline
    assert step.code.value == "ready_for_pickup"
    line_case = OrderException.objects.get(kind="pickup_expiring", subject="line:L1")
    assert line_case.resolved_at is not None, "three more days: no longer expiring"

    # A second extension (a stale form, or the API) is refused with the reason and writes nothing.
    strict = Client(enforce_csrf_checks=True)
    url = f"/t/{make_tracking_token(order)}"
    token = csrf_of(strict.get(url).content.decode())
    again = strict.post(
        f"{url}/choices", {"subject": "line:L1", "choice": "extend_pickup", "csrfmiddlewaretoken": token}
    )
    assert again.status_code == 400
    assert "can be extended only once" in again.content.decode()
    refused = api.post("/api/v1/orders/1001/choices", {"subject": "line:L1", "choice": "extend_pickup"})
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/choice-already-extended")
    assert len(choices(order)) == 1


def test_switching_a_pickup_to_delivery_ends_the_wait_and_the_reminder_case(store, api):
    now = timezone.now()
    order = pickup_order(store, now, deadline_in=-timedelta(hours=1))  # already past
    assert OrderException.objects.filter(kind="pickup_expired", resolved_at__isnull=True).count() == 2
    for line in ("L1", "L2"):
        response = api.post(
            "/api/v1/orders/1001/choices", {"subject": f"line:{line}", "choice": "switch_to_delivery"}
        )
        assert response.status_code == 201, response.content
    body = response.json()
    assert body["next_step"]["code"] == "being_prepared", "the store now prepares a delivery"
    assert body["options"] == []
    assert all(ln["pickup"]["delivery_requested"] for ln in body["lines"])
    assert OrderException.objects.filter(kind="pickup_expired", resolved_at__isnull=True).count() == 0
    again = api.post("/api/v1/orders/1001/choices", {"subject": "line:L1", "choice": "extend_pickup"})
    assert again.status_code == 409 and again.json()["type"].endswith("/choice-already-answered")
    assert len(choices(order)) == 2


def test_a_pickup_far_from_its_deadline_offers_nothing_and_a_post_writes_nothing(store, api):
    now = timezone.now()
    order = pickup_order(store, now, deadline_in=timedelta(days=5))
    assert api.get("/api/v1/orders/1001").json()["options"] == []
    _client, html, response = page_and_post(order, "line:L1", "extend_pickup")
    assert '<form class="choice"' not in html
    assert response.status_code == 400
    assert choices(order) == []


# --- delayed and not yet shipped: keep waiting, or cancel -------------------------------------------


def late_order(store, now):
    return record(
        store,
        placed(now - timedelta(days=6)),
        fact("line.status", now - timedelta(days=5), line_id="L1", status="picking"),
        fact("line.status", now - timedelta(days=5), line_id="L2", status="picking"),
        now=now,
    )


def test_a_late_unshipped_order_can_be_cancelled_from_the_page(store):
    now = timezone.now()
    order = late_order(store, now)
    assert OrderException.objects.filter(kind="not_shipped_in_sla", resolved_at__isnull=True).exists()
    client, html, response = page_and_post(order, "", "cancel")
    assert 'data-situation="delayed_not_shipped"' in html
    assert 'data-choice="keep_waiting"' in html and 'data-choice="cancel"' in html
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert 'data-step="cancelled"' in page
    assert "Thank you, we have your answer. The next step below shows what happens now." in page
    case = OrderException.objects.get(kind="not_shipped_in_sla")
    assert (case.resolved_at is not None, case.resolution) == (True, "order cancelled")
    assert Message.objects.filter(milestone="cancelled", channel="email").exists(), "told it is cancelled"


def test_a_late_unshipped_order_is_told_by_e_mail_and_offered_the_choice(store):
    from aftercart.exceptions.services import exceptions_sweep
    from aftercart.notifications.channels import Outbound
    from aftercart.notifications.channels.email import build_email

    now = timezone.now()
    then = now - timedelta(days=7)  # ingested as it happened: within the handling SLA then
    order = record(
        store,
        placed(then),
        fact("line.status", then + timedelta(hours=1), line_id="L1", status="picking"),
        now=then + timedelta(hours=1),
    )
    assert not Message.objects.filter(milestone="late_to_ship").exists()
    assert exceptions_sweep(now=now).opened == 1
    message = Message.objects.get(milestone="late_to_ship", channel="email")
    assert (message.critical, message.status) == (True, "pending"), message.reason
    state, step = order_view(order, now)
    body = build_email(Outbound(message, state, step, "ana@example.com")).body
    assert "Your order is taking longer than we promised" in body and "/t/" in body


def test_keeping_waiting_is_the_answer_and_the_case_stays_with_the_warehouse(store, api):
    now = timezone.now()
    order = late_order(store, now)
    response = api.post("/api/v1/orders/1001/choices", {"subject": "", "choice": "keep_waiting"})
    assert response.status_code == 201
    assert response.json()["options"] == [] and response.json()["next_step"]["code"] == "being_prepared"
    assert OrderException.objects.get(kind="not_shipped_in_sla").resolved_at is None
    later = api.post("/api/v1/orders/1001/choices", {"subject": "", "choice": "cancel"})
    assert later.status_code == 409 and later.json()["type"].endswith("/choice-already-answered")
    assert [f.payload for f in choices(order)] == [{"choice": "keep_waiting"}]


def test_cancel_is_refused_once_something_has_shipped(store, api):
    now = timezone.now()
    order = late_order(store, now)
    record(
        store,
        fact(
            "shipment.created",
            now - timedelta(hours=1),
            shipment_id="S1",
            carrier="ups",
            tracking_number="1Z999AA10123456784",
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        now=now,
    )
    assert api.get("/api/v1/orders/1001").json()["options"] == []
    _client, _html, response = page_and_post(order, "", "cancel")
    assert response.status_code == 400
    assert "can no longer be cancelled" in response.content.decode()
    refused = api.post("/api/v1/orders/1001/choices", {"subject": "", "choice": "cancel"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("/choice-already-shipped")
    assert choices(order) == []
    assert order_view(order, now)[0].cancelled_at is None


def test_an_unknown_choice_is_a_validation_problem(store, api):
    late_order(store, timezone.now())
    response = api.post("/api/v1/orders/1001/choices", {"subject": "", "choice": "teleport"})
    assert response.status_code == 422 or response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


# --- the store's systems hear of it -----------------------------------------------------------------


def test_the_choice_reaches_the_store_as_a_signed_webhook_and_no_customer_email(store, receiver):
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    enable(store, "webhook", url=f"{receiver.url}/hooks/aftercart", secret=secret)
    now = timezone.now()
    order = pickup_order(store, now)
    _client, _html, response = page_and_post(order, "line:L2", "extend_pickup")
    assert response.status_code == 303
    assert not Message.objects.filter(milestone="customer_choice").exclude(channel="webhook").exists(), (
        "the customer is not e-mailed about their own answer"
    )
    event = Message.objects.get(milestone="customer_choice", channel="webhook")
    assert (event.status, event.subject) == ("pending", "line:L2")
    message_deliver_due(now=timezone.now())
    bodies = [Webhook(secret).verify(r["body"], r["headers"]) for r in receiver.requests]
    [payload] = [b for b in bodies if b["type"] == "order.customer_choice"]
    deadline = order_view(order, timezone.now())[0].lines["L2"].pickup
    assert payload["data"]["choice"] == {
        "subject": "line:L2",
        "choice": "extend_pickup",
        "line_id": "L2",
        "shipment_id": None,
        "substitute": None,
        "deadline": deadline.deadline.isoformat(),
        "previous_deadline": deadline.extended_from.isoformat(),
    }
    assert payload["data"]["order"]["number"] == "#1001"
    assert payload["data"]["next_step"]["code"] == "ready_for_pickup"


# --- one decision, every door -----------------------------------------------------------------------


def _page_offers(html: str) -> set[tuple[str, tuple[str, ...]]]:
    forms = re.findall(r'<form class="choice".*?</form>', html, re.S)
    out = set()
    for form in forms:
        subject = re.search(r'name="subject" value="([^"]*)"', form).group(1)
        out.add((subject, tuple(re.findall(r'data-choice="([^"]+)"', form))))
    return out


@pytest.mark.parametrize("situation", ["substitute", "pickup", "late", "none"])
def test_the_page_and_the_api_offer_exactly_the_same_choices(store, api, situation):
    now = timezone.now()
    if situation == "substitute":
        order = record(
            store,
            placed(now - timedelta(hours=3)),
            fact(
                "line.status",
                now - timedelta(hours=2),
                line_id="L2",
                status="unavailable",
                substitute="Socks+",
            ),
        )
    elif situation == "pickup":
        order = pickup_order(store, now)
    elif situation == "late":
        order = late_order(store, now)
    else:
        order = record(store, placed(now - timedelta(hours=3)))
    html = Client().get(f"/t/{make_tracking_token(order)}").content.decode()
    offers = api.get("/api/v1/orders/1001").json()["options"]
    assert _page_offers(html) == {(o["subject"], tuple(o["choices"])) for o in offers}
    assert bool(offers) == (situation != "none")


def test_two_items_waiting_for_pickup_each_get_their_own_named_question(store):
    """Two identical "Cannot collect it by …?" boxes named neither item, and the items sat under
    "Not shipped yet" although they wait at the pickup point."""
    now = timezone.now()
    order = pickup_order(store, now)
    html = Client().get(f"/t/{make_tracking_token(order)}?lang=en").content.decode()
    legends = re.findall(r"Cannot collect (.+?) by ", html)
    assert sorted(legends) == ["Rain jacket", "Wool socks"]
    sections = dict(re.findall(r'<h2 id="([a-z-]+)-heading">[^<]*</h2>(.*?)</section>', html, re.S))
    assert "open-lines" not in sections, "nothing is waiting to ship"
    assert "Rain jacket" in sections["pickup-lines"] and "Wool socks" in sections["pickup-lines"]
