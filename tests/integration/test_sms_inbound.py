"""Inbound SMS: Twilio posts STOP/START/HELP to the store's webhook, signed with the store's auth
token exactly as Twilio signs (the official library's RequestValidator computes the signature the
test sends); the planner then honours the choice on the next milestone."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.sms_keywords import SmsKeyword, sms_keyword
from aftercart.notifications.models import ChannelConfig, Message, Preference, PreferenceChange
from aftercart.orders.services import facts_record

pytestmark = pytest.mark.django_db

TOKEN = "twilio_auth_token_for_tests"
PATH = "/webhooks/twilio/acme/sms"
URL = "https://track.acme.example" + PATH
NUMBER = "+34600111222"


@pytest.fixture(autouse=True)
def sms_store(store, settings):
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": TOKEN, "from": "+15005550006"},
        milestones=["order_confirmed"],  # a journey that texts the confirmation
    )
    store.branding = {"support_email": "help@acme.example"}
    store.save()
    return store


@pytest.fixture
def now():
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def inbound(client, body, sender=NUMBER, token=TOKEN, tamper=None, **extra):
    params = {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    signature = RequestValidator(token).compute_signature(URL, params)
    if tamper:
        params.update(tamper)
    # As Twilio sends it: an HTML form post.
    return client.post(
        PATH,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def order(at, key, **extra):
    return Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=at,
        idempotency_key=key,
        source="test",
        order_ref=key,
        payload={
            "number": f"#{key}",
            "email": "ana@example.com",
            "phone": "600 111 222",
            "country": "ES",
            **extra,
        },
    )


def test_stop_opts_the_number_out_and_the_next_text_is_suppressed(client, store, now):
    response = inbound(client, "Stop")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response />"), "Twilio confirms STOP itself"
    [pref] = Preference.objects.all()
    assert (pref.channel, pref.address, pref.opted_in, pref.source) == ("sms", NUMBER, False, "sms_keyword")
    assert PreferenceChange.objects.get().detail == "keyword STOP"

    facts_record(store=store, facts=[order(now, "1001", sms_consent=True)], now=now)
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.reason) == ("suppressed", "opted out of sms"), "STOP beats the checkout box"


def test_start_opts_back_in_and_confirms(client, store, now):
    inbound(client, "STOP")
    response = inbound(client, " start ")
    assert response.status_code == 200
    assert (
        "<Message>Acme Outfitters: you will get text messages about your orders again."
        in response.content.decode()
    )
    assert list(PreferenceChange.objects.values_list("opted_in", flat=True)) == [False, True]

    facts_record(store=store, facts=[order(now, "1002")], now=now)
    assert Message.objects.get(channel="sms").status == "pending", "START is an explicit opt-in"


def test_help_answers_in_the_store_language_with_its_contact(client, store):
    store.default_locale = "es"
    store.save()
    response = inbound(client, "help")
    text = response.content.decode()
    assert "Avisos de pedidos de Acme Outfitters. Responde STOP" in text
    assert "help@acme.example" in text
    assert not Preference.objects.exists()


def test_a_bad_signature_is_refused_and_changes_nothing(client):
    assert inbound(client, "STOP", token="someone-elses-token").status_code == 401
    assert inbound(client, "START", tamper={"Body": "STOP"}).status_code == 401, "the body is signed"
    unsigned = urlencode({"From": NUMBER, "Body": "STOP"})
    form = "application/x-www-form-urlencoded"
    assert client.post(PATH, unsigned, content_type=form).status_code == 401, "no signature"
    assert not Preference.objects.exists()


def test_other_messages_and_unknown_stores_change_nothing(client):
    # Not a keyword: no consent changes (the support inbox may answer it: docs/support.md).
    response = inbound(client, "please don't stop sending updates")
    assert response.status_code == 200 and "<Response" in response.content.decode()
    assert not Preference.objects.exists()
    form = "application/x-www-form-urlencoded"
    # An unknown store is answered as a bad signature is: nothing tells which slugs exist.
    unknown = client.post("/webhooks/twilio/nope/sms", "Body=STOP", content_type=form)
    bad = inbound(client, "STOP", token="someone-elses-token")
    assert unknown.status_code == bad.status_code == 401
    assert unknown.content == bad.content
    assert not Preference.objects.exists()


def test_twilio_advanced_opt_out_reading_wins():
    assert sms_keyword("ARRÊTER", "STOP") is SmsKeyword.STOP, "a keyword the store added in Twilio"
    assert sms_keyword("stop.") is SmsKeyword.STOP
    assert sms_keyword("Unstop") is SmsKeyword.START
    assert sms_keyword("stop it now") is None
