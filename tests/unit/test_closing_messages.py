"""The message that closes a journey (delivered, cancelled, refund issued...) reaches the customer:
never dropped by the frequency cap, never withdrawn for routine news, still only with consent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.journey_replay.journey import OrderHistory, Outcome, SimulationSettings
from aftercart.domain.journey_replay.replay import replay_customer
from aftercart.domain.messaging import (
    Channel,
    ContactChoices,
    Recent,
    capped,
    plan_messages,
    send_time_verdict,
)
from aftercart.domain.milestones import CLOSING, CRITICAL, Milestone, Reached
from aftercart.domain.projection.fold import project
from tests.unit.test_projection import T0, fact

EMAIL_ONLY = {m: {Channel.EMAIL} for m in Milestone}
HOUR = 60


def placed(email="ana@example.com"):
    return fact(
        "order.placed",
        0,
        "placed",
        number="#1001",
        email=email,
        timezone="UTC",
        lines=[{"line_id": "L1", "title": "Lamp"}, {"line_id": "L2", "title": "Bulb"}],
    )


def ship(sid, minutes, lines=("L1", "L2")):
    return fact(
        "shipment.created",
        minutes,
        f"ship-{sid}",
        shipment_id=sid,
        carrier="UPS",
        tracking_number=f"1Z{sid}",
        lines=[{"line_id": ln, "quantity": 1} for ln in lines],
    )


def scan(sid, minutes, tag):
    return fact(
        "tracking.event", minutes, f"scan-{sid}-{minutes}-{tag}", order=None, tracking=f"1Z{sid}", tag=tag
    )


def test_the_closing_milestones():
    assert Milestone.DELIVERED in CLOSING and Milestone.CANCELLED in CLOSING
    assert Milestone.REFUND_ISSUED in CLOSING
    assert not capped(Milestone.DELIVERED, False)
    assert capped(Milestone.OUT_FOR_DELIVERY, False)
    assert not capped(Milestone.DELAYED, Milestone.DELAYED in CRITICAL)


def test_delivered_goes_although_out_for_delivery_went_a_few_hours_earlier():
    # The demo's case: 172 of 186 "delivered" e-mails were dropped this way.
    now = T0 + timedelta(hours=10)
    ofd = Recent(Channel.EMAIL, Milestone.OUT_FOR_DELIVERY, now - timedelta(hours=4), critical=False)
    state = project(
        [placed(), ship("S1", 30), scan("S1", 5 * HOUR, "out_for_delivery"), scan("S1", 600, "delivered")],
        "o1",
    )
    [d] = plan_messages(
        reached=[Reached(Milestone.DELIVERED, "S1")], state=state, now=now, channels=EMAIL_ONLY, recent=[ofd]
    )
    assert d.goes, d.reason
    assert d.reason == ""


def test_a_closing_message_does_not_cap_the_next_routine_one():
    now = T0 + timedelta(hours=10)
    delivered_a = Recent(Channel.EMAIL, Milestone.DELIVERED, now - timedelta(hours=1), critical=False)
    state = project([placed(), ship("A", 30, ("L1",)), ship("B", 9 * HOUR, ("L2",))], "o1")
    [d] = plan_messages(
        reached=[Reached(Milestone.SHIPPED, "B")],
        state=state,
        now=now,
        channels=EMAIL_ONLY,
        recent=[delivered_a],
    )
    assert d.goes, d.reason


def test_a_pending_delivered_is_not_withdrawn_for_a_second_parcels_shipped():
    now = T0 + timedelta(hours=10)
    pending = Recent(
        Channel.EMAIL,
        Milestone.DELIVERED,
        now + timedelta(minutes=5),
        critical=False,
        replaceable=True,
        dedupe_key="d",
    )
    state = project(
        [placed(), ship("A", 30, ("L1",)), scan("A", 590, "delivered"), ship("B", 600, ("L2",))], "o1"
    )
    [d] = plan_messages(
        reached=[Reached(Milestone.SHIPPED, "B")], state=state, now=now, channels=EMAIL_ONLY, recent=[pending]
    )
    assert d.supersedes == ()


def test_a_pending_out_for_delivery_becomes_delivered():
    now = T0 + timedelta(hours=10)
    pending = Recent(
        Channel.EMAIL,
        Milestone.OUT_FOR_DELIVERY,
        now + timedelta(minutes=5),
        critical=False,
        replaceable=True,
        dedupe_key="ofd",
    )
    state = project(
        [placed(), ship("S1", 30), scan("S1", 590, "out_for_delivery"), scan("S1", 600, "delivered")], "o1"
    )
    [d] = plan_messages(
        reached=[Reached(Milestone.DELIVERED, "S1")],
        state=state,
        now=now,
        channels=EMAIL_ONLY,
        recent=[pending],
    )
    assert d.goes and d.supersedes == ("ofd",)


def test_at_send_time_the_cap_does_not_stop_a_closing_message_but_consent_does():
    state = project([placed(), ship("S1", 30), scan("S1", 60, "delivered")], "o1")
    now = T0 + timedelta(hours=3)
    common = {
        "channel": Channel.EMAIL,
        "milestone": Milestone.DELIVERED,
        "subject": "S1",
        "critical": False,
        "state": state,
        "address": "ana@example.com",
        "sent": [now - timedelta(hours=2)],
        "now": now,
    }
    assert send_time_verdict(choices=None, **common) is None
    refused = send_time_verdict(choices=ContactChoices(opted_in=False), **common)
    assert refused is not None and refused.reason == "opted out of email (at send time)"


@st.composite
def scan_histories(draw):
    """One parcel whose carrier scans arrive in any order and at any spacing (minutes to a day),
    with "delivered" among them, and the customer's choice about e-mail."""
    tags = draw(
        st.lists(
            st.sampled_from(["in_transit", "out_for_delivery", "in_transit", "out_for_delivery"]), max_size=5
        )
    )
    tags.insert(draw(st.integers(0, len(tags))), "delivered")
    gaps = draw(st.lists(st.integers(1, 24 * HOUR), min_size=len(tags), max_size=len(tags)))
    facts, at = [placed(), ship("S1", 30)], 30
    for tag, gap in zip(tags, gaps, strict=True):
        at += gap
        facts.append(scan("S1", at, tag))
    choice = draw(st.sampled_from([None, True, False]))
    return facts, choice


@settings(max_examples=150, deadline=None)
@given(scan_histories())
def test_whatever_the_order_of_events_a_consenting_customer_gets_exactly_one_closing_message(case):
    facts, choice = case
    history = OrderHistory(order_id=1, number="#1001", order_ref="o1", facts=facts)
    sim = SimulationSettings(
        channels=EMAIL_ONLY,
        since=T0 - timedelta(days=1),
        as_of=T0 + timedelta(days=30),
        choices=lambda channel, address, country: ContactChoices(opted_in=choice),
    )
    [journey] = replay_customer([history], sim)
    delivered = [
        m for m in journey.messages if m.milestone is Milestone.DELIVERED and m.outcome is Outcome.SENT
    ]
    assert len(delivered) == (0 if choice is False else 1), [
        (m.milestone, m.outcome) for m in journey.messages
    ]
