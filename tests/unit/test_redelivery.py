"""Re-delivery and corrections, from a real Canada Post history (karrio's recorded response,
tests/fixtures/real/canadapost/): delivered to the wrong address, "customer addressing error
found", processed again, out for delivery, delivered two days later. The latest trustworthy truth
is the status; the first delivery stays in the history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aftercart.domain.milestones import reached
from aftercart.domain.next_step import StepCode, next_step
from aftercart.domain.projection.fold import project
from aftercart.domain.vocabulary import CarrierTag, Stage, Subtag
from aftercart.integrations.carriers import parse_tracking_response

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
NUMBER = "7023210039414604"
NOW = datetime(2011, 2, 4, tzinfo=UTC)


def history():
    raw = (REAL / "canadapost" / "redelivered_after_address_error.xml").read_bytes()
    facts = parse_tracking_response("canadapost", raw).facts
    assert [f.payload["raw_code"] for f in facts] == ["1496", "20", "0173", "0100", "0174", "20"] or [
        f.payload["raw_code"] for f in facts
    ] == ["20", "1496", "0173", "0100", "0174", "20"]
    return facts


def test_the_second_delivery_is_the_status_and_the_first_is_kept():
    facts = history()
    for order in (facts, facts[::-1], facts + facts):
        shipment = project(order).shipments[f"trk:{NUMBER}"]
        assert shipment.tag is CarrierTag.DELIVERED
        assert shipment.subtag is Subtag.DELIVERED_SIGNED  # signed by HETU on the second delivery
        assert shipment.delivered_at == datetime(2011, 2, 3, 16, 59, 59, tzinfo=UTC)
        assert shipment.deliveries == 2
        assert len(shipment.checkpoints) == 6
    state = project(facts)
    keys = [r.key for r in reached(state)]
    assert f"delivered:trk:{NUMBER}" in keys and f"delivered:trk:{NUMBER}:2" in keys
    step = next_step(state, NOW)
    assert step.code is StepCode.DELIVERED and step.params["delivered_on"] == "2011-02-03"


def test_out_for_delivery_again_after_a_corrected_delivery_is_not_delivered():
    facts = [f for f in history() if f.occurred_at < datetime(2011, 2, 3, 15, tzinfo=UTC)]
    state = project(facts[::-1])
    shipment = state.shipments[f"trk:{NUMBER}"]
    assert shipment.tag is CarrierTag.OUT_FOR_DELIVERY
    assert shipment.delivered_at is None and shipment.deliveries == 1
    assert state.stage is Stage.DELIVERY
    assert next_step(state, NOW).code is StepCode.OUT_FOR_DELIVERY


def test_the_addressing_error_reopens_the_delivery():
    facts = [f for f in history() if f.occurred_at < datetime(2011, 2, 2, 15, tzinfo=UTC)]
    state = project(facts)
    shipment = state.shipments[f"trk:{NUMBER}"]
    assert shipment.tag is CarrierTag.EXCEPTION
    assert shipment.subtag is Subtag.EXCEPTION_INCORRECT_ADDRESS
    assert state.stage is Stage.EXCEPTION


def test_the_delivery_line_beats_the_signature_note_of_the_same_second():
    facts = [f for f in history() if f.occurred_at < datetime(2011, 2, 2, tzinfo=UTC)]
    assert len(facts) == 2 and facts[0].occurred_at == facts[1].occurred_at
    for order in (facts, facts[::-1]):
        shipment = project(order).shipments[f"trk:{NUMBER}"]
        assert shipment.raw_message == "Item successfully delivered"
        assert shipment.delivered_at == datetime(2011, 2, 1, 12, 59, 52, tzinfo=UTC)


def test_the_same_history_in_french_is_the_same_history():
    """Canada Post answers in the caller's language: the French response of the same history
    (the English one with Canada Post's French zone names and descriptions) adds no checkpoint."""
    english = (REAL / "canadapost" / "redelivered_after_address_error.xml").read_text()
    french = (REAL / "canadapost" / "redelivered_after_address_error.fr.xml").read_text()
    en = parse_tracking_response("canadapost", english).facts
    fr = parse_tracking_response("canadapost", french).facts
    assert {f.idempotency_key for f in en} == {f.idempotency_key for f in fr}
    assert {f.payload["raw_message"] for f in en}.isdisjoint({f.payload["raw_message"] for f in fr})
    assert len(project(en + fr).shipments[f"trk:{NUMBER}"].checkpoints) == 6


def test_a_notice_card_is_a_failed_attempt_before_the_pickup():
    """Canada Post 1479 ("Notice card left indicating where and when to pick up item") after out
    for delivery: the parcel waits for pickup, and the failed attempt is reached first."""
    raw = (REAL / "canadapost" / "notice_card_left.xml").read_bytes()
    facts = parse_tracking_response("canadapost", raw).facts
    for order in (facts, facts[::-1], facts + facts):
        state = project(order)
        shipment = state.shipments[f"trk:{NUMBER}"]
        assert shipment.tag is CarrierTag.AVAILABLE_FOR_PICKUP
        assert shipment.failed_attempts == 1
        keys = [r.key for r in reached(state)]
        attempt, pickup = f"attempt_failed:trk:{NUMBER}:1", f"ready_for_pickup:trk:{NUMBER}"
        assert keys.index(attempt) < keys.index(pickup)
        assert state.stage is Stage.PICKUP
