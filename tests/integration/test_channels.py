"""SMS, Klaviyo, Iterable and signed webhooks end to end: facts in through the ledger, out to local
HTTP servers standing in for Twilio, Klaviyo, Iterable and a store's webhook receiver.

Each stand-in checks method, path and credentials the way the real API would (answering 401 / 404
otherwise), records what it received, and answers from a script of responses.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core import checks
from django.utils import timezone, translation
from standardwebhooks import Webhook

from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import ChannelConfig, DeliveryAttempt, Message
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db

SID = "AC" + "0" * 32
TOKEN = "twilio-token"


class Stub:
    """A small HTTP server on 127.0.0.1: ``expect`` checks a request (returns an error status or
    None), ``script`` holds the next responses, ``default`` answers when the script is empty."""

    def __init__(self, path: str, expect, default: tuple[int, dict]) -> None:
        self.path, self.expect, self.default = path, expect, default
        self.script: list[tuple[int, dict]] = []
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                stub.requests.append(request)
                refused = None if self.path == stub.path else 404
                refused = refused or stub.expect(request)
                status, payload = (refused, {"error": "refused"}) if refused else stub.next()
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self) -> tuple[int, dict]:
        return self.script.pop(0) if self.script else self.default

    def json(self, i: int) -> dict:
        return json.loads(self.requests[i]["body"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def now():
    # Midday UTC: SMS quiet hours (21:00–08:00) must not hold the messages under test.
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.AFTERCART_BASE_URL = "https://track.acme.example"


def _basic(headers: dict) -> str:
    return base64.b64decode(headers.get("authorization", "Basic ").split(" ", 1)[1]).decode()


@pytest.fixture
def twilio(settings):
    def expect(request):
        if _basic(request["headers"]) != f"{SID}:{TOKEN}":
            return 401
        form = parse_qs(request["body"].decode())
        return (
            None
            if {"To", "Body"} <= form.keys() and ("From" in form or "MessagingServiceSid" in form)
            else 400
        )

    stub = Stub(
        f"/2010-04-01/Accounts/{SID}/Messages.json",
        expect,
        (201, {"sid": "SM" + "1" * 32, "status": "queued", "account_sid": SID}),
    )
    settings.AFTERCART_TWILIO_BASE_URL = stub.url
    yield stub
    stub.stop()


@pytest.fixture
def klaviyo(settings):
    def expect(request):
        h = request["headers"]
        if h.get("authorization") != "Klaviyo-API-Key pk_test" or h.get("revision") != "2024-10-15":
            return 401
        data = json.loads(request["body"])["data"]
        attrs = data["attributes"]
        ok = (
            data["type"] == "event"
            and attrs["metric"]["data"]["type"] == "metric"
            and attrs["profile"]["data"]["type"] == "profile"
            and attrs["unique_id"]
            and attrs["time"]
        )
        return None if ok else 400

    stub = Stub("/api/events/", expect, (202, {}))
    settings.AFTERCART_KLAVIYO_BASE_URL = stub.url
    yield stub
    stub.stop()


@pytest.fixture
def iterable(settings):
    def expect(request):
        if request["headers"].get("api-key") != "it_test":
            return 401
        body = json.loads(request["body"])
        return None if {"email", "eventName", "id", "dataFields", "createdAt"} <= body.keys() else 400

    stub = Stub("/api/events/track", expect, (200, {"msg": "", "code": "Success", "params": None}))
    settings.AFTERCART_ITERABLE_BASE_URL = stub.url
    yield stub
    stub.stop()


@pytest.fixture
def receiver():
    stub = Stub("/hooks/aftercart", lambda request: None, (204, {}))
    yield stub
    stub.stop()


def enable(store, channel, **values):
    return ChannelConfig.objects.create(store=store, channel=channel, settings=values)


# --- facts (copied from test_notifications: helpers are not imported across test modules) ------


def placed(at, order="1001", **extra):
    return fact(
        "order.placed",
        at,
        f"placed-{order}",
        order=order,
        number=f"#{order}",
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        **{"email": "ana@example.com", **extra},
    )


def shipped(at, sid="S1", tracking="1Z999AA10123456784"):
    return fact(
        "shipment.created",
        at,
        f"ship-{sid}",
        shipment_id=sid,
        carrier="UPS",
        tracking_number=tracking,
        lines=[{"line_id": "L1", "quantity": 1}],
    )


def scan(at, tag, subtag=None, tracking="1Z999AA10123456784"):
    return fact(
        "tracking.event",
        at,
        f"scan-{tag}-{at.isoformat()}",
        order=None,
        tracking=tracking,
        carrier="ups",
        tag=tag,
        subtag=subtag,
        raw_message="Carrier says so",
    )


def record(store, *facts, at):
    return facts_record(store=store, facts=list(facts), now=at)


# --- SMS ------------------------------------------------------------------------------------------


def test_a_lost_parcel_is_texted_in_the_customer_language_with_a_link(store, twilio, now):
    enable(store, "sms", account_sid=SID, auth_token=TOKEN, **{"from": "+15005550006"})
    record(
        store,
        placed(now, locale="es", phone="600 111 222", country="ES", sms_consent=True),
        shipped(now),
        at=now,
    )
    record(store, scan(now, "exception", "exception.lost"), at=now)
    sms = Message.objects.get(channel="sms", milestone="exception")
    assert (sms.status, sms.send_at) == ("pending", now), "critical: immediately"

    message_deliver_due(now=now)
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.provider_message_id == "SM" + "1" * 32
    [request] = [r for r in twilio.requests]
    form = parse_qs(request["body"].decode())
    assert form["To"] == ["+34600111222"], "E.164, read in the order's country"
    assert form["From"] == ["+15005550006"]
    _, step = order_view(Order.objects.get(), now)
    with translation.override("es"):
        headline, _ = step.render(translation.gettext)
    assert headline != step.render()[0], "a Spanish headline, not the English one"
    [body] = form["Body"]
    assert body.startswith(f"Acme Outfitters: {headline} https://track.acme.example/t/")
    assert "\n" not in body


def test_an_invalid_number_refused_by_twilio_is_a_permanent_failure(store, twilio, now):
    enable(store, "sms", account_sid=SID, auth_token=TOKEN, **{"from": "+15005550006"})
    twilio.script.append((400, {"code": 21211, "message": "The 'To' number is not valid.", "status": 400}))
    record(
        store,
        placed(now, phone="+34600111222", sms_consent=True),
        shipped(now),
        scan(now, "exception", "exception.lost"),
        at=now,
    )
    report = message_deliver_due(now=now)
    assert report.failed == 1 and report.retrying == 0
    sms = Message.objects.get(channel="sms", milestone="exception")
    assert (sms.status, sms.next_attempt_at, sms.reason) == ("failed", None, "permanent failure")
    assert "21211" in sms.last_error
    [attempt] = DeliveryAttempt.objects.filter(message=sms)
    assert attempt.outcome == "permanent"
    assert message_deliver_due(now=now + timedelta(days=1)).claimed == 0 and len(twilio.requests) == 1


def test_twilio_down_is_retried(store, twilio, now):
    enable(store, "sms", account_sid=SID, auth_token=TOKEN, **{"from": "+15005550006"})
    twilio.script.append((503, {"code": 20500, "message": "Service unavailable", "status": 503}))
    record(
        store,
        placed(now, phone="+34600111222", sms_consent=True),
        shipped(now),
        scan(now, "exception", "exception.lost"),
        at=now,
    )
    assert message_deliver_due(now=now).retrying == 1
    assert message_deliver_due(now=now + timedelta(hours=7)).sent == 1
    assert len(twilio.requests) == 2
    assert Message.objects.get(channel="sms", milestone="exception").status == "sent"


# --- Klaviyo ----------------------------------------------------------------------------------------


def test_klaviyo_gets_one_event_per_milestone_and_a_retry_keeps_its_unique_id(store, klaviyo, now):
    enable(store, "klaviyo", api_key="pk_test")
    klaviyo.script.append((500, {"errors": [{"detail": "try later"}]}))
    record(store, placed(now, phone="+34600111222"), shipped(now), at=now)
    events = Message.objects.filter(channel="klaviyo", status="pending")
    assert sorted(m.milestone for m in events) == ["order_confirmed", "shipped"]
    assert all(m.send_at == now for m in events), "events go at once, no consolidation window"

    first = message_deliver_due(now=now)
    assert (first.sent, first.retrying) == (1, 1)
    message_deliver_due(now=now + timedelta(hours=7))  # the retry (and the e-mail, its window over)
    assert message_deliver_due(now=now + timedelta(days=2)).claimed == 0

    ids = [klaviyo.json(i)["data"]["attributes"]["unique_id"] for i in range(3)]
    assert len(klaviyo.requests) == 3 and ids[0] == ids[2] != ids[1], "the retry repeats the unique_id"
    names = sorted(
        {klaviyo.json(i)["data"]["attributes"]["metric"]["data"]["attributes"]["name"] for i in range(3)}
    )
    assert names == ["Aftercart Order Confirmed", "Aftercart Shipped"]
    attrs = klaviyo.json(2)["data"]["attributes"]
    assert attrs["profile"]["data"]["attributes"] == {
        "email": "ana@example.com",
        "phone_number": "+34600111222",
    }
    assert attrs["properties"]["order"]["number"] == "#1001"
    assert attrs["properties"]["next_step"]["code"] and attrs["properties"]["tracking_url"].startswith(
        "https://track.acme.example/t/"
    )
    sent = {m.provider_message_id for m in Message.objects.filter(channel="klaviyo", status="sent")}
    assert sent == set(ids), "each message sent once, recorded under its unique_id"
    assert Message.objects.filter(channel="email").exists(), "e-mail is still planned alongside"


def test_a_store_without_the_channel_enabled_plans_none(store, klaviyo, now):
    ChannelConfig.objects.create(
        store=store, channel="klaviyo", enabled=False, settings={"api_key": "pk_test"}
    )
    record(store, placed(now), at=now)
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]


# --- Iterable ---------------------------------------------------------------------------------------


def test_iterable_tracks_the_event_with_a_stable_id(store, iterable, now):
    enable(store, "iterable", api_key="it_test")
    record(store, placed(now), at=now)
    assert message_deliver_due(now=now).sent == 1
    [request] = iterable.requests
    body = json.loads(request["body"])
    message = Message.objects.get(channel="iterable")
    assert body["email"] == "ana@example.com" and body["eventName"] == "aftercart_order_confirmed"
    assert body["id"] == message.provider_message_id and isinstance(body["createdAt"], int)
    assert body["dataFields"]["milestone"] == "order_confirmed"


# --- webhooks ---------------------------------------------------------------------------------------


def test_webhooks_are_signed_per_standard_webhooks_and_retried_with_the_same_id(store, receiver, now):
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    enable(store, "webhook", url=f"{receiver.url}/hooks/aftercart", secret=secret)
    receiver.script.append((503, {}))
    record(store, placed(now, email=""), at=now)  # no customer e-mail: the store still hears of it
    assert message_deliver_due(now=now).retrying == 1
    assert message_deliver_due(now=now + timedelta(hours=7)).sent == 1

    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    headers = second["headers"]
    payload = Webhook(secret).verify(second["body"], headers)
    assert payload["type"] == "order.order_confirmed"
    assert payload["data"]["order"]["number"] == "#1001"
    assert payload["data"]["next_step"]["code"]
    assert Message.objects.get(channel="webhook").provider_message_id == headers["webhook-id"]
    tampered = second["body"].replace(b"#1001", b"#9999")
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(tampered, headers)


# --- start-up check ---------------------------------------------------------------------------------


def test_the_system_check_reports_misconfigured_channels(store):
    enable(store, "webhook", url="ftp://example.com", secret="not-a-whsec")
    enable(store, "sms", account_sid=SID, **{"from": "+15005550006"})
    enable(store, "klaviyo", api_key="pk_test")  # fine
    ChannelConfig.objects.create(store=store, channel="iterable", enabled=False, settings={})  # disabled
    errors = [e for e in checks.run_checks() if e.id == "aftercart.notifications.E001"]
    messages = sorted(e.msg for e in errors)
    assert messages == [
        "Store 'acme': sms channel lacks setting 'auth_token'.",
        "Store 'acme': webhook channel secret must start with 'whsec_' (Standard Webhooks).",
        "Store 'acme': webhook channel url 'ftp://example.com' is not an http(s) URL.",
    ]
