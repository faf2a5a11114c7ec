"""AfterShip adapter: fixtures modelled on the tracking webhook, every subtag, signature, errors, projection."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import project
from aftercart.domain.vocabulary import AFTERSHIP_SUBTAGS, AFTERSHIP_TAGS, CarrierTag, Stage, Subtag
from aftercart.integrations.aftership import AfterShipPayloadError, parse_webhook, verify_signature

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aftership"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def statuses(facts: list[Fact]) -> list[tuple[str, str]]:
    return [(f.payload["tag"], f.payload["subtag"]) for f in facts]


# --- fixtures -------------------------------------------------------------------------------------


def test_delivered_to_neighbour() -> None:
    facts = parse_webhook(fixture("tracking_updated_delivered.json"))
    assert statuses(facts) == [
        ("info_received", "info_received"),
        ("in_transit", "in_transit.accepted"),
        ("in_transit", "in_transit.departure_scan"),
        ("in_transit", "in_transit.arrival_scan"),
        ("out_for_delivery", "out_for_delivery"),
        ("delivered", "delivered.neighbour"),
    ]
    assert all(f.kind is FactKind.TRACKING_EVENT and f.source == "aftership" for f in facts)
    assert {f.order_ref for f in facts} == {"450789469"}
    assert {f.tracking_number for f in facts} == {"1Z001985YW99744790"}
    assert {f.payload["carrier"] for f in facts} == {"ups"}
    assert all("shipment_id" not in f.payload for f in facts)  # matched by tracking number
    last = facts[-1]
    assert last.occurred_at == datetime(2025, 7, 5, 17, 47, tzinfo=UTC)
    assert last.payload["raw_code"] == "KB"
    assert last.payload["raw_message"] == "DELIVERED - Left with neighbour at 94 Chestnut Street"
    assert last.payload["location"] == "Louisville, KY, US"
    assert last.payload["estimated_delivery"] == "2025-07-05"
    assert all("estimated_delivery" not in f.payload for f in facts[:-1])
    assert len({f.idempotency_key for f in facts}) == 6


def test_exception_lost_without_order_id() -> None:
    facts = parse_webhook(fixture("exception_lost.json"))
    assert statuses(facts)[-1] == ("exception", "exception.lost")
    assert len(facts) == 4
    assert {f.order_ref for f in facts} == {None}
    # spaces in the number go, as everywhere
    assert {f.tracking_number for f in facts} == {"9400111899223397746217"}
    # no "location" line: city, state, zip and country are joined
    assert facts[1].payload["location"] == "NEWARK, NJ, 07102, USA"
    assert facts[-1].payload["estimated_delivery"] == "2025-07-08"  # expected_delivery


def test_exception_damaged_uses_the_end_of_the_estimate_range() -> None:
    facts = parse_webhook(fixture("exception_damaged.json"))
    assert statuses(facts) == [("in_transit", "in_transit"), ("exception", "exception.damaged")]
    assert facts[-1].payload["estimated_delivery"] == "2025-07-14"
    assert facts[-1].order_ref == "1073459980"
    assert facts[-1].payload["carrier"] == "dhl"


def test_return_to_sender_then_returned() -> None:
    facts = parse_webhook(fixture("return_to_sender.json"))
    assert statuses(facts) == [
        ("attempt_fail", "attempt_fail.addressee_unavailable"),
        ("exception", "exception.return_to_sender"),
        ("exception", "exception.returned_to_sender"),
    ]
    assert facts[0].payload["carrier"] == "canadapost"


def test_attempt_fail_estimate_keeps_its_zone() -> None:
    facts = parse_webhook(fixture("attempt_fail.json"))
    assert statuses(facts)[-1] == ("attempt_fail", "attempt_fail.addressee_unavailable")
    # 20:00 at -04:00 is the 15th in UTC; the customer's day is the 14th
    assert facts[-1].payload["estimated_delivery"] == "2025-07-14T20:00:00-04:00"


def test_available_for_pickup() -> None:
    facts = parse_webhook(fixture("available_for_pickup.json"))
    assert statuses(facts)[-1] == ("available_for_pickup", "available_for_pickup")
    assert facts[-1].payload["carrier"] == "royal_mail"
    assert facts[-1].occurred_at == datetime(2025, 7, 12, 15, 45, tzinfo=UTC)


def test_no_checkpoints_gives_one_fact_for_the_current_tag() -> None:
    (fact,) = parse_webhook(fixture("pending_no_checkpoints.json"))
    assert (fact.payload["tag"], fact.payload["subtag"]) == ("pending", "pending")
    assert fact.payload["raw_code"] == "Pending_001"
    assert fact.order_ref == "820982911946154508"  # numeric order_id read as text
    assert fact.tracking_number == "1Z999AA10123456784"
    assert fact.occurred_at == datetime(2025, 7, 2, 17, tzinfo=UTC)  # msg.updated_at


def test_legacy_v4_payload() -> None:
    facts = parse_webhook(fixture("legacy_v4_in_transit.json"))
    assert statuses(facts) == [
        ("info_received", "info_received"),
        ("in_transit", "in_transit.departure_scan"),
    ]
    # no offset in legacy checkpoint times: read as UTC
    assert facts[0].occurred_at == datetime(2021, 1, 2, 0, 52, tzinfo=UTC)
    # country_iso3 stands in for country_region
    assert facts[0].payload["location"] == "LAS VEGAS, NV, 89119, USA"
    assert facts[-1].payload["estimated_delivery"] == "2021-01-08"


# --- every tag and subtag -------------------------------------------------------------------------


def with_checkpoint(tag: str, subtag: str) -> dict[str, Any]:
    body = copy.deepcopy(fixture("pending_no_checkpoints.json"))
    body["msg"].update(tag=tag, subtag=subtag)
    body["msg"]["checkpoints"] = [
        {"checkpoint_time": "2025-07-03T10:00:00+00:00", "message": subtag, "tag": tag, "subtag": subtag}
    ]
    return body


@pytest.mark.parametrize("code", sorted(AFTERSHIP_SUBTAGS), ids=str)
def test_every_aftership_subtag(code: str) -> None:
    camel = code.split("_")[0]
    (fact,) = parse_webhook(with_checkpoint(camel, code))
    assert fact.payload["tag"] == AFTERSHIP_TAGS[camel].value
    assert fact.payload["subtag"] == AFTERSHIP_SUBTAGS[code].value
    assert fact.payload["raw_code"] == code  # no raw_tag: the subtag code is the most precise


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Exception_013", Subtag.EXCEPTION_LOST),
        ("Exception_012", Subtag.EXCEPTION_DAMAGED),
        ("Exception_010", Subtag.EXCEPTION_RETURN_TO_SENDER),
        ("Exception_011", Subtag.EXCEPTION_RETURNED_TO_SENDER),
        ("AttemptFail_001", Subtag.ATTEMPT_FAIL_ADDRESSEE_UNAVAILABLE),
        ("Delivered_005", Subtag.DELIVERED_NEIGHBOUR),
        ("AvailableForPickup_001", Subtag.AVAILABLE_FOR_PICKUP),
        ("Exception_016", Subtag.EXCEPTION),  # newer than our table: the tag still holds
    ],
)
def test_named_subtags(code: str, expected: Subtag) -> None:
    (fact,) = parse_webhook(with_checkpoint(code.split("_")[0], code))
    assert fact.payload["subtag"] == expected.value
    assert fact.payload["tag"] == expected.tag.value


def test_current_tag_that_no_checkpoint_shows_is_added() -> None:
    # the merchant marked the parcel delivered in AfterShip: no new scan, new tag
    body = fixture("exception_damaged.json")
    body["msg"].update(tag="Delivered", subtag="Delivered_001", subtag_message="Delivered")
    facts = parse_webhook(body)
    assert statuses(facts)[-1] == ("delivered", "delivered")
    assert facts[-1].occurred_at == datetime(2025, 7, 10, 10, tzinfo=UTC)  # msg.updated_at


# --- idempotency ----------------------------------------------------------------------------------


def test_replayed_and_extended_webhooks_repeat_keys_for_old_checkpoints() -> None:
    body = fixture("tracking_updated_delivered.json")
    earlier = copy.deepcopy(body)
    earlier["event_id"] = "another-delivery"
    earlier["msg"]["checkpoints"] = earlier["msg"]["checkpoints"][:3]
    earlier["msg"].update(tag="InTransit", subtag="InTransit_007")
    old_keys = [f.idempotency_key for f in parse_webhook(earlier)]
    new_keys = [f.idempotency_key for f in parse_webhook(body)]
    assert new_keys[:3] == old_keys
    assert new_keys == [f.idempotency_key for f in parse_webhook(body)]
    assert all(key.startswith("aftership:") for key in new_keys)


def test_same_instant_in_another_zone_is_the_same_checkpoint() -> None:
    body = fixture("tracking_updated_delivered.json")
    other = copy.deepcopy(body)
    other["msg"]["checkpoints"][0]["checkpoint_time"] = "2025-07-02T18:05:00Z"
    assert parse_webhook(other)[0].idempotency_key == parse_webhook(body)[0].idempotency_key


def test_ts_is_the_fallback_time_for_the_current_tag() -> None:
    body = fixture("pending_no_checkpoints.json")
    del body["msg"]["updated_at"]
    (fact,) = parse_webhook(body)
    assert fact.occurred_at == datetime.fromtimestamp(1751475600, tz=UTC)


# --- errors ---------------------------------------------------------------------------------------


def broken(path: list[str | int], value: Any) -> dict[str, Any]:
    body: Any = fixture("tracking_updated_delivered.json")
    target = body
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ([], "body"),
        ({"ts": 1, "event": "tracking_update"}, "msg"),
        (broken(["msg"], "tracking"), "msg"),
        (broken(["msg", "tracking_number"], KeyError), "msg.tracking_number"),
        (broken(["msg", "tracking_number"], "  "), "msg.tracking_number"),
        (broken(["msg", "tracking_number"], {"n": 1}), "msg.tracking_number"),
        (broken(["msg", "checkpoints"], {"0": {}}), "msg.checkpoints"),
        (broken(["msg", "checkpoints", 2], "scan"), "msg.checkpoints[2]"),
        (broken(["msg", "checkpoints", 2, "checkpoint_time"], None), "msg.checkpoints[2].checkpoint_time"),
        (
            broken(["msg", "checkpoints", 2, "checkpoint_time"], "Tuesday"),
            "msg.checkpoints[2].checkpoint_time",
        ),
        (broken(["msg", "checkpoints", 1, "message"], ["a"]), "msg.checkpoints[1].message"),
        (
            broken(["msg", "latest_estimated_delivery", "datetime"], "soon"),
            "msg.latest_estimated_delivery.datetime",
        ),
        (broken(["msg", "order_id"], {"id": 1}), "msg.order_id"),
    ],
)
def test_malformed_payload_names_the_field(body: Any, field_name: str) -> None:
    with pytest.raises(AfterShipPayloadError) as error:
        parse_webhook(body)
    assert error.value.field == field_name
    assert field_name in str(error.value)


def test_missing_time_for_the_current_tag_names_ts() -> None:
    body = fixture("pending_no_checkpoints.json")
    del body["msg"]["updated_at"]
    del body["ts"]
    with pytest.raises(AfterShipPayloadError) as error:
        parse_webhook(body)
    assert error.value.field == "ts"


# --- signature ------------------------------------------------------------------------------------

SECRET = "as_webhook_secret"
BODY = b'{"event":"tracking_update"}'
GOOD = "RnOhF5BvZ1I0HX8ns8sniFeCSUkd1QzyA/zJLYOqDaw="  # openssl dgst -sha256 -hmac ... | base64


def test_signature_good() -> None:
    assert verify_signature(SECRET, BODY, GOOD)


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        (SECRET, BODY + b"\n", GOOD),
        ("other", BODY, GOOD),
        (SECRET, BODY, None),
        (SECRET, BODY, ""),
        (SECRET, BODY, "%%%"),
        (SECRET, BODY, "ü"),
        ("", BODY, GOOD),
    ],
    ids=["body", "secret", "missing", "empty", "garbled", "non-ascii", "no-secret"],
)
def test_signature_bad(secret: str, body: bytes, header: str | None) -> None:
    assert not verify_signature(secret, body, header)


# --- fit with the projection ----------------------------------------------------------------------


def shop_shipment(tracking_number: str, order_ref: str = "450789469") -> list[Fact]:
    """What the Shopify adapter reports for the order and its fulfillment, written out by hand."""
    at = datetime(2025, 7, 2, 16, 30, tzinfo=UTC)
    return [
        Fact(
            kind=FactKind.ORDER_PLACED,
            occurred_at=at,
            idempotency_key="shopify:order:placed",
            source="shopify",
            order_ref=order_ref,
            payload={"number": "#1001", "lines": [{"line_id": "466157049", "quantity": 1}]},
        ),
        Fact(
            kind=FactKind.SHIPMENT_CREATED,
            occurred_at=at,
            idempotency_key="shopify:fulfillment",
            source="shopify",
            order_ref=order_ref,
            tracking_number=tracking_number,
            payload={
                "shipment_id": "1069019871",
                "carrier": "ups",
                "tracking_number": tracking_number,
                "lines": [{"line_id": "466157049", "quantity": 1}],
            },
        ),
    ]


def test_aftership_scans_land_on_the_shops_shipment_and_deliver_the_order() -> None:
    facts = shop_shipment("1Z001985YW99744790") + parse_webhook(fixture("tracking_updated_delivered.json"))
    state = project(facts)
    assert list(state.shipments) == ["1069019871"]
    shipment = state.shipments["1069019871"]
    assert (shipment.tag, shipment.subtag) == (CarrierTag.DELIVERED, Subtag.DELIVERED_NEIGHBOUR)
    assert len(shipment.checkpoints) == 6
    assert shipment.delivered_at == datetime(2025, 7, 5, 17, 47, tzinfo=UTC)
    assert state.stage is Stage.POST_DELIVERY


@pytest.mark.parametrize(
    ("name", "stage", "tag"),
    [
        ("exception_lost.json", Stage.EXCEPTION, CarrierTag.EXCEPTION),
        ("exception_damaged.json", Stage.EXCEPTION, CarrierTag.EXCEPTION),
        ("return_to_sender.json", Stage.EXCEPTION, CarrierTag.EXCEPTION),
        ("attempt_fail.json", Stage.DELIVERY, CarrierTag.ATTEMPT_FAIL),
        ("legacy_v4_in_transit.json", Stage.IN_TRANSIT, CarrierTag.IN_TRANSIT),
    ],
)
def test_fixture_projects_to_stage(name: str, stage: Stage, tag: CarrierTag) -> None:
    body = fixture(name)
    number = body["msg"]["tracking_number"].replace(" ", "")
    state = project(shop_shipment(number) + parse_webhook(body), order_ref="450789469")
    (shipment,) = state.shipments.values()
    assert shipment.tag is tag
    assert state.stage is stage


def test_attempt_fail_estimate_is_the_customers_day() -> None:
    body = fixture("attempt_fail.json")
    state = project(shop_shipment("794612345678") + parse_webhook(body))
    assert str(state.shipments["1069019871"].estimated_delivery) == "2025-07-14"
