"""The worker and the journey preview decide "may this planned message go now?" with the same
function (domain.messaging.send_time_verdict): they agree on a message whose consent was withdrawn
between planning and sending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.domain.journey_replay.journey import Outcome
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.journey_replay import journey_simulate
from aftercart.notifications.models import ChannelConfig, Message
from aftercart.notifications.services import journey_set
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db


def test_sms_consent_withdrawn_after_planning_stops_the_text_in_the_worker_and_the_preview(store) -> None:
    ChannelConfig.objects.create(
        store=store,
        channel="sms",
        settings={"account_sid": "AC" + "0" * 32, "auth_token": "tok", "from": "+15005550006"},
    )
    journey_set(store_id=store.pk, channels={"email": [], "sms": ["shipped"]})
    t0 = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    placed = fact(
        "order.placed",
        t0,
        "placed",
        number="#1001",
        phone="+34600111222",
        sms_consent=True,
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
    )
    shipped = fact(
        "shipment.created",
        t0 + timedelta(minutes=1),
        "shipped",
        shipment_id="S1",
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        lines=[{"line_id": "L1", "quantity": 1}],
    )
    # The customer unticks SMS updates before the consolidation window lets the text go.
    withdrawn = fact("order.updated", t0 + timedelta(minutes=5), "no-sms", sms_consent=False)
    for f in (placed, shipped, withdrawn):
        facts_record(store=store, facts=[f], now=f.occurred_at)
    [planned] = Message.objects.all()
    assert (planned.channel, planned.milestone, planned.status) == ("sms", "shipped", "pending")

    # The worker, when the text falls due.
    report = message_deliver_due(now=planned.next_attempt_at + timedelta(minutes=1))
    assert (report.sent, report.suppressed) == (0, 1)
    planned.refresh_from_db()
    assert (planned.status, planned.reason) == ("suppressed", "no SMS consent (at send time)")

    # The preview, over the same history.
    preview = journey_simulate(store=store, since=t0 - timedelta(days=1), until=t0 + timedelta(hours=1))
    assert preview.outcomes[Outcome.NO_CONSENT_AT_SEND.value] == 1
    assert preview.outcomes[Outcome.SENT.value] == 0
