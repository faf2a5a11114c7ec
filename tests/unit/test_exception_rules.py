"""Exception rules: each kind from a projected state, business hours, and detect's properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.exceptions import (
    STALL_NEWS_HORIZON,
    DetectionRules,
    ExceptionKind,
    OpenCause,
    business_hours_between,
    detect,
    late_to_ship,
    stall_delay,
)
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState, Pickup, ShipmentState
from aftercart.domain.vocabulary import CarrierTag, Subtag

MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def fact(kind, at, n=[0], **payload):  # noqa: B006 - a counter for unique keys
    n[0] += 1
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=f"k{n[0]}",
        source="test",
        order_ref="1001",
        tracking_number=payload.get("tracking_number"),
        payload=payload,
    )


def order(*more):
    placed = fact(
        "order.placed", MON, lines=[{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 2}]
    )
    return project([placed, *more])


def shipped(at=MON + timedelta(hours=2), estimate="2026-03-05"):
    return fact(
        "shipment.created",
        at,
        shipment_id="S1",
        carrier="UPS",
        tracking_number="1Z1",
        lines=[{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 2}],
        estimated_delivery=estimate,
    )


def scan(tag, at, subtag=None, **extra):
    return fact("tracking.event", at, tracking_number="1Z1", tag=tag, subtag=subtag, **extra)


def kinds(state, now, rules=None):
    return {(c.kind, c.subject) for c in detect(state, now, rules or DetectionRules())}


def test_business_hours_skip_weekends_and_holidays():
    friday = datetime(2026, 3, 6, 12, tzinfo=UTC)
    assert business_hours_between(friday, friday + timedelta(days=3)) == 24  # Fri 12h + Mon 12h
    # 2026-12-25 is a Friday: a holiday in GB, not without a country.
    xmas_eve = datetime(2026, 12, 24, 0, tzinfo=UTC)
    assert business_hours_between(xmas_eve, xmas_eve + timedelta(days=2)) == 48
    assert business_hours_between(xmas_eve, xmas_eve + timedelta(days=2), "GB") == 24
    assert business_hours_between(friday, friday - timedelta(hours=1)) == 0


def test_stall_counts_business_hours_and_per_carrier_thresholds():
    state = order(shipped(), scan("in_transit", datetime(2026, 3, 6, 12, tzinfo=UTC)))  # Friday noon
    monday_night = datetime(2026, 3, 9, 23, tzinfo=UTC)  # 83 wall hours, 35 business hours
    assert (ExceptionKind.STALLED, "S1") not in kinds(state, monday_night)
    tuesday_late = datetime(2026, 3, 10, 13, tzinfo=UTC)  # 12 + 24 + 13 = 49 business hours
    assert (ExceptionKind.STALLED, "S1") in kinds(state, tuesday_late)
    patient = DetectionRules(stall_hours={"ups": 72})
    assert (ExceptionKind.STALLED, "S1") not in kinds(state, tuesday_late, patient)
    # A new scan is the resolution: the stall is gone from what detect sees.
    later = order(
        shipped(), scan("in_transit", datetime(2026, 3, 6, 12, tzinfo=UTC)), scan("in_transit", tuesday_late)
    )
    assert (ExceptionKind.STALLED, "S1") not in kinds(later, tuesday_late + timedelta(hours=1))


def test_label_never_picked_up():
    state = order(shipped(), scan("info_received", MON + timedelta(hours=3)))
    assert (ExceptionKind.NOT_PICKED_UP, "S1") not in kinds(state, MON + timedelta(hours=30))
    assert (ExceptionKind.NOT_PICKED_UP, "S1") in kinds(state, MON + timedelta(hours=51))
    moving = order(shipped(), scan("in_transit", MON + timedelta(hours=20)))
    assert (ExceptionKind.NOT_PICKED_UP, "S1") not in kinds(moving, MON + timedelta(hours=51))


def test_delayed_when_the_estimate_moves_past_the_promise_or_the_day_passes():
    on_time = order(shipped(), scan("in_transit", MON + timedelta(hours=5)))
    assert (ExceptionKind.DELAYED, "S1") not in kinds(on_time, MON + timedelta(hours=6))
    moved = order(shipped(), scan("in_transit", MON + timedelta(hours=5), estimated_delivery="2026-03-07"))
    causes = {c.key: c for c in detect(moved, MON + timedelta(hours=6))}
    assert causes[("delayed", "S1")].detail == "2026-03-07"
    overdue = datetime(2026, 3, 6, 1, tzinfo=UTC)
    assert (ExceptionKind.DELAYED, "S1") in kinds(on_time, overdue)
    delivered = order(shipped(), scan("delivered", datetime(2026, 3, 5, 22, tzinfo=UTC)))
    assert kinds(delivered, overdue) == set()


def test_carrier_reported_problems_hold_while_current():
    at = MON + timedelta(hours=10)
    for subtag, kind in [
        ("exception.lost", ExceptionKind.LOST),
        ("exception.damaged", ExceptionKind.DAMAGED),
        ("exception.return_to_sender", ExceptionKind.RETURNING_TO_SENDER),
        ("attempt_fail.addressee_unavailable", ExceptionKind.ATTEMPT_FAILED),
    ]:
        state = order(shipped(), scan(subtag.split(".")[0], at, subtag=subtag))
        assert (kind, "S1") in kinds(state, at), subtag
        resolved = order(
            shipped(),
            scan(subtag.split(".")[0], at, subtag=subtag),
            scan("in_transit", at + timedelta(hours=1), subtag="in_transit.problem_resolved"),
        )
        assert (kind, "S1") not in kinds(resolved, at + timedelta(hours=2)), subtag


def test_pickup_expiring_then_expired_then_collected():
    deadline = MON + timedelta(days=5)
    ready = fact(
        "pickup.ready",
        MON + timedelta(days=1),
        shipment_id="S1",
        tracking_number="1Z1",
        deadline=deadline.isoformat(),
    )
    state = order(shipped(), ready)
    assert kinds(state, MON + timedelta(days=2)) & {(ExceptionKind.PICKUP_EXPIRING, "S1")} == set()
    assert (ExceptionKind.PICKUP_EXPIRING, "S1") in kinds(state, deadline - timedelta(hours=3))
    assert (ExceptionKind.PICKUP_EXPIRED, "S1") in kinds(state, deadline + timedelta(hours=1))
    collected = order(
        shipped(), ready, fact("pickup.collected", deadline, shipment_id="S1", tracking_number="1Z1")
    )
    assert kinds(collected, deadline + timedelta(hours=1)) == set()


def test_handling_sla_and_unavailable_items():
    placed_only = order()
    assert kinds(placed_only, MON + timedelta(hours=40)) == set()
    assert kinds(placed_only, MON + timedelta(hours=49)) == {(ExceptionKind.NOT_SHIPPED_IN_SLA, "")}
    assert kinds(order(shipped()), MON + timedelta(hours=49)) == set()
    out = order(fact("line.status", MON + timedelta(hours=1), line_id="L2", status="unavailable"))
    found = kinds(out, MON + timedelta(hours=2))
    assert (ExceptionKind.ITEM_UNAVAILABLE, "line:L2") in found
    cancelled = order(fact("order.cancelled", MON + timedelta(hours=1)))
    assert kinds(cancelled, MON + timedelta(days=9)) == set()


# --- properties -----------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
dates = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def shipments(draw, key):
    subtag = draw(st.sampled_from(list(Subtag)))
    pickup = draw(
        st.none()
        | st.builds(Pickup, deadline=st.none() | moments, collected_at=st.none() | moments, ready_at=moments)
    )
    return ShipmentState(
        key=key,
        carrier=draw(st.sampled_from(["ups", "dhl", ""])),
        tag=subtag.tag,
        subtag=subtag,
        status_at=draw(st.none() | moments),
        created_at=draw(st.none() | moments),
        first_scan_at=draw(st.none() | moments),
        last_checkpoint_at=draw(st.none() | moments),
        estimated_delivery=draw(st.none() | dates),
        first_estimated_delivery=draw(st.none() | dates),
        failed_attempts=draw(st.integers(0, 3)),
        pickup=pickup,
    )


@st.composite
def states(draw):
    keys = draw(st.lists(st.sampled_from(["S1", "S2", "trk:9"]), unique=True, max_size=3))
    state = OrderState(order_ref="1", placed_at=draw(st.none() | moments))
    state.shipments = {k: draw(shipments(k)) for k in keys}
    return state


rules = st.builds(
    DetectionRules,
    default_stall_hours=st.integers(1, 200),
    stall_hours=st.dictionaries(st.sampled_from(["ups", "dhl"]), st.integers(1, 200), max_size=2),
    country=st.sampled_from(["", "GB", "US"]),
)


@settings(max_examples=300, deadline=None)
@given(states(), moments, rules)
def test_detect_is_deterministic(state, now, r):
    first = detect(state, now, r)
    assert first == detect(state, now, r)
    assert {c.detail for c in first} == {c.detail for c in detect(state, now, r)}
    assert all(isinstance(c, OpenCause) for c in first)


@settings(max_examples=300, deadline=None)
@given(states(), moments, rules)
def test_a_delivered_shipment_has_no_open_exceptions(state, now, r):
    delivered = {k for k, s in state.shipments.items() if s.tag is CarrierTag.DELIVERED}
    assert not {c for c in detect(state, now, r) if c.subject in delivered}


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(0, 24 * 30), st.sampled_from(["", "GB"]))
def test_business_hours_never_exceed_wall_clock_hours(start, hours, country):
    # The sweep relies on this to select candidates by wall-clock age.
    end = start + timedelta(hours=hours)
    assert business_hours_between(start, end, country) <= hours + 1e-9


def test_a_stall_is_told_as_delayed_only_when_it_breaks_the_promise():
    now = MON + timedelta(days=3)
    last = MON
    promised = date(2026, 3, 6)

    def told(promised, reestimate, last_scan=last):
        return stall_delay("S1", last_scan=last_scan, now=now, promised=promised, reestimate=reestimate)

    slipped = told(promised, date(2026, 3, 10))
    assert slipped is not None and slipped.key == "delayed:S1:2026-03-10" and slipped.by_time
    assert told(promised, date(2026, 3, 6)) is None, "the promise still holds: the page says it is quiet"
    # A promise on a Saturday is kept by Monday: windows end on business days.
    assert told(date(2026, 3, 7), date(2026, 3, 9)) is None
    assert told(date(2026, 3, 7), date(2026, 3, 10)).key == "delayed:S1:2026-03-10"
    assert told(promised, None) is None, "no re-estimate and the promised day is still ahead"
    assert told(date(2026, 3, 4), None).key == "delayed:S1", "the promised day is over"
    assert told(None, None).key == "delayed:S1", "nothing was promised: silence is the news"
    assert told(None, date(2026, 3, 12)).key == "delayed:S1:2026-03-12"
    # A parcel that went quiet long before (an import, a replay) is the team's case, not news.
    assert told(promised, date(2026, 3, 10), last_scan=now - STALL_NEWS_HORIZON - timedelta(hours=1)) is None


def test_late_to_ship_lists_the_lines_still_to_ship():
    state = order()
    assert late_to_ship(state, MON + timedelta(days=1)) == []
    assert [ln.line_id for ln in late_to_ship(state, MON + timedelta(days=7))] == ["L1", "L2"]
    assert late_to_ship(state, MON + timedelta(days=7), DetectionRules(handling_sla_days=10)) == []
