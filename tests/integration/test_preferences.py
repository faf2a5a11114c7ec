"""Consent and preferences end to end: real e-mails out to a local SMTP server, their
List-Unsubscribe URL posted as a mail provider does (RFC 8058), the preference page driven through
Django's test client with CSRF checks on, and the planner and worker honouring what was chosen."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from aftercart.integrations.shopify import parse_webhook
from aftercart.notifications import preferences as preference_services
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.links import preferences_url
from aftercart.notifications.models import ChannelConfig, Message, Preference, PreferenceChange
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from tests.conftest import shared_path
from tests.factories import fact

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    # Midday UTC: SMS quiet hours must not hold the messages under test.
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True, HTTP_HOST="testserver")


def placed(at, order="1001", **extra):
    return fact(
        "order.placed",
        at,
        f"placed-{order}",
        order=order,
        number=f"#{order}",
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        **{"email": "Ana@Example.com", **extra},
    )


def shipped(at, order="1001", sid="S1"):
    return fact(
        "shipment.created",
        at,
        f"ship-{order}-{sid}",
        order=order,
        shipment_id=sid,
        carrier="UPS",
        tracking_number=f"1Z{order}{sid}",
        lines=[{"line_id": "L1", "quantity": 1}],
    )


def record(store, *facts, at):
    return facts_record(store=store, facts=list(facts), now=at)


def path_of(url: str) -> str:
    return urlsplit(url).path


def one_click(client, url):
    # What Gmail, Yahoo and others post (RFC 8058 §3.1): no cookies, no CSRF token.
    return client.post(
        path_of(url), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )


def test_the_one_click_url_in_a_sent_email_unsubscribes_once_and_nothing_more_is_sent(
    store, smtp, now, csrf_client
):
    record(store, placed(now), at=now)
    assert message_deliver_due(now=now + timedelta(minutes=16)).sent == 1
    [received] = smtp.received
    unsubscribe = received["List-Unsubscribe"].strip()[1:-1]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert csrf_client.get(path_of(unsubscribe)).status_code == 200, "a GET only shows the page"
    assert not Preference.objects.exists(), "link scanners must not unsubscribe anyone"

    response = one_click(csrf_client, unsubscribe)
    assert response.status_code == 200, response.content
    again = one_click(csrf_client, unsubscribe)
    assert again.status_code == 200, "idempotent"
    [pref] = Preference.objects.all()
    assert (pref.channel, pref.address, pref.milestone, pref.opted_in, pref.source) == (
        "email",
        "ana@example.com",
        "",
        False,
        "one_click",
    )
    [change] = PreferenceChange.objects.all()
    assert change.order == Order.objects.get() and change.detail == "List-Unsubscribe-Post"

    record(store, shipped(now + timedelta(hours=20)), at=now + timedelta(hours=20))
    shipped_message = Message.objects.get(milestone="shipped")
    assert (shipped_message.status, shipped_message.reason) == ("suppressed", "opted out of email")
    # A later order of the same customer, typed differently, is covered too.
    record(
        store,
        placed(now + timedelta(hours=21), order="1002", email=" ANA@example.com"),
        at=now + timedelta(hours=21),
    )
    assert Message.objects.get(order__external_id="1002").reason == "opted out of email"


def test_a_post_without_the_one_click_body_changes_nothing(store, now, csrf_client):
    record(store, placed(now), at=now)
    url = preferences_url(Order.objects.get(), "email")
    response = csrf_client.post(path_of(url), {"List-Unsubscribe": "Maybe"})
    assert response.status_code == 400
    assert not Preference.objects.exists()


def test_an_unsubscribe_after_planning_stops_the_message_at_send_time(store, smtp, now, csrf_client):
    record(store, placed(now), at=now)
    assert one_click(csrf_client, preferences_url(Order.objects.get(), "email")).status_code == 200
    report = message_deliver_due(now=now + timedelta(minutes=16))
    assert (report.sent, report.suppressed) == (0, 1)
    message = Message.objects.get()
    assert (message.status, message.reason) == ("suppressed", "opted out of email (at send time)")
    assert smtp.received == []


def _form(page_html: str) -> tuple[str, dict[str, str]]:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_html).group(1)
    action = re.search(r'<form method="post" action="([^"]+)"', page_html).group(1)
    return action, {"csrfmiddlewaretoken": token}


def test_the_preference_page_mutes_one_milestone_without_javascript(store, now, csrf_client):
    record(store, placed(now, locale="es"), at=now)
    url = path_of(preferences_url(Order.objects.get(), "email"))
    page = csrf_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "es"
    assert "Tus preferencias de mensajes" in html, "in the customer's language"
    assert "a•••@example.com" in html and "ana@example.com" not in html, "address masked"
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert '<label for="email-shipped">' in html, "every checkbox has a label"

    action, fields = _form(html)
    boxes = re.findall(r'name="(email(?:-[a-z_]+)?)" id="[^"]+" checked', html)
    assert "email" in boxes and "email-shipped" in boxes
    fields.update({name: "on" for name in boxes if name != "email-shipped"})
    # Without the CSRF token the form is refused.
    assert (
        csrf_client.post(action, {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}).status_code
        == 403
    )
    saved = csrf_client.post(action, fields)
    assert saved.status_code == 303 and saved["Location"].endswith("?saved=1")
    assert "Tus preferencias se han guardado." in csrf_client.get(saved["Location"]).content.decode()

    [pref] = Preference.objects.all()
    assert (pref.milestone, pref.opted_in, pref.source) == ("shipped", False, "preference_page")
    later = now + timedelta(hours=1)
    record(store, shipped(later), at=later)
    message = Message.objects.get(milestone="shipped")
    assert (message.status, message.reason) == ("suppressed", "opted out of shipped on email")
    page = csrf_client.get(url).content.decode()
    assert 'id="email-shipped" checked' not in page and 'id="email-delivered" checked' in page

    # Turning it back on is a second change, kept alongside the first.
    action, fields = _form(page)
    fields.update({name: "on" for name in re.findall(r'name="(email(?:-[a-z_]+)?)" id=', page)})
    csrf_client.post(action, fields)
    assert list(PreferenceChange.objects.values_list("milestone", "opted_in")) == [
        ("shipped", False),
        ("shipped", True),
    ]


def test_a_forged_link_is_refused(store, now, client):
    record(store, placed(now), at=now)
    url = path_of(preferences_url(Order.objects.get(), "email"))
    assert client.get(url[:-3] + "abc").status_code == 404
    assert one_click(client, url[:-3] + "abc").status_code == 404
    assert not Preference.objects.exists()


def enable_sms(store):
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": "tok", "from": "+15005550006"},
        milestones=["order_confirmed", "shipped"],  # a journey that texts the confirmation too
    )


def test_no_sms_without_explicit_consent_and_the_page_can_give_it(store, now, csrf_client):
    enable_sms(store)
    record(store, placed(now, phone="600 111 222", country="ES"), at=now)
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.reason) == ("suppressed", "no SMS consent")

    page = csrf_client.get(path_of(preferences_url(Order.objects.get(), "email"))).content.decode()
    assert "•••• 222" in page and 'name="sms" id="sms" checked' not in page
    action, fields = _form(page)
    fields.update({name: "on" for name in re.findall(r'name="((?:email|sms)(?:-[a-z_]+)?)" id=', page)})
    assert csrf_client.post(action, fields).status_code == 303
    pref = Preference.objects.get(channel="sms", milestone="")
    assert (pref.address, pref.opted_in) == ("+34600111222", True), "E.164, as Twilio reports it"

    later = now + timedelta(hours=1)
    record(store, shipped(later), at=later)
    assert Message.objects.get(channel="sms", milestone="shipped").status == "pending"


def test_unsubscribe_from_everything_turns_every_channel_off(store, now, csrf_client):
    enable_sms(store)
    record(store, placed(now, phone="+34600111222", sms_consent=True), at=now)
    page = csrf_client.get(path_of(preferences_url(Order.objects.get(), "sms"))).content.decode()
    assert 'name="sms" id="sms" checked' in page, "the order's consent shows as on"
    action, fields = _form(page)
    csrf_client.post(action, {**fields, "unsubscribe_all": ""})
    assert set(Preference.objects.values_list("channel", "opted_in")) == {("email", False), ("sms", False)}


def test_a_save_that_fails_midway_changes_nothing(store, now, csrf_client, monkeypatch):
    # The form turns two channels off; the second write fails: the first must not stay applied.
    enable_sms(store)
    record(store, placed(now, phone="+34600111222", sms_consent=True), at=now)
    page = csrf_client.get(path_of(preferences_url(Order.objects.get(), "sms"))).content.decode()
    action, fields = _form(page)
    real, calls = preference_services.preference_set, []

    def fails_the_second_time(**kwargs):
        calls.append(kwargs["channel"])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(preference_services, "preference_set", fails_the_second_time)
    with pytest.raises(RuntimeError):
        csrf_client.post(action, {**fields, "unsubscribe_all": ""})
    assert len(calls) == 2, "the first channel was written before the failure"
    assert not Preference.objects.exists() and not PreferenceChange.objects.exists()
    page = csrf_client.get(path_of(preferences_url(Order.objects.get(), "sms"))).content.decode()
    assert 'name="sms" id="sms" checked' in page and 'name="email" id="email" checked' in page


def test_shopify_sms_marketing_consent_becomes_the_orders_consent():
    body = json.loads(shared_path("shopify", "rest_api_examples_2025-07", "order.json").read_text())
    order = _first_order(body)
    order["customer"]["sms_marketing_consent"]["state"] = "subscribed"
    [placed_fact, *_] = parse_webhook("orders/create", order)
    assert placed_fact.payload["sms_consent"] is True
    order["customer"]["sms_marketing_consent"]["state"] = "not_subscribed"
    assert parse_webhook("orders/create", order)[0].payload["sms_consent"] is False
    order["buyer_accepts_sms"] = True
    assert parse_webhook("orders/create", order)[0].payload["sms_consent"] is True


def _first_order(node):
    # The examples file nests responses; the first dict with a customer and line items is an order.
    if isinstance(node, dict):
        if "line_items" in node and isinstance(node.get("customer"), dict):
            return node
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _first_order(item)
            if found is not None:
                return found
    return None


def test_every_milestone_a_customer_can_be_messaged_about_has_a_label_on_the_page():
    from aftercart.domain.messaging import EVENT_ONLY
    from aftercart.domain.milestones import Milestone
    from aftercart.web.preferences import MILESTONE_LABELS

    assert set(Milestone) - EVENT_ONLY == set(MILESTONE_LABELS), "a milestone missing here cannot be muted"


def test_an_old_one_click_link_never_unsubscribes_the_orders_new_address(store, smtp, now, csrf_client):
    # The confirmation goes to Ana; the store then corrects the order's address to Bea's. The
    # link in Ana's e-mail is bound to Ana's address: posted (by Ana's mail provider, or anyone
    # holding the e-mail) it opts Ana out, and leaves Bea's messages alone.
    record(store, placed(now), at=now)
    assert message_deliver_due(now=now + timedelta(minutes=16)).sent == 1
    old_link = smtp.received[0]["List-Unsubscribe"].strip()[1:-1]
    corrected = fact(
        "order.updated", now + timedelta(hours=1), "update-1001", order="1001", email="bea@example.com"
    )
    record(store, corrected, at=now + timedelta(hours=1))

    response = one_click(csrf_client, old_link)
    assert response.status_code == 200, response.content
    assert [(p.address, p.opted_in) for p in Preference.objects.all()] == [("ana@example.com", False)]
    page = csrf_client.get(path_of(old_link)).content.decode()
    assert "b•••@example.com" not in page, "the old link shows nothing of the new address"

    record(store, shipped(now + timedelta(hours=20)), at=now + timedelta(hours=20))
    assert Message.objects.get(milestone="shipped").status == "pending", "Bea still gets her updates"

    # A link for an address the order's messages never went to changes nothing for anybody.
    Message.objects.update(recipient="")
    nobody = one_click(csrf_client, old_link)
    assert nobody.status_code == 200 and b"nothing was changed" in nobody.content
    assert Preference.objects.count() == 1

    # Bea's own link (a message sent now) unsubscribes Bea.
    assert one_click(csrf_client, preferences_url(Order.objects.get(), "email")).status_code == 200
    assert Preference.objects.get(address="bea@example.com").opted_in is False
