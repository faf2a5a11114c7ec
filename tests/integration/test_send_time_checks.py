"""The send-time gate (:mod:`aftercart.notifications.send_gate`) in one process, on SQLite and
PostgreSQL alike: each message is judged against the customer's choices and sends as they are when
it goes, not as they were when its batch began; another worker's claims and sends are respected.

What several processes do at once is ``test_workers_race.py`` (PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from aftercart.domain.messaging import Channel
from aftercart.notifications.channels.email import EmailTransport
from aftercart.notifications.delivery import LEASE, message_deliver_due, messages_claim
from aftercart.notifications.models import DeliveryAttempt, Message, PreferenceSource
from aftercart.notifications.send_gate import WAIT
from aftercart.notifications.services import preference_set
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def placed(at, order, email_address="ana@example.com"):
    return fact(
        "order.placed",
        at,
        f"placed-{order}",
        order=order,
        number=f"#{order}",
        email=email_address,
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
    )


def record(store, *facts, at):
    facts_record(store=store, facts=list(facts), now=at)


def lost_parcel(store, at, order):
    """A critical message (never capped) for ``order``, due at ``at``."""
    tracking = f"1Z{order}"
    record(
        store,
        fact(
            "shipment.created",
            at,
            f"ship-{order}",
            order=order,
            shipment_id=f"S{order}",
            carrier="UPS",
            tracking_number=tracking,
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        fact(
            "tracking.event",
            at,
            f"lost-{order}",
            order=None,
            tracking=tracking,
            carrier="ups",
            tag="exception",
            subtag="exception.lost",
            raw_message="Lost",
        ),
        at=at,
    )
    return Message.objects.get(order__external_id=order, milestone="exception")


def test_an_unsubscribe_made_while_the_batch_runs_stops_its_later_messages(store, smtp, now, monkeypatch):
    start = now - timedelta(hours=3)
    record(store, placed(start, "1"), placed(start, "2"), at=start)
    first = Message.objects.get(order__external_id="1", milestone="order_confirmed")
    lost = lost_parcel(store, now, "2")
    prepare = EmailTransport.prepare

    def unsubscribe_during_the_first_send(self, outbound):
        if outbound.message.pk == first.pk:
            preference_set(
                store_id=store.pk,
                channel=Channel.EMAIL,
                address="ana@example.com",
                opted_in=False,
                source=PreferenceSource.ONE_CLICK,
            )
        return prepare(self, outbound)

    monkeypatch.setattr(EmailTransport, "prepare", unsubscribe_during_the_first_send)
    report = message_deliver_due(now=now)
    assert (report.sent, report.suppressed) == (1, 1)
    assert [m["Message-ID"] for m in smtp.received] and len(smtp.received) == 1
    lost.refresh_from_db()
    assert (lost.status, lost.reason) == ("suppressed", "opted out of email (at send time)")


def test_a_message_another_worker_took_over_is_left_to_it(store, smtp, now, monkeypatch):
    record(store, placed(now, "1"), at=now)
    due = now + timedelta(minutes=16)
    view = EmailTransport.address

    def slow_worker(self, state):
        # This worker stalls past its lease before the gate; another one claims the message.
        assert messages_claim(now=due + LEASE + timedelta(seconds=1)) != []
        return view(self, state)

    monkeypatch.setattr(EmailTransport, "address", slow_worker)
    report = message_deliver_due(now=due)
    assert (report.claimed, report.lost, report.sent) == (1, 1, 0)
    assert smtp.received == []
    message = Message.objects.get()
    assert (message.status, message.claimed_until) == ("sending", due + LEASE + timedelta(seconds=1) + LEASE)
    assert not DeliveryAttempt.objects.exists(), "this worker recorded nothing"


def test_a_message_waits_while_another_worker_has_one_to_the_customer_on_the_wire(store, smtp, now):
    start = now - timedelta(hours=3)
    record(store, placed(start, "1"), placed(start, "2"), at=start)
    first, second = Message.objects.filter(milestone="order_confirmed").order_by("pk")
    # Planned side by side by two ingest transactions, both due (the planner capped the second).
    Message.objects.filter(pk=second.pk).update(status="pending", reason="", next_attempt_at=now)
    # Another worker passed the first through its gate and is sending it.
    Message.objects.filter(pk=first.pk).update(status="sending", attempts=1, claimed_until=now + LEASE)
    DeliveryAttempt.objects.create(message=first, number=1, started_at=now)

    report = message_deliver_due(now=now)
    assert (report.claimed, report.waiting, report.sent) == (1, 1, 0)
    second.refresh_from_db()
    assert (second.status, second.attempts, second.claimed_until) == ("pending", 0, None)
    assert second.next_attempt_at is not None and second.next_attempt_at > timezone.now() + WAIT / 2

    # The other worker's send went through: the cap now stops the second.
    Message.objects.filter(pk=first.pk).update(status="sent", sent_at=now, claimed_until=None)
    DeliveryAttempt.objects.filter(message=first).update(outcome="sent", finished_at=now)
    report = message_deliver_due(now=second.next_attempt_at)
    assert (report.claimed, report.suppressed, report.sent) == (1, 1, 0)
    second.refresh_from_db()
    assert (second.status, second.reason) == ("suppressed", "frequency cap (16h) at send time")
    assert smtp.received == []


def test_a_message_sent_withdraws_one_of_its_order_another_worker_claimed_but_had_not_tried(store, smtp, now):
    start = now - timedelta(hours=3)
    record(store, placed(start, "1"), at=start)
    lost = lost_parcel(store, now, "1")
    confirmation = Message.objects.get(milestone="order_confirmed")
    # Both due (as concurrent planning can leave them); one worker claims the confirmation...
    Message.objects.filter(pk=confirmation.pk).update(
        status="pending", reason="", next_attempt_at=F("send_at")
    )
    assert messages_claim(now=now, limit=1) == [confirmation.pk]
    # ...another claims and sends the lost parcel, which tells the order's latest state.
    report = message_deliver_due(now=now)
    assert (report.claimed, report.sent) == (1, 1)
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.reason) == (
        "superseded",
        "consolidated into exception when sent",
    )
    lost.refresh_from_db()
    assert lost.status == "sent" and len(smtp.received) == 1


def test_a_message_whose_attempt_was_cut_short_goes_again_though_the_cap_would_stop_it(store, smtp, now):
    start = now - timedelta(hours=3)
    record(store, placed(start, "1"), placed(start, "2"), at=start)
    first, second = Message.objects.filter(milestone="order_confirmed").order_by("pk")
    # A worker recorded the first's attempt and died: perhaps after the server accepted it.
    Message.objects.filter(pk=first.pk).update(
        status="sending", attempts=1, claimed_until=now - timedelta(seconds=1)
    )
    DeliveryAttempt.objects.create(message=first, number=1, started_at=now - LEASE)
    # Meanwhile another routine message reached the customer.
    Message.objects.filter(pk=second.pk).update(status="sent", sent_at=now - timedelta(minutes=1))

    report = message_deliver_due(now=now)
    assert (report.claimed, report.sent) == (1, 1), "sent again, under the same Message-ID"
    first.refresh_from_db()
    assert first.status == "sent"
    outcomes = list(
        DeliveryAttempt.objects.filter(message=first).order_by("number").values_list("outcome", "error")
    )
    assert outcomes[0][0] == "retryable" and outcomes[0][1].startswith("lease expired")
    assert outcomes[1] == ("sent", "")
