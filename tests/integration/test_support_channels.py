"""Support over real protocols: Zendesk and Gorgias webhooks and REST replies (stand-ins on
127.0.0.1 check method, path, auth and body), Postmark inbound JSON, Twilio SMS, the API and the
tracking page's contact form; and bad input refused with a clear error, writing nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from aftercart.domain.next_step import StepCode
from aftercart.notifications.models import ChannelConfig
from aftercart.orders.tokens import make_tracking_token
from aftercart.support.models import Conversation, Message
from aftercart.support.outbound import replies_send_due
from tests.integration.support_kit import order_in, support_settings, use_fake_classifier
from tests.unit.test_next_step import NOW

pytestmark = pytest.mark.django_db

ZD_SECRET = "zd-secret"


@pytest.fixture(autouse=True)
def _frozen(monkeypatch, settings):
    use_fake_classifier(monkeypatch)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    settings.DEFAULT_FROM_EMAIL = "orders@acme.example"


class StandIn:
    """A helpdesk API on 127.0.0.1: records each request and answers 200 with ``answer``."""

    def __init__(self, answer: dict) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "auth": self.headers.get("Authorization", ""),
                        "content_type": self.headers.get("Content-Type", ""),
                        "body": json.loads(self.rfile.read(length) or b"{}"),
                    }
                )
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST = _record

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def zendesk_post(
    client,
    body: bytes,
    *,
    secret: str = ZD_SECRET,
    slug: str = "acme",
    timestamp: str = "2026-03-03T21:00:00Z",
):
    signature = base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    ).decode()
    return client.post(
        f"/webhooks/zendesk/{slug}",
        body,
        content_type="application/json",
        HTTP_X_ZENDESK_WEBHOOK_SIGNATURE=signature,
        HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP=timestamp,
    )


def zendesk_ticket(text: str = "Hi, where is my order #1001?", comment_id: str = "5001") -> bytes:
    return json.dumps(
        {
            "ticket": {
                "id": "123",
                "subject": "Order status",
                "requester": {"email": "ana@example.com", "name": "Ana Lima", "locale": "en-US"},
                "comment": {
                    "id": comment_id,
                    "body": text,
                    "public": True,
                    "author_email": "ana@example.com",
                },
            }
        }
    ).encode()


def test_zendesk_ticket_is_answered_through_the_zendesk_api(client, store):
    order_in(store, StepCode.SHIPPED)
    with StandIn({"audit": {"id": 991}}) as zendesk:
        support_settings(store, zendesk_base_url=zendesk.url)
        response = zendesk_post(client, zendesk_ticket())
        assert response.status_code == 202, response.content
        assert response.json()["decision"] == "answered"
        assert replies_send_due(now=NOW) == 1
    (request,) = zendesk.requests
    assert request["method"] == "PUT" and request["path"] == "/api/v2/tickets/123"
    assert request["auth"] == basic("bot@acme.example/token", "zd-token")
    comment = request["body"]["ticket"]["comment"]
    assert comment["public"] is True
    assert "https://track.acme.example/t/" in comment["body"] and "On its way" in comment["body"]
    reply = Message.objects.get(direction="out")
    assert reply.delivery == "sent" and reply.external_id == "zendesk-audit:991"
    # Zendesk fires the trigger again for our own comment: it is not a customer's message.
    echo = json.dumps(
        {
            "ticket": {
                "id": "123",
                "comment": {"id": "5002", "body": comment["body"], "author_email": "bot@acme.example"},
            }
        }
    ).encode()
    assert zendesk_post(client, echo).json() == {"ignored": True}
    assert Message.objects.filter(direction="in").count() == 1


def test_zendesk_signature_and_store_are_checked_and_nothing_is_written(client, store):
    support_settings(store)
    body = zendesk_ticket()
    wrong = zendesk_post(client, body, secret="not-the-secret")
    unknown = zendesk_post(client, body, slug="nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong["Content-Type"] == "application/problem+json"
    # The timestamp is signed too.
    signature = base64.b64encode(
        hmac.new(ZD_SECRET.encode(), b"2026" + body, hashlib.sha256).digest()
    ).decode()
    replayed = client.post(
        "/webhooks/zendesk/acme",
        body,
        content_type="application/json",
        HTTP_X_ZENDESK_WEBHOOK_SIGNATURE=signature,
        HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP="2027",
    )
    assert replayed.status_code == 401
    assert not Message.objects.exists() and not Conversation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b'{"ticket": "x"}', "ticket"),
        (b'{"ticket": {"comment": {"body": "hi"}}}', "ticket.id"),
        (b'{"ticket": {"id": "1", "comment": {"body": "  "}}}', "ticket.comment.body"),
        (b'{"ticket": {"id": "1 OR 1=1", "comment": {"body": "hi"}}}', "ticket.id"),
    ],
)
def test_malformed_zendesk_payloads_name_the_field_and_write_nothing(client, store, body, field):
    support_settings(store)
    response = zendesk_post(client, body)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert field in json.dumps(problem)
    assert not Message.objects.exists()


def test_oversized_and_binary_bodies_are_refused(client, store, settings):
    support_settings(store)
    settings.AFTERCART_MAX_BODY_BYTES = 10_000
    big = zendesk_ticket("where is my order " + "x" * 20_000)
    assert zendesk_post(client, big).status_code == 413
    binary = b'{"ticket": {"id": "1", "comment": {"body": "\x00\xff"}}}'
    assert zendesk_post(client, binary).status_code in (400, 422)
    assert not Message.objects.exists()


def test_a_long_message_is_kept_truncated_and_flagged(client, store):
    support_settings(store)
    response = zendesk_post(client, zendesk_ticket("Where is my order? " + "blah " * 6000))
    assert response.status_code == 202
    message = Message.objects.get(direction="in")
    assert message.truncated and len(message.body) == 20_000


def test_gorgias_ticket_is_answered_through_the_gorgias_api(client, store):
    order_in(store, StepCode.OUT_FOR_DELIVERY)
    payload = {
        "ticket": {"id": 4242, "subject": "Where?", "customer": {"email": "ana@example.com", "name": "Ana"}},
        "message": {"id": 77, "body_text": "Where is my parcel?", "from_agent": False},
    }
    with StandIn({"id": 555}) as gorgias:
        support_settings(store, gorgias_base_url=gorgias.url)
        refused = client.post(
            "/webhooks/gorgias/acme", payload, content_type="application/json", HTTP_X_AFTERCART_TOKEN="nope"
        )
        assert refused.status_code == 401 and not Message.objects.exists()
        response = client.post(
            "/webhooks/gorgias/acme",
            payload,
            content_type="application/json",
            HTTP_X_AFTERCART_TOKEN="gg-secret",
        )
        assert response.status_code == 202, response.content
        again = client.post(
            "/webhooks/gorgias/acme",
            payload,
            content_type="application/json",
            HTTP_X_AFTERCART_TOKEN="gg-secret",
        )
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert replies_send_due(now=NOW) == 1
    (request,) = gorgias.requests
    assert request["method"] == "POST" and request["path"] == "/api/tickets/4242/messages"
    assert request["auth"] == basic("bot@acme.example", "gg-key")
    assert request["body"]["from_agent"] is True and request["body"]["channel"] == "email"
    assert "https://track.acme.example/t/" in request["body"]["body_text"]
    assert request["body"]["receiver"] == {"email": "ana@example.com"}


def test_gorgias_agent_messages_are_ignored(client, store):
    support_settings(store)
    payload = {"ticket": {"id": 1}, "message": {"id": 2, "body_text": "We shipped it", "from_agent": True}}
    response = client.post(
        "/webhooks/gorgias/acme", payload, content_type="application/json", HTTP_X_AFTERCART_TOKEN="gg-secret"
    )
    assert response.json() == {"ignored": True} and not Message.objects.exists()


POSTMARK = {
    "FromName": "Ana Lima",
    "From": "ana@example.com",
    "FromFull": {"Email": "ana@example.com", "Name": "Ana Lima", "MailboxHash": ""},
    "To": "support@acme.example",
    "ToFull": [{"Email": "support@acme.example", "Name": "", "MailboxHash": ""}],
    "OriginalRecipient": "support@acme.example",
    "Subject": "Where is my order?",
    "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
    "Date": "Tue, 3 Mar 2026 08:59:01 +0100",
    "TextBody": "Hi, where is my order #1001?\n\nOn Mon, Acme wrote:\n> Your order is confirmed",
    "HtmlBody": "<p>Hi, where is my order #1001?</p>",
    "StrippedTextReply": "Hi, where is my order #1001?",
    "Headers": [{"Name": "Message-ID", "Value": "<CAF=abc@mail.example.com>"}],
    "Attachments": [],
}


def test_postmark_inbound_json_is_stored_with_basic_auth(client, store, smtp):
    order_in(store, StepCode.SHIPPED)
    support_settings(store)
    no_auth = client.post("/webhooks/postmark/acme", POSTMARK, content_type="application/json")
    assert no_auth.status_code == 401 and no_auth["WWW-Authenticate"].startswith("Basic")
    response = client.post(
        "/webhooks/postmark/acme",
        POSTMARK,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic("postmark", "pm-pass"),
    )
    assert response.status_code == 202, response.content
    message = Message.objects.get(direction="in")
    assert message.external_id == "<CAF=abc@mail.example.com>"
    assert message.text == "Hi, where is my order #1001?"
    assert replies_send_due(now=NOW) == 1
    (mail,) = smtp.inbox.received
    assert mail["In-Reply-To"] == "<CAF=abc@mail.example.com>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert "https://track.acme.example/t/" in mail.get_body(("plain",)).get_content()


def test_postmark_bounces_and_out_of_office_get_no_reply(client, store):
    order_in(store, StepCode.SHIPPED)
    support_settings(store)
    bounce = {
        **POSTMARK,
        "From": "MAILER-DAEMON@mx.example.com",
        "FromFull": {"Email": "MAILER-DAEMON@mx.example.com"},
    }
    bounce["Headers"] = [{"Name": "Message-ID", "Value": "<bounce@mx>"}]
    ooo = {
        **POSTMARK,
        "Headers": [{"Name": "Message-ID", "Value": "<ooo@x>"}, {"Name": "X-Autoreply", "Value": "yes"}],
    }
    for payload in (bounce, ooo):
        response = client.post(
            "/webhooks/postmark/acme",
            payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=basic("postmark", "pm-pass"),
        )
        assert response.json()["decision"] == "ignored"
    assert not Message.objects.filter(direction="out").exists()


def test_sms_reply_becomes_a_conversation_and_is_answered_in_twiml(client, store):
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": "tw-token", "from": "+15005550006"},
    )
    support_settings(store)
    order_in(store, StepCode.SHIPPED, phone="+34600111222")
    params = {
        "MessageSid": "SM" + "b" * 32,
        "From": "+34600111222",
        "To": "+15005550006",
        "Body": "where is my parcel",
    }
    url = "https://track.acme.example/webhooks/twilio/acme/sms"
    signature = RequestValidator("tw-token").compute_signature(url, params)
    response = client.post(
        "/webhooks/twilio/acme/sms",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 200
    assert "https://track.acme.example/t/" in response.content.decode()
    conversation = Conversation.objects.get(channel="sms")
    assert conversation.customer_phone == "+34600111222" and conversation.match == "phone"
    assert Message.objects.get(direction="out").delivery == "inline"
    bad = client.post(
        "/webhooks/twilio/acme/sms",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="x",
    )
    assert bad.status_code == 401 and Message.objects.filter(direction="in").count() == 1


def test_api_conversation_answers_in_the_response(api, store):
    order_in(store, StepCode.SHIPPED)
    support_settings(store)
    response = api.post(
        "/api/v1/conversations", {"message": "Where is my order?", "email": "ana@example.com"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "answered" and body["order_id"] == "o1"
    assert body["reply"]["next_step"]["code"] == "shipped"
    assert body["reply"]["next_step"]["headline"] in body["reply"]["text"]
    assert body["reply"]["tracking_url"] in body["reply"]["text"]
    assert api.post("/api/v1/conversations", {"message": ""}).status_code == 400
    assert api.post("/api/v1/conversations", {"message": "hi", "order_id": "nope"}).status_code == 404


def test_api_conversation_needs_the_store_key(client, store):
    response = client.post("/api/v1/conversations", {"message": "hi"}, content_type="application/json")
    assert response.status_code == 401 and not Message.objects.exists()


def test_contact_form_on_the_tracking_page(client, store):
    order = order_in(store, StepCode.SHIPPED)
    token = make_tracking_token(order)
    page = client.get(f"/t/{token}")
    assert b"data-contact" in page.content and b"csrfmiddlewaretoken" in page.content
    response = client.post(f"/t/{token}/contact", {"message": "When will my parcel arrive?"})
    assert response.status_code == 200
    assert b"data-reply" in response.content and b"On its way" in response.content
    conversation = Conversation.objects.get(channel="form")
    assert conversation.order == order and conversation.match == "token"
    assert client.post(f"/t/{token}/contact", {"message": "  "}).status_code == 400
    assert client.post("/t/forged/contact", {"message": "hi"}).status_code == 404
    assert Message.objects.filter(direction="in").count() == 1


def test_contact_form_requires_csrf(store):
    from django.test import Client

    order = order_in(store, StepCode.SHIPPED)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/t/{make_tracking_token(order)}/contact", {"message": "hi"})
    assert response.status_code == 403 and not Message.objects.exists()


def test_settings_admin_never_shows_secrets_in_full(admin_client, store):
    config = support_settings(store, zendesk_api_token="zd-token-1234567890-ABCD")
    page = admin_client.get(f"/admin/support/supportsettings/{config.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "zd-token-1234567890-ABCD" not in content and "…ABCD" in content
    assert "gg-secret" not in content and "pm-pass" not in content
