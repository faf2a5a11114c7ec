"""``aftercart inbox``: a customer's e-mail sent with smtplib to the inbound SMTP server is stored
in its store's conversation, answered, and the answer arrives on the local SMTP sink, threaded."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from aftercart.domain.next_step import StepCode
from aftercart.support.models import Conversation, Message
from aftercart.support.smtp import inbox_server
from aftercart.support.worker import support_pass
from tests.conftest import free_port
from tests.integration.support_kit import order_in, support_settings, use_fake_classifier
from tests.unit.test_next_step import NOW

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(monkeypatch):
    use_fake_classifier(monkeypatch)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    port = free_port()
    server = inbox_server(host="127.0.0.1", port=port)
    server.start()
    yield port
    server.stop()
    server.handler.close()


def mail(
    subject: str,
    text: str,
    *,
    to: str = "support@acme.example",
    message_id: str = "<m1@mail.example.com>",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def test_an_email_to_the_inbox_is_answered_on_smtp(store, smtp, inbox):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    with smtplib.SMTP("127.0.0.1", inbox, timeout=10) as client:
        client.send_message(mail("Order status", "Hello, where is my order #1001?\n\n-- \nAna"))
    message = Message.objects.get(direction="in")
    assert message.text == "Hello, where is my order #1001?"
    assert message.conversation.external_id == "<m1@mail.example.com>"
    while support_pass():
        pass
    (reply,) = smtp.inbox.received
    assert reply["To"] == "ana@example.com"
    assert reply["In-Reply-To"] == "<m1@mail.example.com>"
    assert reply["Subject"] == "Re: Order status"
    body = reply.get_body(("plain",)).get_content()
    assert "On its way" in body and "https://" in body and "/t/" in body
    # The customer answers our reply: the same conversation (threaded by In-Reply-To).
    ours = reply["Message-ID"]
    with smtplib.SMTP("127.0.0.1", inbox, timeout=10) as client:
        client.send_message(
            mail(
                "Re: Order status",
                "Thanks! And can I change the address?",
                message_id="<m2@mail.example.com>",
                In_Reply_To=ours,
                References=ours,
            )
        )
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(direction="in").count() == 2


def test_unknown_recipients_are_refused_at_rcpt(store, inbox):
    support_settings(store)
    with (
        smtplib.SMTP("127.0.0.1", inbox, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.send_message(mail("Hi", "where is my order", to="nobody@elsewhere.example"))
    assert not Message.objects.exists()
