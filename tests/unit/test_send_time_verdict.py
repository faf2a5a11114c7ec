"""send_time_verdict: may a planned message go now? Stale, then consent, then the frequency cap."""

from __future__ import annotations

from datetime import timedelta

from aftercart.domain.messaging import (
    Channel,
    ContactChoices,
    SendVerdict,
    Withheld,
    send_time_verdict,
)
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.fold import project
from tests.unit.test_projection import T0, fact

NOW = T0 + timedelta(hours=1)


def state(*, sms_consent=True, delivered=False):
    facts = [
        fact(
            "order.placed",
            0,
            "p",
            email="ana@example.com",
            phone="+34600111222",
            sms_consent=sms_consent,
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        fact("shipment.created", 1, "s", shipment_id="S1", tracking_number="1Z1", lines=[{"line_id": "L1"}]),
    ]
    if delivered:
        facts.append(fact("tracking.event", 2, "d", tracking="1Z1", tracking_number="1Z1", tag="delivered"))
    return project(facts, "o1")


def verdict(
    channel=Channel.SMS, milestone=Milestone.SHIPPED, *, critical=False, address="+34600111222", **kw
):
    args = {"state": state(), "choices": None, "sent": (), **kw}
    return send_time_verdict(
        channel=channel,
        milestone=milestone,
        subject="S1",
        critical=critical,
        address=address,
        now=NOW,
        **args,
    )


def test_a_message_nothing_stops_may_go() -> None:
    assert verdict() is None
    assert verdict(Channel.EMAIL, address="ana@example.com") is None


def test_stale_comes_first_then_consent_then_the_cap() -> None:
    everything = {
        "state": state(sms_consent=False, delivered=True),
        "sent": [NOW - timedelta(hours=1)],
    }
    assert verdict(**everything) == SendVerdict(Withheld.STALE, "superseded by delivered")
    assert verdict(state=state(sms_consent=False), sent=everything["sent"]) == SendVerdict(
        Withheld.NO_CONSENT, "no SMS consent (at send time)"
    )
    assert verdict(sent=everything["sent"]) == SendVerdict(
        Withheld.FREQUENCY_CAP, "frequency cap (24h) at send time"
    )


def test_consent_is_the_customers_choice_now() -> None:
    opted_out = ContactChoices(opted_in=False)
    assert (
        verdict(Channel.EMAIL, address="a@x", choices=opted_out).reason == "opted out of email (at send time)"
    )
    muted = ContactChoices(muted=frozenset({Milestone.SHIPPED}))
    assert verdict(Channel.EMAIL, address="a@x", choices=muted).rule is Withheld.NO_CONSENT
    # An explicit opt-in (START) beats the order's missing SMS consent.
    assert verdict(state=state(sms_consent=False), choices=ContactChoices(opted_in=True)) is None
    # The store's own tools keep their own consent.
    assert verdict(Channel.WEBHOOK, address="", state=state(sms_consent=False)) is None


def test_the_cap_spares_critical_messages_unaddressed_ones_and_old_sends() -> None:
    recent = [NOW - timedelta(hours=1)]
    assert verdict(critical=True, sent=recent) is None
    assert verdict(address="", sent=recent) is None
    assert verdict(sent=[NOW - timedelta(hours=25)]) is None
    assert (
        verdict(Channel.EMAIL, address="a@x", sent=[NOW - timedelta(hours=15)]).rule is Withheld.FREQUENCY_CAP
    )
