"""Support: a customer's message is stored, matched to an order, and answered, acted on or escalated."""

from __future__ import annotations

import pytest

from aftercart.domain.next_step import StepCode
from aftercart.orders.selectors import order_state
from aftercart.support.models import Automation, Conversation, Message
from aftercart.support.services import Inbound, message_take
from tests.integration.support_kit import order_in, support_settings, use_fake_classifier
from tests.unit.test_next_step import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _classifier(monkeypatch):
    use_fake_classifier(monkeypatch)


@pytest.fixture
def frozen(monkeypatch, settings):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    settings.DEFAULT_FROM_EMAIL = "orders@acme.example"
    return NOW


def take(store, text, *, channel="api", email="ana@example.com", phone="", **extra):
    inbound = Inbound(channel=channel, sender_email=email, sender_phone=phone, text=text, **extra)
    return message_take(store_id=store.pk, inbound=inbound, now=NOW)


def test_wismo_with_an_order_number_is_answered_with_the_next_step(store, frozen):
    support_settings(store)
    order = order_in(store, StepCode.SHIPPED)
    received, automation = take(store, "Hi, where is my order #1001?")
    assert automation.decision == "answered"
    assert automation.order == order
    conversation = Conversation.objects.get(pk=received.conversation.pk)
    assert conversation.state == "answered" and conversation.match == "order_number"
    reply = automation.reply
    assert reply.delivery == "inline"  # the API answers in its response
    assert "https://track.acme.example/t/" in reply.body
    assert "#1001" in reply.body


