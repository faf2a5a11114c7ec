"""The projection: order-independence, idempotence and the rules that make late reports harmless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import REOPENS_DELIVERY, project
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Stage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fact(kind, minutes, key, order="o1", tracking=None, **payload):
    return Fact(
        kind=FactKind(kind),
        occurred_at=T0 + timedelta(minutes=minutes),
        idempotency_key=key,
        source="test",
        order_ref=order,
        tracking_number=tracking,
        payload=payload,
    )


def three_lines_two_parcels_one_unavailable():
    """An order of 3 lines in 2 shipments with 1 line unavailable."""
    return [
        fact(
            "order.placed",
            0,
            "placed",
            number="#1001",
            email="ana@example.com",
            lines=[
                {"line_id": "L1", "title": "Rain jacket", "quantity": 1, "unit_price": "120.00"},
                {"line_id": "L2", "title": "Wool socks", "quantity": 2, "unit_price": "12.50"},
                {"line_id": "L3", "title": "Beanie", "quantity": 1, "unit_price": "20.00"},
            ],
        ),
        fact("line.status", 60, "l1-alloc", line_id="L1", status="allocated"),
        fact("line.status", 61, "l3-unavail", line_id="L3", status="unavailable"),
        fact("line.status", 90, "l1-packed", line_id="L1", status="packed"),
        fact(
            "shipment.created",
            120,
            "ship-a",
            shipment_id="A",
            carrier="ups",
            tracking_number="1Z999AA10123456784",
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        fact(
            "shipment.created",
            180,
            "ship-b",
            shipment_id="B",
            carrier="usps",
            tracking_number="9400111899223197428490",
            lines=[{"line_id": "L2", "quantity": 2}],
        ),
        fact(
            "tracking.event",
            240,
            "a-transit",
            order=None,
            tracking="1Z999AA10123456784",
            tag="in_transit",
            subtag="in_transit",
        ),
        fact(
            "tracking.event",
            2000,
            "a-deliv",
            order=None,
            tracking="1Z999AA10123456784",
            tag="delivered",
            subtag="delivered",
        ),
        fact(
            "tracking.event",
            2100,
            "a-late-scan",
            order=None,
            tracking="1Z999AA10123456784",
            tag="in_transit",
            subtag="in_transit",
        ),
        fact(
            "tracking.event",
            300,
            "b-transit",
            order=None,
            tracking="9400111899223197428490",
            tag="in_transit",
            subtag="in_transit",
            estimated_delivery="2026-03-06",
        ),
    ]


def test_split_shipments_and_unavailable_line_project_correctly():
    state = project(three_lines_two_parcels_one_unavailable())

    assert state.number == "#1001"
    assert set(state.shipments) == {"A", "B"}
    a, b = state.shipments["A"], state.shipments["B"]
    assert a.tag is CarrierTag.DELIVERED, "a late in-transit scan must not undo a delivery"
    assert len(a.checkpoints) == 3, "the late scan is still kept in the timeline"
    assert b.tag is CarrierTag.IN_TRANSIT
    assert str(b.estimated_delivery) == "2026-03-06"
    lines = state.lines
    assert (lines["L1"].shipped_quantity, lines["L2"].shipped_quantity, lines["L3"].shipped_quantity) == (
        1,
        2,
        0,
    )
    assert lines["L3"].status is FulfilmentStatus.UNAVAILABLE
    assert lines["L3"].open_quantity == 0
    assert state.unshipped_lines == []
    assert state.stage is Stage.EXCEPTION, "an unavailable line needs the customer's attention"


def test_tracking_event_before_its_shipment_record_lands_on_the_same_parcel():
    facts = [
        fact("order.placed", 0, "p", lines=[{"line_id": "L1"}]),
        fact(
            "tracking.event",
            5,
            "scan",
            order=None,
            tracking="ab 123",
            tag="InTransit",
            subtag="InTransit_002",
        ),
        fact(
            "shipment.created",
            10,
            "ship",
            shipment_id="S1",
            carrier="dhl_express",
            tracking_number="AB123",
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
    ]
    state = project(facts)
    assert list(state.shipments) == ["S1"]
    assert state.shipments["S1"].tag is CarrierTag.IN_TRANSIT
    assert state.stage is Stage.IN_TRANSIT


def test_warehouse_status_does_not_move_back_but_leaves_hold():
    base = [fact("order.placed", 0, "p", lines=[{"line_id": "L1"}])]
    late_picking = base + [
        fact("line.status", 10, "packed", line_id="L1", status="packed"),
        fact("line.status", 20, "picking", line_id="L1", status="picking"),
    ]
    assert project(late_picking).lines["L1"].status is FulfilmentStatus.PACKED
    released = base + [
        fact("line.status", 10, "hold", line_id="L1", status="on_hold"),
        fact("line.status", 20, "alloc", line_id="L1", status="allocated"),
    ]
    assert project(released).lines["L1"].status is FulfilmentStatus.ALLOCATED
    restocked = base + [
        fact("line.status", 10, "oos", line_id="L1", status="unavailable"),
        fact("line.status", 20, "back", line_id="L1", status="allocated"),
    ]
    state = project(restocked)
    assert state.lines["L1"].unavailable_quantity == 0
    assert state.stage is Stage.FULFILMENT


def test_cancelled_order_before_shipping_is_cancelled():
    state = project(
        [
            fact("order.placed", 0, "p", lines=[{"line_id": "L1"}]),
            fact("order.cancelled", 10, "c", reason="customer"),
            fact("line.status", 20, "late-alloc", line_id="L1", status="allocated"),
        ]
    )
    assert state.stage is Stage.CANCELLED
    assert state.lines["L1"].status is FulfilmentStatus.CANCELLED


def test_pickup_ready_then_collected():
    facts = [
        fact("order.placed", 0, "p", lines=[{"line_id": "L1"}]),
        fact(
            "pickup.ready",
            30,
            "ready",
            lines=[{"line_id": "L1", "quantity": 1}],
            location={"name": "Soho store"},
            deadline="2026-03-09T18:00:00+00:00",
        ),
    ]
    assert project(facts).stage is Stage.PICKUP
    collected = project(
        facts + [fact("pickup.collected", 90, "got", lines=[{"line_id": "L1", "quantity": 1}])]
    )
    assert collected.lines["L1"].status is FulfilmentStatus.PICKED_UP
    assert collected.stage is Stage.POST_DELIVERY


# --- properties ----------------------------------------------------------------------------------

TAGS = list(CarrierTag)


@st.composite
def journeys(draw):
    """Random but plausible fact sets for one order: lines, shipments, scans, statuses."""
    n_lines = draw(st.integers(1, 4))
    lines = [{"line_id": f"L{i}", "quantity": draw(st.integers(1, 3))} for i in range(n_lines)]
    facts = [fact("order.placed", 0, "placed", lines=lines)]
    for i in range(draw(st.integers(0, 6))):
        facts.append(
            fact(
                "line.status",
                draw(st.integers(1, 5000)),
                f"ls{i}",
                line_id=f"L{draw(st.integers(0, n_lines - 1))}",
                status=draw(st.sampled_from(list(FulfilmentStatus))).value,
            )
        )
    n_ship = draw(st.integers(0, 3))
    for s in range(n_ship):
        facts.append(
            fact(
                "shipment.created",
                draw(st.integers(1, 5000)),
                f"sh{s}",
                shipment_id=f"S{s}",
                carrier="ups",
                tracking_number=f"TRK{s}",
                lines=[{"line_id": f"L{draw(st.integers(0, n_lines - 1))}", "quantity": 1}],
            )
        )
    for e in range(draw(st.integers(0, 12))):
        s = draw(st.integers(0, max(n_ship, 1)))
        facts.append(
            fact(
                "tracking.event",
                draw(st.integers(1, 5000)),
                f"ev{e}",
                order=None,
                tracking=f"TRK{s}",
                tag=draw(st.sampled_from(TAGS)).value,
                estimated_delivery=draw(st.sampled_from([None, "2026-03-05", "2026-03-07"])),
            )
        )
    if draw(st.booleans()):
        facts.append(fact("order.cancelled", draw(st.integers(1, 5000)), "cancel"))
    return facts


@settings(max_examples=300, deadline=None)
@given(journeys(), st.randoms(use_true_random=False), st.data())
def test_any_permutation_and_duplication_gives_the_same_projection(facts, rnd, data):
    expected = project(facts).to_json()
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    duplicates = data.draw(st.lists(st.sampled_from(facts), max_size=len(facts)))
    assert project(shuffled + duplicates).to_json() == expected


@settings(max_examples=200, deadline=None)
@given(journeys(), st.lists(st.sampled_from(TAGS), min_size=1, max_size=5))
def test_only_a_correction_moves_a_delivered_parcel_back(facts, later_tags):
    """After a delivery, stray scans (in transit, pending, expired...) stay in the timeline; a
    correction (REOPENS_DELIVERY) reopens it, and the latest delivery is the one dated. A delivery
    is never lost from the history (the count keeps it)."""
    delivered = facts + [
        fact(
            "shipment.created",
            1,
            "shX",
            shipment_id="SX",
            tracking_number="TRKX",
            lines=[{"line_id": "L0", "quantity": 1}],
        ),
        fact("tracking.event", 6000, "dX", order=None, tracking="TRKX", tag="delivered"),
    ]
    later = [
        fact("tracking.event", 6001 + i, f"late{i}", order=None, tracking="TRKX", tag=tag.value)
        for i, tag in enumerate(later_tags)
    ]
    shipment = project(delivered + later).shipments["SX"]
    # The model: delivered until a correction, then delivered again from the next delivery on.
    delivered_at: datetime | None = T0 + timedelta(minutes=6000)
    deliveries = 1
    for i, tag in enumerate(later_tags):
        if delivered_at is not None and tag in REOPENS_DELIVERY:
            delivered_at = None
        elif delivered_at is None and tag is CarrierTag.DELIVERED:
            delivered_at, deliveries = T0 + timedelta(minutes=6001 + i), deliveries + 1
    assert shipment.delivered_at == delivered_at
    assert shipment.is_delivered is (delivered_at is not None)
    assert shipment.deliveries == deliveries


@settings(max_examples=200, deadline=None)
@given(journeys())
def test_shipped_quantity_never_exceeds_ordered(facts):
    for line in project(facts).lines.values():
        assert 0 <= line.shipped_quantity <= line.quantity
        assert line.open_quantity >= 0


@settings(max_examples=300, deadline=None)
@given(journeys(), st.data())
def test_folding_later_facts_onto_a_snapshot_equals_folding_everything(facts, data):
    from aftercart.domain.projection.fold import can_extend
    from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot

    ordered = sorted({f.idempotency_key: f for f in facts}.values(), key=lambda f: f.sort_key)
    cut = data.draw(st.integers(1, len(ordered)))
    base = from_snapshot(to_snapshot(project(ordered[:cut])))
    assert can_extend(base, ordered[cut:])
    extended = project(ordered[cut:], base=base)
    assert to_snapshot(extended) == to_snapshot(project(facts))


@settings(max_examples=200, deadline=None)
@given(journeys())
def test_folding_without_checkpoint_lists_changes_nothing_else(facts):
    from aftercart.domain.projection.snapshot import to_snapshot

    full, lean = project(facts), project(facts, checkpoints=False)
    assert all(not s.checkpoints for s in lean.shipments.values())
    assert to_snapshot(lean) == to_snapshot(full)  # snapshots leave the lists out, nothing else


@settings(max_examples=200, deadline=None)
@given(journeys())
def test_a_snapshot_left_for_orjson_encodes_to_the_same_text(facts):
    import orjson

    from aftercart.domain.projection.snapshot import to_snapshot

    state = project(facts)
    assert orjson.dumps(to_snapshot(state, encoded_later=True)) == orjson.dumps(to_snapshot(state))


def test_a_fact_older_than_the_snapshot_cannot_be_folded_onto_it():
    from aftercart.domain.projection.fold import can_extend

    facts = three_lines_two_parcels_one_unavailable()
    base = project(facts[:6])
    assert not can_extend(base, [facts[0]])


def test_a_carrier_holding_the_parcel_for_pickup_is_the_pickup_stage():
    facts = [
        fact("order.placed", 0, "p", lines=[{"line_id": "L1"}]),
        fact(
            "shipment.created",
            5,
            "s",
            shipment_id="S1",
            tracking_number="T1",
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        fact("tracking.event", 9, "e", order=None, tracking="T1", tag="AvailableForPickup"),
    ]
    assert project(facts).stage is Stage.PICKUP


# --- customer choices ------------------------------------------------------------------------------


def test_an_answered_unavailable_line_no_longer_needs_the_customer():
    from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot

    facts = three_lines_two_parcels_one_unavailable()
    assert [ln.line_id for ln in project(facts).unavailable_lines] == ["L3"]
    answered = project(
        [
            *facts,
            fact("customer.choice", 100, "choice:L3", line_id="L3", choice="refund"),
            # A later answer for the same line (another key) does not replace the first.
            fact("customer.choice", 101, "choice:L3:again", line_id="L3", choice="wait"),
        ]
    )
    assert answered.lines["L3"].customer_choice == "refund"
    assert answered.unavailable_lines == []
    assert answered.awaited_lines == []
    assert answered.stage is not Stage.EXCEPTION
    assert from_snapshot(to_snapshot(answered)).lines["L3"].customer_choice == "refund"


def test_waiting_keeps_the_line_to_come_and_unknown_choices_change_nothing():
    facts = three_lines_two_parcels_one_unavailable()
    odd = project([*facts, fact("customer.choice", 100, "c1", line_id="L3", choice="shrug")])
    assert odd.lines["L3"].customer_choice == ""
    waiting = project([*facts, fact("customer.choice", 100, "c2", line_id="L3", choice="wait")])
    assert [ln.line_id for ln in waiting.awaited_lines] == ["L3"]
    assert waiting.unavailable_lines == []
