"""EasyPost Trackers and tracker webhook Events (EasyPost's recorded API calls and reference
examples in ../shared/data/easypost) → canonical tracking facts, and the status mapping."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aftercart.domain.facts import FactKind, content_key
from aftercart.domain.vocabulary import CarrierTag, Subtag
from aftercart.integrations.easypost import (
    EASYPOST_STATUS,
    EASYPOST_STATUS_DETAIL,
    easypost_status,
    find_trackers,
    parse_event,
    parse_payload,
    parse_tracker,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A file under ../shared/data; skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data is absent (fresh clone): {SHARED_DATA} not found")
    return SHARED_DATA.joinpath(*parts)


def load(name: str):
    return json.loads(shared("easypost", name).read_text())


# --- status mapping ------------------------------------------------------------------------------

DOCUMENTED_STATUSES = (
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
)


def test_every_documented_status_is_mapped():
    assert set(DOCUMENTED_STATUSES) == set(EASYPOST_STATUS)
    for tag, subtag in EASYPOST_STATUS.values():
        assert subtag.tag is tag
    assert [s for s, (tag, _) in EASYPOST_STATUS.items() if tag is CarrierTag.DELIVERED] == ["delivered"]


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("unknown", "unknown", Subtag.PENDING),
        ("error", None, Subtag.PENDING),
        ("pre_transit", "status_update", Subtag.INFO_RECEIVED),
        ("pre_transit", "label_created", Subtag.INFO_RECEIVED),
        ("in_transit", "status_update", Subtag.IN_TRANSIT),
        ("in_transit", "arrived_at_facility", Subtag.IN_TRANSIT_ARRIVAL_SCAN),
        ("in_transit", "departed_facility", Subtag.IN_TRANSIT_DEPARTURE_SCAN),
        ("in_transit", "received_at_origin_facility", Subtag.IN_TRANSIT_ACCEPTED),
        ("in_transit", "transferred_to_destination_carrier", Subtag.IN_TRANSIT_FORWARDED),
        ("in_transit", "weather_delay", Subtag.EXCEPTION_DELAYED),
        ("in_transit", "delayed", Subtag.EXCEPTION_DELAYED),
        ("in_transit", "damaged", Subtag.EXCEPTION_DAMAGED),
        ("in_transit", "held", Subtag.IN_TRANSIT),  # a hold alone is not a problem
        ("out_for_delivery", "out_for_delivery", Subtag.OUT_FOR_DELIVERY),
        ("out_for_delivery", "address_correction", Subtag.EXCEPTION_INCORRECT_ADDRESS),
        ("delivered", "arrived_at_destination", Subtag.DELIVERED),
        ("delivered", "lost", Subtag.DELIVERED),  # nothing overrides a delivery
        ("available_for_pickup", "arrived_at_pickup_location", Subtag.AVAILABLE_FOR_PICKUP),
        ("return_to_sender", "return", Subtag.EXCEPTION_RETURN_TO_SENDER),
        ("return_to_sender", "damaged", Subtag.EXCEPTION_RETURN_TO_SENDER),  # the status says why
        ("failure", "lost", Subtag.EXCEPTION_LOST),
        ("failure", "damaged", Subtag.EXCEPTION_DAMAGED),
        ("failure", "refused", Subtag.EXCEPTION_REFUSED),
        ("failure", "delivery_exception", Subtag.ATTEMPT_FAIL),
        ("failure", "held", Subtag.EXCEPTION),
        ("cancelled", "cancelled", Subtag.EXCEPTION),
        ("something_new", "damaged", Subtag.EXCEPTION_DAMAGED),
        ("something_new", None, Subtag.PENDING),
        (None, None, Subtag.PENDING),
    ],
)
def test_easypost_status(status, detail, expected):
    assert easypost_status(status, detail) == (expected.tag, expected)


def test_detail_subtags_are_valid():
    assert all(isinstance(s, Subtag) for s in EASYPOST_STATUS_DETAIL.values())
    assert Subtag.DELIVERED not in EASYPOST_STATUS_DETAIL.values()


# --- every shared file that holds a tracker, one test id per file --------------------------------

PRE_TRANSIT = Subtag.INFO_RECEIVED
LIST_PAGE_1 = {
    "9400100208303109500782": PRE_TRANSIT,
    "9400100208303109500775": PRE_TRANSIT,
    "9400100208303109500768": PRE_TRANSIT,
    "9400100208303109500751": PRE_TRANSIT,
    "9400100208303109500744": PRE_TRANSIT,
}
# file → (trackers in it, facts, each parcel's final status). Trackers still "unknown" (just
# created with their shipment) have no tracking_details and so no facts.
TRACKER_FILES: dict[str, tuple[int, int, dict[str, Subtag]]] = {
    "cassettes_easypost-python/test_claim_cancel__1.json": (1, 0, {}),
    "cassettes_easypost-python/test_claim_cancel__2.json": (1, 2, {"9400100208303109500683": PRE_TRANSIT}),
    "cassettes_easypost-python/test_claim_create__1.json": (1, 0, {}),
    "cassettes_easypost-python/test_claim_create__2.json": (1, 2, {"9400100208303109500669": PRE_TRANSIT}),
    "cassettes_easypost-python/test_claim_retrieve__1.json": (1, 0, {}),
    "cassettes_easypost-python/test_claim_retrieve__2.json": (1, 2, {"9400100208303109500676": PRE_TRANSIT}),
    "cassettes_easypost-python/test_refund_create__0.json": (1, 0, {}),
    "cassettes_easypost-python/test_refund_create__1.json": (1, 2, {"9400100208303109500775": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_all__0.json": (5, 10, LIST_PAGE_1),
    "cassettes_easypost-python/test_tracker_create__0.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_delete__0.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_get_next_page__0.json": (5, 10, LIST_PAGE_1),
    "cassettes_easypost-python/test_tracker_get_next_page__1.json": (
        5,
        10,
        {
            "9400100208303109500737": PRE_TRANSIT,
            "9400100208303109500720": PRE_TRANSIT,
            "9400100208303109500713": PRE_TRANSIT,
            "9434600208303109492683": PRE_TRANSIT,
            "EZ1000000001": PRE_TRANSIT,
        },
    ),
    "cassettes_easypost-python/test_tracker_retrieve__0.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_retrieve__1.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_retrieve_batch__0.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "cassettes_easypost-python/test_tracker_retrieve_batch__1.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/insurance/insurance-create.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/insurance/insurance-list.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/insurance/insurance-refund.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/insurance/insurance-retrieve.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/shipping-refund/shipping-refund-refund.json": (
        1,
        2,
        {"9405500208303109884199": PRE_TRANSIT},
    ),
    "docs_responses/trackers/trackers-create.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/trackers/trackers-list.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
    "docs_responses/trackers/trackers-retrieve.json": (1, 2, {"EZ1000000001": PRE_TRANSIT}),
}

# Event envelopes in the data: all tracker.created / batch.* events, recorded without a result.
EVENT_FILES = (
    "cassettes_easypost-python/test_event_all__0.json",
    "cassettes_easypost-python/test_event_get_next_page__0.json",
    "cassettes_easypost-python/test_event_get_next_page__1.json",
    "cassettes_easypost-python/test_event_retrieve__0.json",
    "cassettes_easypost-python/test_event_retrieve_all_payloads__2.json",
    "cassettes_easypost-python/test_event_retrieve_payload__2.json",
    "docs_responses/events/events-list.json",
    "docs_responses/events/events-retrieve.json",
)


@pytest.mark.shared_data
def test_trackers_are_found_in_exactly_the_listed_files():
    root = shared("easypost")
    with_trackers = {
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.json"))
        if path.name != "MANIFEST.json" and any(find_trackers(json.loads(path.read_text())))
    }
    assert with_trackers == set(TRACKER_FILES)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(TRACKER_FILES))
def test_shared_file_parses_to_expected_statuses(name):
    trackers, count, finals = TRACKER_FILES[name]
    body = load(name)

    facts = parse_payload(body)

    assert len(list(find_trackers(body))) == trackers
    assert len(facts) == count
    latest = {}
    for fact in sorted(facts, key=lambda f: f.sort_key):
        latest[fact.tracking_number] = fact.payload["subtag"]
    assert latest == {number: s.value for number, s in finals.items()}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(TRACKER_FILES))
def test_shared_file_facts_are_canonical_and_stable(name):
    body = load(name)
    facts, again = parse_payload(body), parse_payload(copy.deepcopy(body))

    assert [f.idempotency_key for f in facts] == [f.idempotency_key for f in again]
    assert len({f.idempotency_key for f in facts}) == len(facts)
    # The cassettes keep bodies as JSON text in some recordings: the same trackers are found.
    assert [f.idempotency_key for f in parse_payload(json.dumps(body))] == [f.idempotency_key for f in facts]
    for fact in facts:
        p = fact.payload
        assert fact.kind is FactKind.TRACKING_EVENT
        assert fact.source == "easypost"
        assert fact.order_ref is None
        assert fact.occurred_at.utcoffset() == timedelta(0)
        assert p["carrier"] == "usps"
        assert Subtag(p["subtag"]).tag is CarrierTag(p["tag"])
        assert fact.idempotency_key == content_key(
            "usps", fact.tracking_number, fact.occurred_at.isoformat(), p["raw_code"], p["location"]
        )


@pytest.mark.shared_data
def test_tracker_checkpoints_in_detail():
    tracker = load("docs_responses/trackers/trackers-retrieve.json")

    facts = parse_tracker(tracker)

    assert [(f.occurred_at, dict(f.payload)) for f in facts] == [
        (
            datetime(2025, 4, 9, 20, 40, 17, tzinfo=UTC),
            {
                "carrier": "usps",
                "tracking_number": "EZ1000000001",
                "tag": "info_received",
                "subtag": "info_received",
                "raw_code": "status_update",
                "raw_message": "Pre-Shipment Info Sent to USPS",
                "location": "",
                "estimated_delivery": "2025-05-09",
            },
        ),
        (
            datetime(2025, 4, 10, 9, 17, 17, tzinfo=UTC),
            {
                "carrier": "usps",
                "tracking_number": "EZ1000000001",
                "tag": "info_received",
                "subtag": "info_received",
                "raw_code": "status_update",
                "raw_message": "Shipping Label Created",
                "location": "HOUSTON, TX",
                "estimated_delivery": "2025-05-09",
            },
        ),
    ]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", EVENT_FILES)
def test_recorded_events_without_a_tracker_give_no_facts(name):
    body = load(name)
    events = (
        [body] if body.get("object") == "Event" else body.get("events") or body["response_body"]["events"]
    )

    assert events
    assert all(e["object"] == "Event" for e in events)
    assert [fact for e in events for fact in parse_event(e)] == []


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name",
    [
        "docs_responses/trackers/trackers-retrieve.json",
        "cassettes_easypost-python/test_tracker_retrieve__0.json",
    ],
)
def test_tracker_updated_event_gives_the_trackers_facts(name):
    body = load(name)
    tracker = body.get("response_body", body)
    envelope = {
        "object": "Event",
        "description": "tracker.updated",
        "mode": "test",
        "previous_attributes": {"status": "unknown"},
        "result": tracker,
    }

    facts = parse_event(envelope)

    assert facts
    assert facts == parse_tracker(tracker) == parse_payload(envelope)


def test_other_events_and_objects_give_no_facts():
    assert (
        parse_event({"object": "Event", "description": "batch.updated", "result": {"object": "Batch"}}) == []
    )
    assert parse_event({"object": "Event", "description": "tracker.updated"}) == []
    assert parse_event({"object": "Tracker"}) == []
    assert parse_tracker({"object": "Shipment"}) == []
    assert parse_tracker({"object": "Tracker", "tracking_code": None, "tracking_details": [{}]}) == []


# --- statuses from a tracker's own words (inline trackers) ---------------------------------------


def tracker(*details: dict, **extra) -> dict:
    return {
        "object": "Tracker",
        "tracking_code": "1Z999AA10123456784",
        "carrier": "UPS",
        "tracking_details": list(details),
        **extra,
    }


def detail(status: str, status_detail: str, message: str, when: str, **extra) -> dict:
    return {
        "object": "TrackingDetail",
        "status": status,
        "status_detail": status_detail,
        "message": message,
        "datetime": when,
        "tracking_location": {"city": "MEMPHIS", "state": "TN", "country": "US", "zip": "38118"},
        **extra,
    }


def test_delivered_signed_and_local_offsets():
    facts = parse_tracker(
        tracker(
            detail("in_transit", "arrived_at_facility", "Arrival Scan", "2025-01-02T10:00:00-06:00"),
            detail("delivered", "arrived_at_destination", "Delivered", "2025-01-03T09:30:00Z"),
            signed_by="J SMITH",
            est_delivery_date="2025-01-03T00:00:00Z",
            carrier_detail={"est_delivery_date_local": "2025-01-04"},
        )
    )

    assert [(f.occurred_at, f.payload["subtag"]) for f in facts] == [
        (datetime(2025, 1, 2, 16, 0, tzinfo=UTC), "in_transit.arrival_scan"),
        (datetime(2025, 1, 3, 9, 30, tzinfo=UTC), "delivered.signed"),
    ]
    assert {f.payload["carrier"] for f in facts} == {"ups"}
    assert {f.payload["location"] for f in facts} == {"MEMPHIS, TN, US"}
    assert {f.payload["estimated_delivery"] for f in facts} == {"2025-01-04"}


@pytest.mark.parametrize(
    ("status", "status_detail", "message", "expected"),
    [
        ("delivered", "status_update", "Delivered, Left with Neighbor", Subtag.DELIVERED_NEIGHBOUR),
        ("delivered", "status_update", "Picked up at Post Office", Subtag.DELIVERED_PICKED_UP),
        ("failure", "status_update", "Package damaged beyond repair", Subtag.EXCEPTION_DAMAGED),
        ("in_transit", "status_update", "Out for Delivery", Subtag.OUT_FOR_DELIVERY),
        ("in_transit", "weather_delay", "Weather delay", Subtag.EXCEPTION_DELAYED),
        ("return_to_sender", "return", "Return to Sender", Subtag.EXCEPTION_RETURN_TO_SENDER),
        ("in_transit", "status_update", "Delivered to neighbour", Subtag.IN_TRANSIT),  # words never deliver
    ],
)
def test_messages_sharpen_plain_statuses(status, status_detail, message, expected):
    facts = parse_tracker(tracker(detail(status, status_detail, message, "2025-01-02T10:00:00Z")))

    assert [f.payload["subtag"] for f in facts] == [expected.value]


def test_carrier_code_is_the_raw_code_when_given():
    facts = parse_tracker(
        tracker(
            detail(
                "in_transit", "departed_facility", "Departure Scan", "2025-01-02T10:00:00Z", carrier_code="DP"
            )
        )
    )

    assert [f.payload["raw_code"] for f in facts] == ["DP"]
