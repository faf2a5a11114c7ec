"""The agent's console against the real ledger and support tables: the timeline of one order, finding
orders, the inbox's filters, the suggested reply, the actions, the signed sidebar, the figures."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from aftercart.exceptions.models import OrderException
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.notifications.models import Message as OutboundMessage
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state, order_view
from aftercart.support.console.reads import InboxFilters, inbox, order_search
from aftercart.support.console.sidebar import sidebar_query, sidebar_secret, sidebar_signature
from aftercart.support.metrics import support_figures
from aftercart.support.models import Conversation, SupportSettings
from aftercart.support.timeline import order_timeline
from tests.integration.support_console_data import MON, answer, conversation, place, ship

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def agent(db):
    return get_user_model().objects.create_user("agent", "agent@example.com", "pw", is_staff=True)


@pytest.fixture
def staff(client, agent):
    client.force_login(agent)
    return client


# -- the timeline ---------------------------------------------------------------------------------


def test_timeline_merges_every_subject_in_time_order_with_words(store):
    order = place(store)
    ship(store)
    # At the very instant of the shipment: a case opened and a message sent, which the shipment
    # caused: the fact first, then the case, then the message.
    at = MON + 5 * H
    OrderException.objects.create(
        store=store,
        order=order,
        kind="stalled",
        severity="high",
        queue="carrier",
        opened_at=at,
        resolved_at=at + 2 * H,
        resolution="moving_again",
    )
    OutboundMessage.objects.create(
        store=store,
        order=order,
        channel="email",
        milestone="shipped",
        dedupe_key="m1",
        status="sent",
        created_at=at,
        sent_at=at,
    )
    c = conversation(store, order=order, at=MON + 9 * H, channel="email")
    answer(c, MON + 9 * H + timedelta(minutes=2), automated=True)

    entries = order_timeline(order)
    labels = [(e.at, e.source, e.label) for e in entries]
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert labels[0][1:] == ("fact", "Order placed")
    same_instant = [(s, label) for when, s, label in labels if when == at]
    assert same_instant == [
        ("fact", "Shipped"),
        ("case", "Case opened: Parcel stalled"),
        ("message", "Sent e-mail: shipped"),
    ]
    assert ("fact", "Carrier: in transit") in [(s, label) for _w, s, label in labels]
    assert ("case", "Case closed: Parcel stalled") in [(s, label) for _w, s, label in labels]
    tail = [(s, label) for _w, s, label in labels][-2:]
    assert tail == [
        ("conversation", "Customer wrote (E-mail)"),
        ("conversation", "Answered automatically (E-mail)"),
    ]
    # no raw code reads as a label
    assert not any(re.fullmatch(r"[a-z_.]+", e.label) for e in entries)


def test_order_page_shows_the_timeline_and_next_step(staff, store):
    order = place(store)
    ship(store)
    page = staff.get(f"/ops/support/orders/{order.pk}").content.decode()
    assert "Carrier: in transit" in page and "Departed facility" in page
    assert 'data-step="' in page
    assert "/t/" in page  # the suggested reply's tracking link


# -- finding an order ------------------------------------------------------------------------------


def test_order_search_by_number_email_phone_and_tracking(store):
    order = place(store)
    other = place(store, ref="1002", email="bo@example.com", phone="+44 20 7946 0000")
    ship(store)
    assert order_search("#1001") == [order]
    assert order_search("1001") == [order]
    assert order_search(" ANA@Example.com ") == [order]
    assert order_search("1z999aa1 0123456784") == [order]
    assert order_search("+33612345678") == [order]
    assert order_search("+442079460000") == [other]
    assert order_search("nobody@example.com") == []


def test_a_single_match_opens_the_order(staff, store):
    order = place(store)
    response = staff.get("/ops/support/orders", {"q": "ana@example.com"})
    assert response.status_code == 302 and response["Location"] == f"/ops/support/orders/{order.pk}"


def test_console_is_staff_only(client, store):
    for url in (
        "/ops/support/",
        "/ops/support/orders?q=1001",
        "/ops/support/metrics",
        "/ops/support/sidebar-setup",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


# -- the inbox -------------------------------------------------------------------------------------


def test_inbox_filters_by_intent_state_store_and_age(store, agent):
    from aftercart.stores.services import store_create

    other = store_create(slug="other", name="Other")
    now = MON + 48 * H
    old = conversation(store, at=MON)
    fresh = conversation(store, at=MON + 47 * H, intent="get_refund")
    done = conversation(store, at=MON, state=Conversation.State.RESOLVED)
    elsewhere = conversation(other, at=MON)

    def ids(**kw):
        return {c.pk for c in inbox(InboxFilters(**kw), now=now)}

    assert ids() == {old.pk, fresh.pk, elsewhere.pk}  # open ones by default
    assert ids(state="all") == {old.pk, fresh.pk, done.pk, elsewhere.pk}
    assert ids(intent="get_refund") == {fresh.pk}
    assert ids(store="other") == {elsewhere.pk}
    assert ids(min_age=timedelta(hours=24)) == {old.pk, elsewhere.pk}
    fresh.assignee = agent
    fresh.save()
    assert ids(mine_id=agent.pk) == {fresh.pk}


def test_inbox_pages_and_answers_htmx_with_the_table_alone(staff, store):
    for i in range(55):
        conversation(store, at=MON + i * timedelta(minutes=1))
    first = staff.get("/ops/support/").content.decode()
    assert first.count("data-conversation=") == 50 and "Page 1 of 2" in first and "<h1>" in first
    second = staff.get("/ops/support/", {"page": "2"}).content.decode()
    assert second.count("data-conversation=") == 5
    fragment = staff.get("/ops/support/", {"intent": "track_order"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<h1>" not in fragment and fragment.count("data-conversation=") == 50


# -- one conversation: suggested reply and actions ------------------------------------------------


def test_suggested_reply_is_in_the_customers_language_with_the_tracking_link(staff, store):
    order = place(store, locale="fr")
    ship(store)
    c = conversation(store, order=order, language="fr")
    page = staff.get(f"/ops/support/c/{c.public_id}").content.decode()
    reply = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    # the next step in French, as the tracking page words it (the presenter), and the signed link
    state, step = order_view(order, timezone.now())
    with translation.override("fr"):
        headline = present(step, customer_zone(state, store.timezone)).headline
    assert headline and html.unescape(headline) in html.unescape(reply)
    assert "#1001" in reply and "/t/" in reply and store.name in reply
    assert "E-mail, fr)" in page


def test_assign_resolve_and_reopen(staff, store, agent):
    c = conversation(store)
    url = f"/ops/support/c/{c.public_id}"
    assert staff.post(f"{url}/assign", {"assignee": "me"}).status_code == 303
    c.refresh_from_db()
    assert c.assignee == agent
    staff.post(f"{url}/resolve")
    c.refresh_from_db()
    assert c.state == Conversation.State.RESOLVED and c.resolved_at is not None
    assert "Reopen" in staff.get(url).content.decode()
    staff.post(f"{url}/reopen")
    c.refresh_from_db()
    assert c.state == Conversation.State.NEEDS_AGENT
    for nonsense in ("9" * 40, "１２", "abc", "-1"):  # refused, never a server error
        assert staff.post(f"{url}/assign", {"assignee": nonsense}).status_code == 303
        assert staff.post(f"{url}/match", {"order": nonsense}).status_code == 303
    staff.post(f"{url}/assign", {"assignee": ""})
    c.refresh_from_db()
    assert c.assignee is None
    assert list(c.messages.filter(kind="event").values_list("payload__event", flat=True)) == [
        "assigned",
        "resolved",
        "reopened",
        "assigned",
    ]


def test_cancel_before_fulfilment_only(staff, store):
    order = place(store)
    c = conversation(store, order=order, intent="cancel_order")
    page = staff.get(f"/ops/support/c/{c.public_id}").content.decode()
    assert "Cancel the order" in page
    assert (
        staff.post(f"/ops/support/orders/{order.pk}/cancel", {"conversation": c.public_id}).status_code == 303
    )
    assert order_state(order).cancelled_at is not None
    assert c.messages.filter(kind="event", payload__action="cancel_order").exists()

    shipped = place(store, ref="2001")
    ship(store, ref="2001", tracking="1Z2")
    assert "Cancel the order" not in staff.get(f"/ops/support/orders/{shipped.pk}").content.decode()
    staff.post(f"/ops/support/orders/{shipped.pk}/cancel")
    assert order_state(Order.objects.get(pk=shipped.pk)).cancelled_at is None


# -- the helpdesk sidebar --------------------------------------------------------------------------


def _signed(store, **params):
    base = {"store": store.slug, "email": "", "ticket": "", "expires": str(int(time.time()) + 600), **params}
    base["sig"] = sidebar_signature(sidebar_secret(store), base)
    return base


def test_sidebar_json_lists_the_requesters_orders_with_next_step_and_open_items(client, store):
    order = place(store)
    ship(store)
    conversation(store, order=order)
    response = client.get(f"/ops/support/sidebar/{store.slug}.json", _signed(store, email="Ana@Example.com"))
    assert response.status_code == 200
    data = response.json()
    assert [o["number"] for o in data["orders"]] == ["#1001"]
    first = data["orders"][0]
    assert first["next_step"]["headline"] and "/t/" in first["tracking_url"]
    assert [item["kind"] for item in first["open"]] == ["conversation"]


def test_sidebar_finds_the_order_by_helpdesk_ticket(client, store):
    order = place(store)
    conversation(store, order=order, channel="zendesk", external_id="4711", email="")
    data = client.get(f"/ops/support/sidebar/{store.slug}.json", _signed(store, ticket="4711")).json()
    assert [o["id"] for o in data["orders"]] == [order.external_id]


def test_sidebar_refuses_forged_tampered_and_expired_links(client, store):
    place(store)
    good = _signed(store, email="ana@example.com")
    url = f"/ops/support/sidebar/{store.slug}.json"
    assert client.get(url, {**good, "email": "bo@example.com"}).status_code == 403  # tampered
    assert client.get(url, {**good, "sig": "0" * 64}).status_code == 403
    expired = _signed(store, email="ana@example.com", expires=str(int(time.time()) - 1))
    assert client.get(url, expired).status_code == 403
    too_long = _signed(store, email="ana@example.com", expires=str(int(time.time()) + 10 * 86400))
    assert client.get(url, too_long).status_code == 403
    problem = client.get(url, {**good, "email": "bo@example.com"})
    assert problem["Content-Type"] == "application/problem+json"


def test_a_helpdesk_proxy_uses_the_secret_as_a_bearer_key_and_gets_signed_urls(client, store):
    place(store)
    secret = sidebar_secret(store)
    url = f"/ops/support/sidebar/{store.slug}.json"
    ok = client.get(url, {"email": "ana@example.com"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ok.status_code == 200 and [o["number"] for o in ok.json()["orders"]] == ["#1001"]
    bad = client.get(url, {"email": "ana@example.com"}, HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    assert bad.status_code == 403
    assert (
        client.get(f"/ops/support/sidebar/{store.slug}/sign", {"email": "ana@example.com"}).status_code == 403
    )
    signed = client.get(
        f"/ops/support/sidebar/{store.slug}/sign",
        {"email": "ana@example.com", "ticket": "9"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    ).json()
    path = signed["url"].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "#1001" in page.content.decode()
    # a store's secret opens no other store's sidebar
    from aftercart.stores.services import store_create

    other = store_create(slug="other", name="Other")
    assert (
        client.get(
            f"/ops/support/sidebar/{other.slug}.json", HTTP_AUTHORIZATION=f"Bearer {secret}"
        ).status_code
        == 403
    )


def test_sidebar_page_may_be_framed_by_the_stores_helpdesk_only(client, store):
    place(store)
    SupportSettings.objects.create(store=store, zendesk_base_url="https://acme.zendesk.com")
    response = client.get(
        f"/ops/support/sidebar/{store.slug}?{sidebar_query(store, email='ana@example.com')}"
    )
    assert response.status_code == 200
    assert "frame-ancestors https://acme.zendesk.com" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert "#1001" in response.content.decode()


# -- the figures -----------------------------------------------------------------------------------


def test_figures_from_the_tables_match_the_hand_count(store, agent):
    # 4 orders in W10; 3 conversations: #1 WISMO automated at +2 min then the same customer again
    # at +20 h (a recontact, an agent answered it at +21 h); #2 a refund question, unanswered.
    for i in range(4):
        place(store, ref=f"90{i}", at=MON + i * H)
    c1 = conversation(store, at=MON, email="ana@example.com")
    answer(c1, MON + timedelta(minutes=2), automated=True)
    c2 = conversation(store, at=MON + 20 * H, email="ANA@example.com")
    answer(c2, MON + 21 * H, automated=False, agent=agent)
    conversation(store, at=MON + 30 * H, intent="get_refund", email="bo@example.com")
    f = support_figures(store=store, since=MON, until=MON + timedelta(days=7))
    assert (f.contacts, f.wismo_contacts, f.orders) == (3, 2, 4)
    assert f.wismo_per_100_orders == 50.0
    assert f.automation_rate == 1 / 3
    assert f.recontact_rate == 1.0
    # answered: 120 s and 3600 s → p50 = 120 (rank 1), p90 = 3600 (rank 2)
    assert (f.first_response_p50, f.first_response_p90) == (120.0, 3600.0)
    assert dict(f.by_intent) == {"track_order": 2, "get_refund": 1}
    assert [(w.week, w.per_100_orders) for w in f.weekly] == [("2026-W10", 50.0)]


def test_metrics_api_answers_the_keys_store_only(api, store):
    from aftercart.stores.services import store_create

    other = store_create(slug="other", name="Other")
    place(store, at=MON)
    conversation(store, at=MON)
    conversation(other, at=MON)
    response = api.get("/api/v1/support/metrics?" + urlencode({"from": "2026-03-01", "to": "2026-03-09"}))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["contacts"], data["orders"], data["wismo_per_100_orders"]) == (1, 1, 100.0)
    assert data["weekly"] == [
        {"store": "acme", "week": "2026-W10", "wismo_contacts": 1, "orders": 1, "per_100_orders": 100.0}
    ]
    assert api.get("/api/v1/support/metrics?from=yesterday").status_code == 400


def test_metrics_page_draws_charts_with_their_tables(staff, store):
    place(store, at=timezone.now() - timedelta(days=1))
    conversation(store, at=timezone.now() - timedelta(days=1))
    page = staff.get("/ops/support/metrics").content.decode()
    assert 'data-chart="wismo-per-100-data"' in page
    assert '<script id="wismo-per-100-data" type="application/json">' in page
    assert "chart-4.6.2.umd.min.js" in page and "charts.js" in page
    assert "<details" in page and '<th scope="row">track order</th>' in page


def test_metrics_page_takes_any_period_without_failing(staff):
    for query in (
        {"to": "0001-01-01"},
        {"from": "2026-02-30"},
        {"from": "x", "to": "9999-12-31"},
        {"from": "2026-03-09", "to": "2026-03-01"},
    ):
        assert staff.get("/ops/support/metrics", query).status_code == 200, query


def test_openapi_documents_the_metrics(client):
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/support/metrics"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"from", "to"}
    assert "SupportMetricsOut" in str(op["responses"]["200"])


def test_figures_with_dates_in_utc(store):
    assert support_figures(store=store, since=datetime(2026, 1, 1, tzinfo=UTC)).contacts == 0


def test_demo_support_history_goes_through_the_real_services(store):
    from aftercart.demo.support_console import seed_support_console

    now = MON + timedelta(days=30)
    for i in range(60):
        place(store, ref=f"70{i:02d}", at=MON + timedelta(hours=9 * i))
    seeded = seed_support_console(stores={"acme": store}, now=now, seed=3)
    assert seeded.conversations == Conversation.objects.count() > 0
    f = support_figures(store=store, since=now - timedelta(days=40), until=now)
    assert f.contacts == seeded.conversations and f.orders == 60
    again = seed_support_console(stores={"acme": store}, now=now, seed=3)
    assert Conversation.objects.count() == seeded.conversations and again.answered_by_agent == 0


def test_an_unmatched_conversation_offers_the_customers_orders_and_is_matched_in_one_click(staff, store):
    place(store)
    second = place(store, ref="1002")
    c = conversation(store, order=None)
    page = staff.get(f"/ops/support/c/{c.public_id}").content.decode()
    assert "Match to #1001" in page and "Match to #1002" in page
    staff.post(f"/ops/support/c/{c.public_id}/match", {"order": str(second.pk)})
    c.refresh_from_db()
    assert c.order == second and c.match == Conversation.Match.AGENT
    assert "Match to" not in staff.get(f"/ops/support/c/{c.public_id}").content.decode()
    from aftercart.stores.services import store_create

    elsewhere = place(store_create(slug="other", name="Other"), ref="1003")
    staff.post(f"/ops/support/c/{c.public_id}/match", {"order": str(elsewhere.pk)})
    c.refresh_from_db()
    assert c.order == second  # another store's order is refused


def test_the_timeline_reads_each_source_once(store, django_assert_num_queries):
    order = place(store)
    ship(store)
    for i in range(3):
        c = conversation(store, order=order, at=MON + i * H)
        answer(c, MON + i * H + timedelta(minutes=1), automated=True)
    with django_assert_num_queries(5):  # facts, cases, returns, messages, conversations
        entries = order_timeline(order)
    assert len([e for e in entries if e.source == "conversation"]) == 6


def test_the_figures_are_two_queries_whatever_the_volume(store, django_assert_num_queries):
    for i in range(5):
        place(store, ref=f"80{i}", at=MON + i * H)
        c = conversation(store, at=MON + i * H)
        answer(c, MON + i * H + timedelta(minutes=1), automated=True)
    with django_assert_num_queries(2):  # the conversations with their answers, the orders
        f = support_figures(store=store, since=MON, until=MON + timedelta(days=1))
    assert f.contacts == 5 and f.automation_rate == 1.0


def test_the_metrics_period_is_read_in_utc_whatever_its_offset(api):
    # PostgreSQL holds no offset past ±15:59 (a 500 before, as schemathesis found); the calendar's
    # last moment west of UTC has no UTC time at all: the field is named, nothing fails.
    response = api.get("/api/v1/support/metrics?to=2192-05-15T00:51:46-22:30")
    assert response.status_code == 200, response.content
    assert response.json()["until"].startswith("2192-05-15T23:21:46")
    beyond = api.get("/api/v1/support/metrics?to=9999-12-31T23:59:59-05:00")
    assert beyond.status_code == 400 and beyond.json()["errors"][0]["field"] == "to"
