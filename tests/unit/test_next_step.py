"""next_step(): one code per situation, the most urgent first, with what the customer can do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.domain.exceptions import DetectionRules
from aftercart.domain.next_step import ActionCode, StepCode, next_step
from aftercart.domain.projection.fold import project
from tests.unit.test_projection import T0, fact

#: Within the default handling SLA (two business days) of the orders placed at T0, so an order
#: still being prepared is not yet late to ship.
NOW = T0 + timedelta(days=1, hours=12)
DAY = 24 * 60


def placed(*extra):
    return [
        fact(
            "order.placed",
            0,
            "p",
            number="#7",
            lines=[{"line_id": "L1", "title": "Lamp"}, {"line_id": "L2", "title": "Bulb"}],
        ),
        *extra,
    ]


def shipped(*scans, lines=("L1", "L2"), estimate=None):
    ship = fact(
        "shipment.created",
        30,
        "s",
        shipment_id="S1",
        carrier="UPS",
        tracking_number="1Z1",
        tracking_url="https://ups.example/1Z1",
        lines=[{"line_id": ln, "quantity": 1} for ln in lines],
        estimated_delivery=estimate,
    )
    events = [
        fact(
            "tracking.event",
            60 + i,
            f"e{i}",
            order=None,
            tracking="1Z1",
            tag=tag,
            subtag=subtag,
            raw_message=msg,
        )
        for i, (tag, subtag, msg) in enumerate(scans)
    ]
    return placed(ship, *events)


CASES = {
    StepCode.AWAITING_FULFILMENT: placed(),
    StepCode.BEING_PREPARED: placed(fact("line.status", 10, "a", line_id="L1", status="allocated")),
    StepCode.SHIPPED: shipped(("in_transit", None, "Departed"), estimate="2026-03-06"),
    StepCode.PARTIALLY_SHIPPED: shipped(
        ("in_transit", None, "Departed"), lines=("L1",), estimate="2026-03-06"
    ),
    StepCode.OUT_FOR_DELIVERY: shipped(("out_for_delivery", None, "On vehicle")),
    StepCode.DELIVERED: shipped(("delivered", "delivered.signed", "Signed by ANA")),
    StepCode.ATTEMPT_FAILED: shipped(("attempt_fail", "attempt_fail.addressee_unavailable", "No one home")),
    StepCode.DELAYED: shipped(("exception", "exception.delayed", "Weather"), estimate="2026-03-09"),
    StepCode.LOST: shipped(("exception", "exception.lost", "Cannot locate")),
    StepCode.DAMAGED: shipped(("exception", "exception.damaged", "Damaged")),
    StepCode.RETURNING_TO_SENDER: shipped(("exception", "exception.return_to_sender", "RTS")),
    StepCode.DELIVERY_PROBLEM: shipped(("exception", "exception.incorrect_address", "Bad address")),
    StepCode.ITEM_UNAVAILABLE: placed(fact("line.status", 10, "u", line_id="L2", status="unavailable")),
    StepCode.CANCELLED: placed(fact("order.cancelled", 10, "c")),
    # The carrier's last scan was a week ago (business hours, well past the default 48).
    StepCode.STALLED: [
        fact(
            "order.placed",
            -8 * DAY,
            "p",
            number="#7",
            lines=[{"line_id": "L1", "title": "Lamp"}, {"line_id": "L2", "title": "Bulb"}],
        ),
        fact(
            "shipment.created",
            -7 * DAY,
            "s",
            shipment_id="S1",
            carrier="UPS",
            tracking_number="1Z1",
            tracking_url="https://ups.example/1Z1",
            lines=[{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 1}],
        ),
        fact("tracking.event", -7 * DAY + 60, "e0", order=None, tracking="1Z1", tag="in_transit"),
    ],
    # Placed a week ago and still being picked: past the two-business-day handling SLA.
    StepCode.LATE_TO_SHIP: [
        fact(
            "order.placed",
            -7 * DAY,
            "p",
            number="#7",
            lines=[{"line_id": "L1", "title": "Lamp"}, {"line_id": "L2", "title": "Bulb"}],
        ),
        fact("line.status", -6 * DAY, "a", line_id="L1", status="picking"),
    ],
    StepCode.READY_FOR_PICKUP: placed(
        fact(
            "pickup.ready",
            10,
            "r",
            lines=[{"line_id": "L1"}, {"line_id": "L2"}],
            location={"name": "Soho", "address": "1 Main St", "hours": "9-18"},
            deadline="2026-03-09T18:00:00+00:00",
        )
    ),
}


@pytest.mark.parametrize("code", list(StepCode), ids=lambda c: c.value)
def test_every_code_is_reachable_from_facts(code):
    step = next_step(project(CASES[code]), NOW)
    assert step.code is code
    headline, detail = step.render()
    assert headline and detail and "{" not in headline + detail, "every placeholder is filled"


def test_failed_attempt_offers_to_rearrange_with_the_carrier():
    step = next_step(project(CASES[StepCode.ATTEMPT_FAILED]), NOW)
    assert [a.code for a in step.actions] == [ActionCode.RESCHEDULE_DELIVERY, ActionCode.CONTACT_SUPPORT]
    assert step.actions[0].params["tracking_url"] == "https://ups.example/1Z1"
    assert "No one home" in step.render()[1]


def test_unavailable_item_offers_wait_or_refund_for_that_line():
    step = next_step(project(CASES[StepCode.ITEM_UNAVAILABLE]), NOW)
    codes = [a.code for a in step.actions]
    assert ActionCode.WAIT_FOR_ITEM in codes and ActionCode.REFUND_ITEM in codes
    assert step.actions[0].params["lines"] == "L2"
    assert "Bulb" in step.render()[1]


def test_pickup_shows_place_and_deadline():
    step = next_step(project(CASES[StepCode.READY_FOR_PICKUP]), NOW)
    assert step.deadline == datetime(2026, 3, 9, 18, tzinfo=UTC)
    assert step.params["location"] == "Soho"


def test_an_estimate_in_the_past_is_not_repeated_as_a_promise():
    facts = shipped(("in_transit", None, "Departed"), estimate="2026-03-03")
    assert next_step(project(facts), T0 + timedelta(days=1)).code is StepCode.SHIPPED
    # The day after the estimate, with the last scan under two business days old (not stalled).
    late = next_step(project(facts), T0 + timedelta(days=2))
    assert late.code is StepCode.DELAYED
    assert "2026-03-03" not in late.render()[1]


def test_an_exception_outranks_a_parcel_that_is_fine():
    facts = CASES[StepCode.LOST] + [
        fact("shipment.created", 31, "s2", shipment_id="S2", carrier="usps", tracking_number="94", lines=[]),
        fact("tracking.event", 99, "s2e", order=None, tracking="94", tag="out_for_delivery"),
    ]
    step = next_step(project(facts), NOW)
    assert step.code is StepCode.LOST
    assert step.shipment_key == "S1"


def test_no_date_is_said_plainly_not_as_expected_by_soon():
    facts = shipped(("in_transit", None, "Departed"))
    _, detail = next_step(project(facts), NOW).render()
    assert "Expected by" not in detail
    assert detail.startswith("UPS has your parcel")


def test_a_parcel_the_carrier_stopped_scanning_says_since_when_and_what_to_do():
    step = next_step(project(CASES[StepCode.STALLED]), NOW)
    assert step.params["since"] == (T0 - timedelta(days=7, minutes=-60)).isoformat()
    assert [a.code for a in step.actions] == [ActionCode.TRACK_PARCEL, ActionCode.CONTACT_SUPPORT]
    headline, detail = step.render()
    assert headline.startswith("UPS has not scanned your parcel since 2026-02-2")
    assert "chasing UPS" in detail


def test_the_stall_threshold_is_the_stores():
    facts = CASES[StepCode.STALLED]
    patient = DetectionRules(default_stall_hours=500)
    assert next_step(project(facts), NOW, patient).code is StepCode.SHIPPED
    quick = DetectionRules(stall_hours={"ups": 4})
    recent = shipped(("in_transit", None, "Departed"))  # last scan Monday 10:00
    assert next_step(project(recent), T0 + timedelta(hours=12), quick).code is StepCode.STALLED


def test_a_new_scan_ends_the_stall():
    facts = [
        *CASES[StepCode.STALLED],
        fact("tracking.event", 30, "e1", order=None, tracking="1Z1", tag="in_transit"),
    ]
    assert next_step(project(facts), NOW).code is StepCode.SHIPPED


def test_late_to_ship_offers_to_keep_waiting_or_cancel_until_answered():
    facts = CASES[StepCode.LATE_TO_SHIP]
    step = next_step(project(facts), NOW)
    assert [a.code for a in step.actions] == [
        ActionCode.KEEP_WAITING,
        ActionCode.CANCEL_ORDER,
        ActionCode.CONTACT_SUPPORT,
    ]
    assert step.render()[0] == "Your order is taking longer than we promised"
    waiting = [*facts, fact("customer.choice", 10, "c", choice="keep_waiting")]
    assert next_step(project(waiting), NOW).code is StepCode.BEING_PREPARED
    # Not late within the SLA: a week's patience.
    assert (
        next_step(project(facts), NOW, DetectionRules(handling_sla_days=10)).code is StepCode.BEING_PREPARED
    )
