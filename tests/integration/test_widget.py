"""The order-confirmation widget through Django's test client: what it shows (the tracking page's
next step, window and link), its per-view frame-ancestors, the SMS opt-in recorded as consent,
and every bad link answered clearly with nothing written."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.widget import shopify_digest
from aftercart.notifications.models import ChannelConfig, Preference, PreferenceChange
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token, read_tracking_token
from aftercart.orders.windows import models_refit_due
from aftercart.stores.services import (
    WidgetRefused,
    store_create,
    store_widget_configure,
    store_widget_secret_rotate,
)
from tests.integration.test_delivery_window import history

pytestmark = pytest.mark.django_db

SITE = "https://shop.acme.example"
SHOPIFY_ID = "5551234567"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


def enable_sms(store) -> None:
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": "tok", "from": "+15005550006"},
    )


def place(store, ref: str, now, *, phone: str = "+34600111222", **extra) -> Order:
    payload = {
        "number": f"#{ref}",
        "email": "ana@example.com",
        "phone": phone,
        "country": "ES",
        "lines": [{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        **extra,
    }
    fact = Fact(
        FactKind.ORDER_PLACED, now - timedelta(minutes=5), f"{ref}:placed", "test", ref, payload=payload
    )
    facts_record(store=store, facts=[fact], now=now, notify=False)
    return Order.objects.get(store=store, external_id=ref)


@pytest.fixture
def shop(store):
    """The store with its site, an SMS channel, a widget secret and a delivery history."""
    now = timezone.now()
    store_widget_configure(store=store, origins=[SITE + "/", "http://127.0.0.1:8123"])
    store_widget_secret_rotate(store=store)
    enable_sms(store)
    history(store, 60, now)
    models_refit_due(now=now)
    store.refresh_from_db()
    return store


@pytest.fixture
def order(shop) -> Order:
    return place(shop, SHOPIFY_ID, timezone.now())


def widget_url(order: Order) -> str:
    return f"/w/{order.store.slug}/{make_tracking_token(order)}"


def frame_ancestors(response) -> str:
    found = re.search(r"frame-ancestors ([^;]*)", response["Content-Security-Policy"])
    assert found is not None
    return found.group(1)


def tampered(text: str) -> str:
    """``text`` with its last character changed (always changed: never to the same one)."""
    return text[:-1] + ("1" if text[-1] == "0" else "0")


def nothing_written() -> bool:
    return not Preference.objects.exists() and not PreferenceChange.objects.exists()


# --- what it shows ----------------------------------------------------------------------------------


def test_the_widget_shows_the_next_step_window_and_tracking_link_framed_by_the_stores_site_only(
    order, client
):
    response = client.get(widget_url(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-step="awaiting_fulfilment"' in html
    assert "Expected between" in html and "data-window" in html, "the learned window"
    link = re.search(r'<a class="button" href="/t/([^"]+)" target="_blank"', html)
    assert link is not None and read_tracking_token(link.group(1)) == order, "the order's tracking page"
    assert "•••• 222" in html and 'name="consent"' in html, "the opt-in, number masked"
    assert frame_ancestors(response) == f"{SITE} http://127.0.0.1:8123"
    assert "X-Frame-Options" not in response
    assert response["Referrer-Policy"] == "no-referrer"
    assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies, "no cookies"
    # Every other page is still unframeable.
    tracking = client.get(f"/t/{make_tracking_token(order)}")
    assert frame_ancestors(tracking) == "'none'" and tracking["X-Frame-Options"] == "DENY"


def test_the_widget_words_the_same_next_step_as_the_tracking_page_in_the_customers_language(order, client):
    widget = client.get(widget_url(order) + "?lang=fr").content.decode()
    page = client.get(f"/t/{make_tracking_token(order)}?lang=fr").content.decode()
    heading = re.search(r'<h2 id="widget-heading"[^>]*>([^<]+)</h2>', widget)
    assert heading is not None and f">{heading.group(1)}</h1>" in page
    assert 'lang="fr"' in widget and "Suivre votre commande" in widget


def test_the_api_gives_the_checkout_the_widget_url(shop, api, client):
    placed = timezone.now().isoformat()
    order = {"order_id": "A-1", "number": "#1", "placed_at": placed, "email": "ana@example.com", "lines": []}
    response = api.post("/api/v1/orders", order)
    assert response.status_code == 201, response.content
    created = response.json()
    url = created["widget_url"]
    assert url.startswith("http://") and "/w/acme/" in url
    assert api.get("/api/v1/orders/A-1").json()["widget_url"].startswith(url.split(":", 2)[0])
    framed = client.get(url[url.index("/w/") :])
    assert framed.status_code == 200 and 'id="widget-heading"' in framed.content.decode()
    assert "/t/" in created["tracking_url"]


def test_a_store_with_no_site_set_lets_no_one_frame_it(store, client):
    order = place(store, "1001", timezone.now())
    assert frame_ancestors(client.get(widget_url(order))) == "'none'"


def test_shopify_order_status_token_opens_the_same_widget(order, client):
    digest = shopify_digest(order.store.widget_secret, SHOPIFY_ID)
    response = client.get(f"/w/{order.store.slug}/shopify/{SHOPIFY_ID}/{digest}")
    assert response.status_code == 200
    assert 'data-step="awaiting_fulfilment"' in response.content.decode()
    assert frame_ancestors(response).startswith(SITE)


def test_no_sms_opt_in_when_the_store_does_not_text(store, client):
    order = place(store, "1001", timezone.now())
    html = client.get(widget_url(order)).content.decode()
    assert 'data-step="awaiting_fulfilment"' in html and 'name="consent"' not in html


# --- the SMS opt-in -----------------------------------------------------------------------------------


def opt_in_form(client, url: str) -> tuple[str, dict[str, str]]:
    html = client.get(url).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return action.group(1), fields


def test_opting_in_records_explicit_consent_and_the_widget_says_so(order, shop):
    client = Client(enforce_csrf_checks=True)  # no CSRF cookie in a cross-site frame: none needed
    action, fields = opt_in_form(client, widget_url(order) + "?lang=es")
    response = client.post(action, {**fields, "consent": "yes"})
    assert response.status_code == 303
    assert frame_ancestors(response).startswith(SITE)

    preference = Preference.objects.get()
    assert (preference.channel, preference.address, preference.milestone, preference.opted_in) == (
        "sms",
        "+34600111222",
        "",
        True,
    )
    change = PreferenceChange.objects.get()
    assert (change.source, change.order_id, change.opted_in) == ("widget", order.pk, True)
    assert change.detail == "order confirmation widget, wording in es"

    after = client.get(response["Location"]).content.decode()
    assert 'role="status"' in after and "•••• 222" in after and 'name="consent"' not in after
    # A second post (double click, back and resubmit) records nothing more.
    assert client.post(action, {**fields, "consent": "yes"}).status_code == 303
    assert PreferenceChange.objects.count() == 1


def test_an_unticked_box_is_refused_and_writes_nothing(order):
    client = Client()
    action, fields = opt_in_form(client, widget_url(order))
    response = client.post(action, fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "Tick the box" in html and 'aria-invalid="true"' in html
    assert nothing_written()


def test_a_forged_stale_or_other_orders_form_is_refused(order, shop, client):
    action, fields = opt_in_form(client, widget_url(order))
    other = place(shop, "2002", timezone.now(), phone="+34600999888")
    _other_action, other_fields = opt_in_form(client, widget_url(other))
    for stamp in ("", tampered(fields["form"]), other_fields["form"]):
        response = client.post(action, {**fields, "form": stamp, "consent": "yes"})
        assert response.status_code == 400 and "This form has expired" in response.content.decode()
    assert nothing_written()


# --- bad links: a clear answer, nothing written --------------------------------------------------------


def test_another_stores_order_is_refused(order, client):
    other = store_create(slug="other", name="Other Shop")
    store_widget_configure(store=other, origins=["https://other.example"])
    token = make_tracking_token(order)
    response = client.get(f"/w/other/{token}")
    assert response.status_code == 404
    assert "This order was not placed with Other Shop." in response.content.decode()
    assert frame_ancestors(response) == "https://other.example"
    _action, fields = opt_in_form(client, widget_url(order))
    posted = client.post(f"/w/other/{token}/sms", {**fields, "consent": "yes"})
    assert posted.status_code == 404
    assert nothing_written()


@pytest.mark.parametrize("mangle", [tampered, lambda t: t[:10], lambda t: "x" * 500])
def test_a_tampered_token_is_refused(order, client, mangle):
    bad = mangle(make_tracking_token(order))
    for response in (
        client.get(f"/w/{order.store.slug}/{bad}"),
        client.post(f"/w/{order.store.slug}/{bad}/sms", {"consent": "yes"}),
    ):
        assert response.status_code == 404
        assert 'data-problem="invalid"' in response.content.decode()
    assert nothing_written()


def test_an_expired_link_is_gone(order, client, settings, monkeypatch):
    action, fields = opt_in_form(client, widget_url(order))
    monkeypatch.setattr("aftercart.web.widget.views.link_expired", lambda *args: True)
    response = client.get(widget_url(order))
    assert response.status_code == 410 and 'data-problem="expired"' in response.content.decode()
    assert client.post(action, {**fields, "consent": "yes"}).status_code == 410
    assert nothing_written()


def test_shopify_tokens_refused_unless_signed_with_this_stores_secret(order, client):
    store = order.store
    other = store_create(slug="other", name="Other Shop")
    store_widget_secret_rotate(store=other)
    other.refresh_from_db()
    for digest in (
        shopify_digest(other.widget_secret, SHOPIFY_ID),  # another store's secret
        tampered(shopify_digest(store.widget_secret, SHOPIFY_ID)),
        "not-a-digest",
    ):
        response = client.get(f"/w/{store.slug}/shopify/{SHOPIFY_ID}/{digest}")
        assert response.status_code == 404 and 'data-problem="invalid"' in response.content.decode()
    # signed for this store, but the order has not reached us (the webhook is late)
    unknown = shopify_digest(store.widget_secret, "999")
    response = client.get(f"/w/{store.slug}/shopify/999/{unknown}")
    assert response.status_code == 404 and 'data-problem="unknown"' in response.content.decode()
    # a rotated secret retires every token made with the old one
    old = shopify_digest(store.widget_secret, SHOPIFY_ID)
    store_widget_secret_rotate(store=store)
    assert client.get(f"/w/{store.slug}/shopify/{SHOPIFY_ID}/{old}").status_code == 404


def test_an_unknown_store_is_refused_and_unframeable(order, client):
    response = client.get(f"/w/nope/{make_tracking_token(order)}")
    assert response.status_code == 404 and frame_ancestors(response) == "'none'"


def test_site_origins_are_checked_when_saved(store):
    with pytest.raises(WidgetRefused) as refused:
        store_widget_configure(store=store, origins=["https://shop.example", "https://*.example.com"])
    assert "widget_origins[1]" in refused.value.errors
    store.refresh_from_db()
    assert store.widget_origins == [], "all or nothing"
    store_widget_configure(store=store, origins=["HTTPS://Shop.Example:443/", "https://shop.example"])
    assert store.widget_origins == ["https://shop.example"]
