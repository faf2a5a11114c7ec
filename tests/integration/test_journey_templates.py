"""Per-store journeys and template editing, through the real API (bearer key, JSON, problem+json),
the planner, and e-mails received by a local SMTP server; previews render real orders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import ChannelConfig, Message, MessageTemplate
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.AFTERCART_BASE_URL = "https://track.acme.example"


@pytest.fixture
def now():
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def put(api, path, data):
    return api.post(path, data, REQUEST_METHOD="PUT")


def placed(at, order="1001", **extra):
    return fact(
        "order.placed",
        at,
        f"placed-{order}",
        order=order,
        number=f"#{order}",
        customer_name="Ana Souza",
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        **{"email": "ana@example.com", **extra},
    )


def shipped(at, order="1001"):
    return fact(
        "shipment.created",
        at,
        f"ship-{order}",
        order=order,
        shipment_id="S1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        lines=[{"line_id": "L1", "quantity": 1}],
    )


def record(store, *facts, at):
    return facts_record(store=store, facts=list(facts), now=at)


def enable_sms(store):
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": "tok", "from": "+15005550006"},
    )


# --- journeys ---------------------------------------------------------------------------------------


def test_the_default_journey_emails_every_milestone_and_texts_only_what_matters(api, store):
    body = api.get("/api/v1/notifications/journey").json()
    [email_channel] = body["channels"]
    assert email_channel["channel"] == "email" and email_channel["default"] is True
    assert len(email_channel["milestones"]) == len(body["milestones"])

    enable_sms(store)
    sms = {c["channel"]: c for c in api.get("/api/v1/notifications/journey").json()["channels"]}["sms"]
    assert "shipped" in sms["milestones"] and "exception" in sms["milestones"]
    assert "order_confirmed" not in sms["milestones"], "e-mail covers the confirmation"


def test_a_store_journey_decides_what_the_planner_sends(api, store, now):
    refused = put(api, "/api/v1/notifications/journey", {"channels": {"sms": ["shipped"]}})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "channels.sms", "SMS is not set up yet"

    enable_sms(store)
    bad = put(api, "/api/v1/notifications/journey", {"channels": {"email": ["delivered", "teleported"]}})
    assert bad.status_code == 422 and "teleported" in bad.json()["detail"]
    assert ChannelConfig.objects.filter(channel="email").count() == 0, "a refused change writes nothing"

    ok = put(api, "/api/v1/notifications/journey", {"channels": {"email": ["delivered"], "sms": ["shipped"]}})
    assert ok.status_code == 200, ok.content
    by = {c["channel"]: c for c in ok.json()["channels"]}
    assert (by["email"]["milestones"], by["sms"]["milestones"]) == (["delivered"], ["shipped"])

    record(store, placed(now, phone="+34600111222", sms_consent=True), at=now)
    assert not Message.objects.exists(), "order_confirmed is on no channel of this journey"
    record(store, shipped(now + timedelta(minutes=1)), at=now + timedelta(minutes=1))
    assert list(Message.objects.values_list("channel", "milestone")) == [("sms", "shipped")]

    reset = put(api, "/api/v1/notifications/journey", {"channels": {"email": None}})
    email_channel = {c["channel"]: c for c in reset.json()["channels"]}["email"]
    assert email_channel["default"] is True and "order_confirmed" in email_channel["milestones"]


# --- templates --------------------------------------------------------------------------------------


def test_a_template_that_cannot_render_is_refused_with_the_error(api):
    broken = put(
        api,
        "/api/v1/notifications/templates",
        {"channel": "email", "milestone": "shipped", "subject": "Hi", "body": "{% if %}oops"},
    )
    assert broken.status_code == 422
    [error] = broken.json()["errors"]
    assert error["field"] == "body" and "does not compile" in error["message"]

    unknown = put(
        api,
        "/api/v1/notifications/templates",
        {"channel": "email", "milestone": "shipped", "subject": "{{ coupon_code }}", "body": "Hi"},
    )
    assert unknown.status_code == 422
    assert (
        unknown.json()["errors"][0]
        == {
            "field": "subject",
            "message": unknown.json()["errors"][0]["message"],
        }
        and "'coupon_code'" in unknown.json()["errors"][0]["message"]
    )

    too_long = put(
        api, "/api/v1/notifications/templates", {"channel": "sms", "milestone": "shipped", "body": "x" * 1700}
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "body"
    assert not MessageTemplate.objects.exists()


def test_a_saved_template_is_what_the_customer_receives_in_their_language(api, store, smtp, now):
    saved = put(
        api,
        "/api/v1/notifications/templates",
        {
            "channel": "email",
            "milestone": "order_confirmed",
            "locale": "es",
            "subject": "¡Gracias, {{ customer_name }}! Pedido {{ order_number }}",
            "body": "Hola {{ customer_name }}:\n\nYa estamos con tu pedido <{{ order_number }}>.",
        },
    )
    assert saved.status_code == 200, saved.content
    assert api.get("/api/v1/notifications/templates").json()["templates"][0]["locale"] == "es"

    record(
        store, placed(now, order="1", locale="es"), placed(now, order="2", email="bob@example.com"), at=now
    )
    assert message_deliver_due(now=now + timedelta(minutes=16)).sent == 2
    by_to = {m["To"]: m for m in smtp.received}
    spanish = by_to["ana@example.com"]
    assert spanish["Subject"] == "¡Gracias, Ana Souza! Pedido #1"
    html = spanish.get_body(("html",)).get_content()
    text = spanish.get_body(("plain",)).get_content()
    assert "Hola Ana Souza:</p>" in html and "&lt;#1&gt;" in html, "paragraphs kept, plain text escaped"
    assert "Ya estamos con tu pedido <#1>." in text
    assert "/p/" in text, "the footer with the preference link stays"
    english = by_to["bob@example.com"]
    assert "Gracias" not in english["Subject"], "no template for English: the built-in text"


def test_preview_renders_a_draft_and_the_saved_template_against_a_real_order(api, store, now):
    enable_sms(store)
    record(store, placed(now, phone="+34600111222"), shipped(now), at=now)
    draft = api.post(
        "/api/v1/notifications/templates/preview",
        {
            "order_number": "#1001",
            "channel": "email",
            "milestone": "shipped",
            "subject": "{{ carrier }} has order {{ order_number }}",
            "body": "Track {{ tracking_number }} here: {{ tracking_url }}",
        },
    )
    assert draft.status_code == 200, draft.content
    body = draft.json()
    assert body["subject"] == "UPS has order #1001"
    assert "Track 1Z999AA10123456784 here: https://track.acme.example/t/" in body["text"]
    assert "Rain jacket" in body["html"], "the real order's items in the branded frame"
    assert not MessageTemplate.objects.exists(), "a draft is not saved"
    assert not Message.objects.filter(status="sent").exists()

    put(
        api,
        "/api/v1/notifications/templates",
        {"channel": "sms", "milestone": "shipped", "body": "{{ headline }}!"},
    )
    sms = api.post(
        "/api/v1/notifications/templates/preview",
        {"order_number": "1001", "channel": "sms", "milestone": "shipped", "locale": "fr"},
    ).json()
    headline, footer = sms["text"].split("! ", 1)
    assert footer.startswith("Répondez STOP"), "the saved template, then the footer, in French"
    english = api.post(
        "/api/v1/notifications/templates/preview",
        {"order_number": "1001", "channel": "sms", "milestone": "shipped", "locale": "en"},
    ).json()["text"]
    assert english.split("! ", 1)[0] != headline and "Reply STOP" in english

    missing = api.post(
        "/api/v1/notifications/templates/preview",
        {"order_number": "9999", "channel": "email", "milestone": "shipped"},
    )
    assert missing.status_code == 404


def test_a_template_can_be_removed(api):
    put(api, "/api/v1/notifications/templates", {"channel": "sms", "milestone": "delivered", "body": "Here!"})
    key = {"channel": "sms", "milestone": "delivered", "locale": ""}
    assert api.post("/api/v1/notifications/templates", key, REQUEST_METHOD="DELETE").status_code == 204
    assert api.post("/api/v1/notifications/templates", key, REQUEST_METHOD="DELETE").status_code == 404
    assert json.loads(api.get("/api/v1/notifications/templates").content)["templates"] == []


# --- admin ------------------------------------------------------------------------------------------


@pytest.fixture
def operator(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    return client


def test_the_admin_refuses_a_broken_template_and_previews_a_saved_one(operator, store, now):
    record(store, placed(now, order="1001"), shipped(now), at=now)
    form = {
        "store": store.pk,
        "channel": "email",
        "milestone": "shipped",
        "locale": "",
        "subject": "{{ order_number }} is with {{ carrier }}",
        "body": "Hi {{ customer_name }} {% endif %}",
    }
    refused = operator.post("/admin/notifications/messagetemplate/add/", form)
    assert refused.status_code == 200 and "does not compile" in refused.content.decode()
    assert not MessageTemplate.objects.exists()

    form["body"] = "Hi {{ customer_name }}, it left today."
    saved = operator.post("/admin/notifications/messagetemplate/add/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    template = MessageTemplate.objects.get()
    page = operator.get(f"/admin/notifications/messagetemplate/{template.pk}/preview/?order=1001")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<p id="preview-subject">#1001 is with UPS</p>' in html
    assert "Hi Ana Souza, it left today." in html
    assert "srcdoc=" in html and "Rain jacket" in html


def test_the_admin_edits_a_channel_journey_with_checkboxes(operator, store, now):
    enable_sms(store)
    config = ChannelConfig.objects.get(channel="sms")
    form = {
        "store": store.pk,
        "channel": "sms",
        "enabled": "on",
        "settings": json.dumps(config.settings),
        "journey": ["delivered", "exception"],
    }
    response = operator.post(f"/admin/notifications/channelconfig/{config.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    config.refresh_from_db()
    assert config.milestones == ["delivered", "exception"]
    record(store, placed(now, phone="+34600111222", sms_consent=True), shipped(now), at=now)
    assert not Message.objects.filter(channel="sms").exists(), "shipped is not on this SMS journey"