def test_an_order_number_from_a_stranger_is_not_answered_about(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    _, automation = take(store, "Where is order #1001?", email="someone.else@example.com")
    assert automation.decision == "queued" and automation.reply is None
    assert automation.reasons == ["sender_not_on_order"]


def test_sender_email_matches_the_one_open_order(store, frozen):
    support_settings(store)
    order_in(store, StepCode.OUT_FOR_DELIVERY)
    _, automation = take(store, "Where is my parcel?")
    assert automation.decision == "answered"
    assert automation.order.external_id == "o1"
    assert Conversation.objects.get().match == "email"


def test_several_open_orders_are_listed_and_none_is_guessed(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED, ref="o1", number="#1001")
    order_in(store, StepCode.BEING_PREPARED, ref="o2", number="#1002")
    _, automation = take(store, "Where is my order?")
    assert automation.decision == "asked_order"
    assert automation.order is None
    assert "#1001" in automation.reply.body and "#1002" in automation.reply.body
    conversation = Conversation.objects.get()
    assert conversation.match == "ambiguous" and len(conversation.candidates) == 2
    # The customer answers with the number: the thread now has its order, and is answered.
    _, second = take(store, "Order #1002 please, where is it?")
    assert second.decision == "answered" and second.order.external_id == "o2"


@pytest.mark.parametrize(
    ("code", "text", "reason"),
    [
        (StepCode.LOST, "Where is my order #1001?", "step:lost"),
        (StepCode.DAMAGED, "Where is my order #1001?", "step:damaged"),
        (StepCode.STALLED, "Where is my order #1001?", "step:stalled"),
        (StepCode.DELIVERED, "Order #1001 says delivered but it never arrived", "delivered_not_received"),
        (StepCode.SHIPPED, "Order #1001 - the box arrived broken", "keyword:broken"),
        (StepCode.SHIPPED, "WHERE IS MY ORDER #1001?! THIS IS RIDICULOUS", "angry"),
        (StepCode.SHIPPED, "Meine Bestellung #1001 ist kaputt, wo ist der Rest?", "keyword:kaputt"),
    ],
)
def test_something_wrong_goes_to_a_person_with_timeline_intent_and_draft(store, frozen, code, text, reason):
    support_settings(store)
    order_in(store, code)
    _, automation = take(store, text)
    assert automation.decision == "escalated", automation.reasons
    assert reason in automation.reasons
    assert automation.reply is None
    conversation = Conversation.objects.get()
    assert conversation.state == "needs_agent" and conversation.draft_reply
    event = Message.objects.get(kind="event", payload__event="escalated")
    assert event.payload["timeline"] and event.payload["intent"] == automation.intent


def test_below_the_threshold_nothing_is_automated(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    _, automation = take(store, "lowconf #1001")
    assert automation.decision == "queued" and automation.reply is None
    assert Conversation.objects.get().state == "needs_agent"


def test_cancel_before_fulfilment_is_a_fact_in_the_ledger(store, frozen):
    support_settings(store)
    order = order_in(store, StepCode.BEING_PREPARED)
    _, automation = take(store, "Please cancel order #1001")
    assert automation.decision == "acted" and automation.action == "cancel_order"
    assert order_state(order).cancelled_at is not None
    assert order.facts.filter(kind="order.cancelled", source="support").count() == 1


def test_cancel_after_shipping_is_refused_with_the_next_step(store, frozen):
    support_settings(store)
    order = order_in(store, StepCode.SHIPPED)
    _, automation = take(store, "Please cancel order #1001")
    assert automation.decision == "refused"
    assert order_state(order).cancelled_at is None
    assert "https://track.acme.example/t/" in automation.reply.body


def test_address_change_before_handoff_is_recorded(store, frozen):
    support_settings(store)
    order = order_in(store, StepCode.BEING_PREPARED)
    _, automation = take(
        store, "Please change the address of #1001. New address: 12 Rue Oberkampf, 75011 Paris"
    )
    assert automation.decision == "acted" and automation.action == "change_address"
    fact = order.facts.get(kind="order.updated", source="support")
    assert fact.payload["shipping_address"] == "12 Rue Oberkampf, 75011 Paris"


def test_address_change_with_the_carrier_is_explained(store, frozen):
    support_settings(store)
    order = order_in(store, StepCode.SHIPPED)
    _, automation = take(store, "Change the address of #1001. New address: 1 Main St, 10001 NYC")
    assert automation.decision == "refused"
    assert not order.facts.filter(kind="order.updated", source="support").exists()


def test_refund_intent_gets_the_returns_portal_link(store, frozen):
    support_settings(store)
    order_in(store, StepCode.DELIVERED)
    _, automation = take(store, "I want a refund for #1001")
    assert automation.decision == "answered"
    assert "https://track.acme.example/returns/" in automation.reply.body


def test_auto_replies_are_ignored(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    _, automation = take(
        store,
        "I am out of office. Where is my order #1001",
        channel="email",
        headers={"auto-submitted": "auto-replied"},
        message_id="<ooo@x>",
    )
    assert automation.decision == "ignored" and automation.reply is None


def test_one_automated_reply_per_conversation_per_order_state(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    first = take(store, "Where is my order #1001?", channel="zendesk", thread_id="77", message_id="c1")[1]
    second = take(store, "Where is my order #1001??", channel="zendesk", thread_id="77", message_id="c2")[1]
    assert first.decision == "answered"
    assert second.decision == "queued" and second.reply is None
    assert Automation.objects.exclude(reply_key="").count() == 1


def test_the_same_message_twice_is_stored_once(store, frozen):
    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    a, _ = take(store, "Where is #1001?", channel="zendesk", thread_id="9", message_id="c9")
    b, _ = take(store, "Where is #1001?", channel="zendesk", thread_id="9", message_id="c9")
    assert a.created and not b.created
    assert Message.objects.filter(direction="in").count() == 1


def test_a_message_nobody_can_place_is_still_kept(store, frozen):
    received, automation = take(store, "Hello?", email="stranger@example.com")
    assert received.created
    assert Message.objects.filter(direction="in", conversation=received.conversation).exists()
    assert automation.decision == "queued"


def test_the_demo_inbox_is_answered_or_escalated(store, frozen):
    from aftercart.demo.support import seed_support, utterances

    assert utterances()["track_order"], "the corpus (or the built-in list) has WISMO utterances"
    support_settings(store)
    for i, code in enumerate([StepCode.SHIPPED, StepCode.LOST, StepCode.BEING_PREPARED, StepCode.DELIVERED]):
        order_in(store, code, ref=f"d{i}", number=f"#20{i}", email=f"c{i}@example.com")
    seeded = seed_support(stores={"acme": store}, now=NOW, per_store=60)
    assert seeded.messages == 60
    assert seeded.decisions["answered"] > 0 and seeded.decisions["escalated"] > 0, seeded.decisions
    assert Message.objects.filter(direction="in").count() == 60
    again = seed_support(stores={"acme": store}, now=NOW, per_store=60)
    assert again.messages == 60 and Message.objects.filter(direction="in").count() == 60, (
        "seeding twice adds nothing"
    )


def test_privacy_export_and_erasure_cover_conversations(store, frozen):
    from aftercart.privacy.services import customer_erase, customer_export

    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    take(store, "Where is my order #1001? My name is Ana Lima, call me on +34600111222")
    take(store, "A question, no order", email="ana@example.com", message_id="x2")
    exported = customer_export(store, email="ana@example.com").data["sections"]["support"]["conversations"]
    assert exported and any("Ana Lima" in m["text"] for c in exported for m in c["messages"])
    customer_erase(store, requested_by="test", email="ana@example.com")
    assert not Message.objects.filter(body__contains="Ana Lima").exists()
    assert not Conversation.objects.filter(customer_email="ana@example.com").exists()
    assert Conversation.objects.count() == 2, "records stay (metrics), the personal data goes"


def test_agents_reply_assign_resolve_and_the_customer_reopens(store, frozen, smtp, django_user_model):
    from aftercart.support.outbound import replies_send_due
    from aftercart.support.selectors import conversation_detail, conversations_list, state_counts
    from aftercart.support.services import (
        conversation_assign,
        conversation_order_set,
        conversation_resolve,
        note_add,
        reply_send,
    )

    support_settings(store)
    order = order_in(store, StepCode.LOST)
    received, _ = take(store, "Where is my order #1001?", channel="email", message_id="<q1@mail.example.com>")
    conversation = received.conversation
    agent = django_user_model.objects.create_user("agent", password="x")
    assert [c.pk for c in conversations_list(store_id=store.pk, states=["needs_agent"])] == [conversation.pk]
    conversation_assign(conversation=conversation, agent=agent, assignee=agent, now=NOW)
    note_add(conversation=conversation, agent=agent, body="Carrier claim opened", now=NOW)
    conversation_order_set(conversation=conversation, agent=agent, order=order, now=NOW)
    reply = reply_send(
        conversation=conversation, agent=agent, body="We are sending a new parcel today.", now=NOW
    )
    assert reply.delivery == "pending" and reply.author == "agent"
    assert replies_send_due(now=NOW) == 1
    (mail,) = smtp.inbox.received
    assert mail["In-Reply-To"] == "<q1@mail.example.com>" and "Auto-Submitted" not in mail
    conversation_resolve(conversation=conversation, agent=agent, now=NOW)
    assert state_counts(store_id=store.pk)["resolved"] == 1
    detail = conversation_detail(public_id=conversation.public_id)
    kinds = [(m.direction, m.kind) for m in detail.messages]
    assert ("internal", "note") in kinds and ("out", "message") in kinds and detail.automations
    # The customer writes again in the thread: the conversation is open again.
    take(
        store,
        "Thanks, but when?",
        channel="email",
        message_id="<q2@mail.example.com>",
        headers={"in-reply-to": mail["Message-ID"]},
    )
    conversation.refresh_from_db()
    assert conversation.state != "resolved"
    assert Message.objects.filter(conversation=conversation, direction="in").count() == 2


def test_a_conversation_with_a_person_stays_with_the_person(store, frozen, django_user_model):
    from aftercart.support.services import conversation_assign

    support_settings(store)
    order_in(store, StepCode.SHIPPED)
    received, _ = take(store, "Where is my order #1001?", channel="zendesk", thread_id="5", message_id="a")
    agent = django_user_model.objects.create_user("agent2", password="x")
    conversation_assign(conversation=received.conversation, agent=agent, assignee=agent, now=NOW)
    _, again = take(store, "And now? where is it", channel="zendesk", thread_id="5", message_id="b")
    assert again.decision == "queued" and again.reasons == ["with_an_agent"] and again.reply is None
    # An out-of-office reply in it changes nothing.
    _, ooo = take(
        store,
        "Out of office",
        channel="zendesk",
        thread_id="5",
        message_id="c",
        headers={"auto-submitted": "auto-replied"},
    )
    assert ooo.decision == "ignored"
    assert Conversation.objects.get(pk=received.conversation.pk).state == "needs_agent"


def test_a_message_that_cannot_be_decided_is_handed_to_a_person(store, frozen, monkeypatch):
    from aftercart.support.process import MAX_ATTEMPTS, messages_process_due

    def broken(text):
        raise RuntimeError("model unavailable")

    monkeypatch.setattr("aftercart.support.process.classify", broken)
    received, automation = take(store, "Where is my order?")
    assert automation is None and received.created, "stored even though nothing could be decided"
    for _ in range(MAX_ATTEMPTS):
        messages_process_due(now=NOW)
    message = Message.objects.get(pk=received.message.pk)
    assert message.processed_at is not None and "model unavailable" in message.last_error
    conversation = Conversation.objects.get(pk=received.conversation.pk)
    assert conversation.state == "needs_agent" and conversation.escalation_reasons == ["processing_failed"]
