"""Shopify adapter: every real payload in ../shared/data/shopify, HMAC, errors, and fit with the projection."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import project
from aftercart.domain.vocabulary import CarrierTag, Stage, Subtag
from aftercart.integrations.shopify import (
    SHOPIFY_EVENT_STATUS,
    ShopifyPayloadError,
    UnsupportedTopic,
    parse_rest,
    parse_webhook,
    rest_payloads,
    shopify_event_status,
    verify_hmac,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SHOPIFY = SHARED / "shopify"
PY_FIXTURES = "shopify_python_api_fixtures"
REST = "rest_api_examples_2025-07"
WEBHOOK_SAMPLE = "webhook_samples/orders_webhook_test_notification_820982911946154508.json"


def load(relative: str) -> Any:
    """A shared Shopify file, or a skip when ../shared is not there."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data is absent (fresh clone): Shopify sample payloads are not available")
    return json.loads((SHOPIFY / relative).read_text())


def rest_example(resource: str, index: int) -> dict[str, Any]:
    """The response body of one example of a REST reference file."""
    return load(f"{REST}/{resource}.json")["examples"][index]["response_body"]


def of_kind(facts: list[Fact], kind: FactKind) -> list[Fact]:
    return [f for f in facts if f.kind is kind]


# --- orders ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderCase:
    """What an order resource must turn into."""

    order_ref: str
    number: str
    total: str
    email: str | None = None
    currency: str | None = "USD"
    quantities: list[int] | None = None  # None: the resource has no line_items at all
    cancel_reason: str | None = None
    shipments: list[str] = field(default_factory=list)
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None


BOB = "bob.norman@mail.example.com"
ORDER_1001 = OrderCase(
    "450789469",
    "#1001",
    "598.94",
    BOB,
    quantities=[1, 1, 1],
    postal_code="40202",
    country="US",
    phone="+557734881234",
)
ORDER_1001_CANCELLED = OrderCase(**{**ORDER_1001.__dict__, "cancel_reason": "other"})

#: Every example of order.json that carries an order (8, 9: counts; 33: DELETE, no body).
REST_ORDER_CASES: dict[int, OrderCase] = {
    0: ORDER_1001,
    1: ORDER_1001,
    2: OrderCase("450789469", "#1001", "598.94", currency=None),  # ?fields=created_at,id,name,total-price
    3: ORDER_1001,
    4: ORDER_1001,
    5: OrderCase("1073459969", "#1002", "199.00", quantities=[1]),
    7: ORDER_1001,
    10: ORDER_1001,
    11: ORDER_1001,
    12: ORDER_1001_CANCELLED,
    13: ORDER_1001_CANCELLED,
    14: ORDER_1001_CANCELLED,
    15: OrderCase("1073459976", "#1002", "238.47", currency="EUR", quantities=[3]),
    16: OrderCase(
        "1073459980",
        "#1002",
        "199.00",
        "jane@example.com",
        quantities=[1],
        postal_code="K2P 1L4",
        country="CA",
    ),
    17: OrderCase("1073459983", "#1002", "199.00", BOB, quantities=[1], phone="+16136120707"),
    18: OrderCase(
        "1073459972", "#1002", "199.00", "foo@example.com", quantities=[1], shipments=["1069019863"]
    ),
    19: OrderCase("1073459966", "#1002", "199.00", quantities=[1]),
    20: OrderCase("1073459975", "#1002", "199.00", "foo@example.com", quantities=[1]),
    21: OrderCase(
        "1073459970", "#1002", "199.00", "foo@example.com", quantities=[1], shipments=["1069019862"]
    ),
    22: OrderCase(
        "1073459981",
        "#1002",
        "181.09",
        "jane@example.com",
        quantities=[1],
        postal_code="K2P 1L4",
        country="CA",
        phone="+18885551234",
    ),
    23: OrderCase("1073459963", "#1002", "270.37", quantities=[1, 1, 2]),
    24: ORDER_1001,
    25: ORDER_1001,
    26: ORDER_1001,
    27: OrderCase(**{**ORDER_1001.__dict__, "email": "a-different@email.com"}),
    28: OrderCase(**{**ORDER_1001.__dict__, "phone": "+15145556677"}),
    29: ORDER_1001,
    30: ORDER_1001,
    31: ORDER_1001,
    32: ORDER_1001,
}


def assert_order(facts: list[Fact], case: OrderCase) -> None:
    placed = of_kind(facts, FactKind.ORDER_PLACED)
    assert len(placed) == 1
    fact = placed[0]
    assert fact.order_ref == case.order_ref
    assert fact.idempotency_key == f"shopify:order:{case.order_ref}:placed"
    assert fact.source == "shopify"
    p = fact.payload
    assert p["number"] == case.number
    assert p["total"] == case.total
    assert p.get("email") == case.email
    assert p.get("currency") == case.currency
    assert p.get("postal_code") == case.postal_code
    assert p.get("country") == case.country
    assert p.get("phone") == case.phone
    if case.quantities is None:
        assert "lines" not in p
    else:
        assert [line["quantity"] for line in p["lines"]] == case.quantities
        assert all(isinstance(line["line_id"], str) and line["line_id"] for line in p["lines"])
    cancelled = of_kind(facts, FactKind.ORDER_CANCELLED)
    assert [f.payload["reason"] for f in cancelled] == ([case.cancel_reason] if case.cancel_reason else [])
    shipments = of_kind(facts, FactKind.SHIPMENT_CREATED)
    assert [f.payload["shipment_id"] for f in shipments] == case.shipments
    assert all(f.order_ref == case.order_ref for f in facts)


@pytest.mark.shared_data
@pytest.mark.parametrize("index", sorted(REST_ORDER_CASES), ids=lambda i: f"order.json#{i}")
def test_rest_order_examples(index: int) -> None:
    assert_order(parse_rest(rest_example("order", index)), REST_ORDER_CASES[index])


@pytest.mark.shared_data
def test_rest_order_example_6_partial_fields_names_the_missing_timestamp() -> None:
    # GET /orders/450789469.json?fields=id,line_items,name,total_price: no created_at, so no
    # "placed" time; the error names the field rather than inventing a time.
    with pytest.raises(ShopifyPayloadError) as error:
        parse_rest(rest_example("order", 6))
    assert error.value.field == "created_at"


@pytest.mark.shared_data
@pytest.mark.parametrize("index", [8, 9, 33], ids=lambda i: f"order.json#{i}")
def test_rest_order_examples_without_an_order(index: int) -> None:
    # counts and the DELETE response carry no order resource
    assert parse_rest(rest_example("order", index)) == []


@pytest.mark.shared_data
def test_rest_order_line_fields() -> None:
    line = parse_rest(rest_example("order", 7))[0].payload["lines"][0]
    assert line == {
        "line_id": "466157049",
        "sku": "IPOD2008GREEN",
        "title": "IPod Nano - 8gb",
        "variant": "green",
        "quantity": 1,
        "unit_price": "199.00",
        "product_id": "632910392",
    }


@pytest.mark.shared_data
@pytest.mark.parametrize("index", [27, 28], ids=lambda i: f"customer.json#{i}")
def test_rest_customer_orders_examples(index: int) -> None:
    # GET /customers/207119551/orders.json: the same order resource, listed under a customer
    assert_order(parse_rest(rest_example("customer", index)), ORDER_1001)


@pytest.mark.shared_data
def test_python_api_order_fixture() -> None:
    facts = parse_rest(load(f"{PY_FIXTURES}/order.json"))
    # its only fulfillment has status "failure": nothing shipped
    assert_order(
        facts,
        OrderCase(
            "450789469",
            "#1001",
            "409.94",
            "bob.norman@hostmail.com",
            quantities=[1, 1, 1],
            postal_code="40202",
            country="US",
        ),
    )
    assert facts[0].payload["customer_name"] == "Bob Norman"
    assert [line["variant"] for line in facts[0].payload["lines"]] == ["green", "red", "black"]
    # Where the order went, under the names API orders use: a prepaid return label is bought there
    # (an empty address2 and a null company are left out).
    assert facts[0].payload["shipping_address"] == {
        "name": "Bob Norman",
        "street1": "Chestnut Street 92",
        "city": "Louisville",
        "state": "KY",
        "zip": "40202",
        "country": "US",
        "phone": "555-625-1199",
    }


@pytest.mark.shared_data
def test_python_api_orders_fixture() -> None:
    facts = parse_rest(load(f"{PY_FIXTURES}/orders.json"))
    assert_order(
        facts,
        OrderCase(
            "450789469",
            "#1001",
            "598.94",
            "bob.norman@hostmail.com",
            postal_code="40202",
            country="US",
            phone="+557734881234",
        ),
    )


SAMPLE = OrderCase(
    "820982911946154508",
    "#9999",
    "403.00",
    "jon@doe.ca",
    quantities=[1, 1],
    cancel_reason="customer",
    postal_code="40003",
    country="US",
)


@pytest.mark.shared_data
def test_webhook_sample_as_orders_create() -> None:
    facts = parse_webhook("orders/create", load(WEBHOOK_SAMPLE), "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    assert_order(facts, SAMPLE)
    p = facts[0].payload
    # the order's email wins over the customer record's; the customer's name over the address's
    assert p["customer_name"] == "John Smith"
    assert p["locale"] == "en"
    assert p["shipping_address"] == {
        "name": "Steve Shipper",
        "company": "Shipping Company",
        "street1": "123 Shipping Street",
        "city": "Shippington",
        "state": "KY",
        "zip": "40003",
        "country": "US",
        "phone": "555-555-SHIP",
    }
    assert facts[0].occurred_at.isoformat() == "2019-06-04T17:53:06+00:00"


@pytest.mark.shared_data
def test_webhook_sample_as_orders_updated() -> None:
    facts = parse_webhook("orders/updated", load(WEBHOOK_SAMPLE), "x")
    assert [f.kind for f in facts] == [FactKind.ORDER_UPDATED, FactKind.ORDER_CANCELLED]
    assert facts[0].idempotency_key == "shopify:order:820982911946154508:updated:2019-06-04T17:53:06Z"
    assert facts[0].payload["email"] == "jon@doe.ca"


@pytest.mark.shared_data
def test_webhook_sample_as_orders_cancelled() -> None:
    facts = parse_webhook("orders/cancelled", load(WEBHOOK_SAMPLE), "x")
    assert len(facts) == 1
    cancelled = facts[0]
    assert cancelled.kind is FactKind.ORDER_CANCELLED
    assert cancelled.payload == {"reason": "customer"}
    assert cancelled.idempotency_key == "shopify:order:820982911946154508:cancelled"
    assert cancelled.occurred_at.isoformat() == "2019-06-04T17:53:06+00:00"


def test_orders_cancelled_without_cancelled_at_is_refused_not_a_cancellation() -> None:
    # X-Shopify-Topic is not covered by the HMAC: the body says whether the order is cancelled.
    order = {"id": 7, "cancelled_at": None, "updated_at": "2025-01-02T03:04:05Z", "cancel_reason": None}
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook("orders/cancelled", order, "x")
    assert error.value.field == "cancelled_at"


# --- the topic header is not signed: the body decides -----------------------------------------------


@pytest.mark.shared_data
def test_a_signed_order_body_replayed_under_orders_cancelled_cancels_nothing() -> None:
    order = load(f"{PY_FIXTURES}/order.json")["order"]
    assert order["cancelled_at"] is None
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook("orders/cancelled", order, "replay")
    assert error.value.field == "cancelled_at"
    for topic in ("orders/create", "orders/updated"):
        assert of_kind(parse_webhook(topic, order, "x"), FactKind.ORDER_CANCELLED) == []


@pytest.mark.shared_data
@pytest.mark.parametrize("topic", ["orders/create", "orders/updated"])
def test_an_order_body_is_cancelled_by_its_cancelled_at_whatever_the_topic(topic: str) -> None:
    (cancelled,) = of_kind(parse_webhook(topic, load(WEBHOOK_SAMPLE), "x"), FactKind.ORDER_CANCELLED)
    assert cancelled.occurred_at.isoformat() == "2019-06-04T17:53:06+00:00"


@pytest.mark.shared_data
@pytest.mark.parametrize("topic", ["orders/create", "orders/updated", "orders/cancelled"])
@pytest.mark.parametrize(
    ("fixture", "key", "field_name"),
    [
        ("fulfillment.json", "fulfillment", "order_id"),
        ("fulfillment_event.json", "fulfillment_event", "order_id"),
        ("draft_order.json", "draft_order", "order_id"),
        ("transaction.json", "transaction", "order_id"),
    ],
)
def test_another_resource_under_an_order_topic_is_refused(
    topic: str, fixture: str, key: str, field_name: str
) -> None:
    body = load(f"{PY_FIXTURES}/{fixture}")[key]
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook(topic, body, "x")
    assert error.value.field == field_name


@pytest.mark.shared_data
@pytest.mark.parametrize("topic", ["orders/create", "orders/updated", "orders/cancelled"])
@pytest.mark.parametrize(
    ("body_of", "field_name"),
    [
        (lambda: load(f"{PY_FIXTURES}/checkouts.json")["checkouts"][0], "abandoned_checkout_url"),
        (lambda: load(f"{PY_FIXTURES}/customer.json")["customer"], "orders_count"),
        (lambda: rest_example("customer", 0)["customers"][0], "orders_count"),
    ],
    ids=["checkout", "customer", "rest customer"],
)
def test_a_checkout_or_customer_under_an_order_topic_is_refused_not_a_phantom_order(
    topic: str, body_of: Any, field_name: str
) -> None:
    # Signed by the same secret, they carry an id, line items or an e-mail address like an order:
    # read as one, each made an order nobody placed.
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook(topic, body_of(), "x")
    assert error.value.field == field_name
    assert "whatever X-Shopify-Topic says" in error.value.message


@pytest.mark.shared_data
@pytest.mark.parametrize("topic", ["fulfillments/create", "fulfillments/update"])
def test_a_fulfillment_event_under_a_fulfillment_topic_is_refused(topic: str) -> None:
    body = load(f"{PY_FIXTURES}/fulfillment_event.json")["fulfillment_event"]
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook(topic, body, "x")
    assert error.value.field == "fulfillment_id"


def test_email_falls_back_to_contact_email_then_customer_and_is_lowercased() -> None:
    base = {"id": 1, "created_at": "2025-01-01T00:00:00Z"}
    assert parse_webhook("orders/create", {**base, "email": "", "contact_email": "A@B.CO"})[0].payload[
        "email"
    ] == ("a@b.co")
    with_customer = {**base, "email": None, "customer": {"email": "Cust@Example.COM"}}
    assert parse_webhook("orders/create", with_customer)[0].payload["email"] == "cust@example.com"


def test_billing_address_is_the_fallback_for_postal_code_and_country() -> None:
    order = {
        "id": 1,
        "created_at": "2025-01-01T00:00:00Z",
        "billing_address": {"zip": "1011 AB", "country_code": "nl"},
    }
    p = parse_webhook("orders/create", order)[0].payload
    assert (p["postal_code"], p["country"]) == ("1011 AB", "NL")
    assert "shipping_address" not in p, "the billing address is not where the parcel went"


def test_shipping_address_keeps_both_street_lines_and_refuses_a_non_string() -> None:
    base = {"id": 1, "created_at": "2025-01-01T00:00:00Z"}
    shipping = {"address1": "Keizersgracht 1", "address2": "3 hoog", "zip": "1015 CJ", "country_code": "nl"}
    p = parse_webhook("orders/create", {**base, "shipping_address": shipping})[0].payload
    assert p["shipping_address"] == {
        "street1": "Keizersgracht 1",
        "street2": "3 hoog",
        "zip": "1015 CJ",
        "country": "NL",
    }
    with pytest.raises(ShopifyPayloadError) as refused:
        parse_webhook("orders/create", {**base, "shipping_address": {"address1": ["x"]}})
    assert refused.value.field == "shipping_address.address1"


# --- fulfillments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FulfillmentCase:
    """What a fulfillment resource must turn into; ``None`` in the table: nothing shipped."""

    shipment_id: str
    tracking_number: str | None
    carrier: str | None
    lines: dict[str, int]
    occurred_at: str


#: Every example of fulfillment.json (3 is a count). 0 and 4 have status "failure", 12 "cancelled".
REST_FULFILLMENT_CASES: dict[int, FulfillmentCase | None] = {
    0: None,
    1: FulfillmentCase(
        "1069019878", "123456789", "my_custom_shipping_company", {"518995019": 1}, "2025-07-02T16:38:43+00:00"
    ),
    # the reference's deliberately odd number: whitespace goes, symbols stay
    2: FulfillmentCase("1069019880", "#☠1☢---4321", "ups", {"1071823219": 1}, "2025-07-02T16:38:15+00:00"),
    4: None,
    5: FulfillmentCase("1069019877", "MS1562678", None, {"1071823216": 1}, "2025-07-02T16:38:43+00:00"),
    6: FulfillmentCase(
        "1069019871", "1Z001985YW99744790", "ups", {"1071823210": 1}, "2025-07-02T16:38:40+00:00"
    ),
    7: FulfillmentCase("1069019873", "MS1562678", None, {"1071823212": 1}, "2025-07-02T16:38:41+00:00"),
    8: FulfillmentCase(
        "1069019868", "1Z001985YW99744790", "ups", {"1071823206": 1}, "2025-07-02T16:38:38+00:00"
    ),
    9: FulfillmentCase("1069019875", None, None, {"1071823214": 1}, "2025-07-02T16:38:42+00:00"),
    # update_tracking: the version is updated_at (11:38:39), not created_at (11:38:15)
    10: FulfillmentCase(
        "1069019869", "1Z001985YW99744790", "ups", {"1071823207": 1}, "2025-07-02T16:38:39+00:00"
    ),
    11: FulfillmentCase("1069019866", "1111", None, {"1071823203": 1}, "2025-07-02T16:38:37+00:00"),
    12: None,
}


def assert_fulfillment(facts: list[Fact], case: FulfillmentCase | None, order_ref: str) -> None:
    if case is None:
        assert facts == []
        return
    (fact,) = facts
    assert fact.kind is FactKind.SHIPMENT_CREATED
    assert fact.order_ref == order_ref
    assert fact.tracking_number == case.tracking_number
    p = fact.payload
    assert p["shipment_id"] == case.shipment_id
    assert p.get("tracking_number") == case.tracking_number
    assert p.get("carrier") == case.carrier
    assert {line["line_id"]: line["quantity"] for line in p["lines"]} == case.lines
    assert fact.occurred_at.isoformat() == case.occurred_at
    stamp = case.occurred_at.replace("+00:00", "Z")
    assert fact.idempotency_key == f"shopify:fulfillment:{case.shipment_id}:{stamp}"


@pytest.mark.shared_data
@pytest.mark.parametrize("index", sorted(REST_FULFILLMENT_CASES), ids=lambda i: f"fulfillment.json#{i}")
def test_rest_fulfillment_examples(index: int) -> None:
    assert_fulfillment(
        parse_rest(rest_example("fulfillment", index)), REST_FULFILLMENT_CASES[index], "450789469"
    )


@pytest.mark.shared_data
def test_rest_fulfillment_example_3_is_a_count() -> None:
    assert parse_rest(rest_example("fulfillment", 3)) == []


@pytest.mark.shared_data
@pytest.mark.parametrize("topic", ["fulfillments/create", "fulfillments/update"])
def test_python_api_fulfillment_fixture(topic: str) -> None:
    body = load(f"{PY_FIXTURES}/fulfillment.json")["fulfillment"]
    # status "pending" (legacy fulfillment service): the fulfillment exists with its lines
    case = FulfillmentCase(
        "255858046", "1Z2345", "null_company", {"466157049": 1}, "2013-11-01T20:06:08+00:00"
    )
    facts = parse_webhook(topic, body, "w-1")
    assert_fulfillment(facts, case, "450789469")
    assert facts[0].payload["tracking_url"] == "http://www.google.com/search?q=1Z2345"


@pytest.mark.shared_data
@pytest.mark.parametrize("status", ["cancelled", "error", "failure"])
def test_fulfillments_that_did_not_ship_emit_nothing(status: str) -> None:
    body = {**rest_example("fulfillment", 6)["fulfillment"], "status": status}
    assert parse_webhook("fulfillments/update", body, "x") == []


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("shipment_status", "tag", "subtag"),
    [
        ("label_printed", CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
        ("label_purchased", CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
        ("confirmed", CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
        ("in_transit", CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT),
        ("out_for_delivery", CarrierTag.OUT_FOR_DELIVERY, Subtag.OUT_FOR_DELIVERY),
        ("attempted_delivery", CarrierTag.ATTEMPT_FAIL, Subtag.ATTEMPT_FAIL),
        ("ready_for_pickup", CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
        ("delivered", CarrierTag.DELIVERED, Subtag.DELIVERED),
        ("failure", CarrierTag.EXCEPTION, Subtag.EXCEPTION),
    ],
)
def test_fulfillment_shipment_status_adds_a_tracking_event(
    shipment_status: str, tag: CarrierTag, subtag: Subtag
) -> None:
    body = {**rest_example("fulfillment", 6)["fulfillment"], "shipment_status": shipment_status}
    shipment, event = parse_webhook("fulfillments/update", body, "x")
    assert shipment.kind is FactKind.SHIPMENT_CREATED
    assert event.kind is FactKind.TRACKING_EVENT
    assert (event.payload["tag"], event.payload["subtag"]) == (tag.value, subtag.value)
    assert event.payload["shipment_id"] == "1069019871"
    assert event.payload["tracking_number"] == "1Z001985YW99744790"
    assert event.payload["raw_code"] == shipment_status
    assert event.idempotency_key == f"shopify:fulfillment:1069019871:shipment_status:{shipment_status}"


# --- fulfillment events ---------------------------------------------------------------------------

#: fulfillment_event.json: examples 0–2 are in_transit events of fulfillment 255858046; 3 is a DELETE.
REST_EVENT_IDS = {0: "944956392", 1: "944956394", 2: "944956391"}


@pytest.mark.shared_data
@pytest.mark.parametrize("index", sorted(REST_EVENT_IDS), ids=lambda i: f"fulfillment_event.json#{i}")
def test_rest_fulfillment_event_examples(index: int) -> None:
    (fact,) = parse_rest(rest_example("fulfillment_event", index))
    assert fact.kind is FactKind.TRACKING_EVENT
    assert fact.order_ref == "450789469"
    assert fact.idempotency_key == f"shopify:fulfillment_event:{REST_EVENT_IDS[index]}"
    assert fact.payload["shipment_id"] == "255858046"
    assert (fact.payload["tag"], fact.payload["subtag"]) == ("in_transit", "in_transit")
    assert fact.payload["raw_code"] == "in_transit"


@pytest.mark.shared_data
def test_rest_fulfillment_event_example_3_is_a_delete() -> None:
    assert parse_rest(rest_example("fulfillment_event", 3)) == []


@pytest.mark.shared_data
def test_python_api_fulfillment_event_fixture() -> None:
    body = load(f"{PY_FIXTURES}/fulfillment_event.json")["fulfillment_event"]
    (fact,) = parse_webhook("fulfillment_events/create", body, "w-2")
    assert fact.order_ref == "2776493818019"
    assert fact.payload["shipment_id"] == "2608403447971"
    assert (fact.payload["tag"], fact.payload["subtag"]) == ("info_received", "info_received")
    assert fact.payload["raw_code"] == "label_printed"
    assert fact.occurred_at.isoformat() == "2021-01-25T21:32:23+00:00"
    assert fact.idempotency_key == "shopify:fulfillment_event:12584341209251"


def test_fulfillment_event_location_message_and_estimate() -> None:
    event = {
        "id": 1,
        "fulfillment_id": 2,
        "order_id": 3,
        "status": "out_for_delivery",
        "message": "With the courier",
        "happened_at": "2025-07-05T07:32:00-04:00",
        "city": "Louisville",
        "province": "Kentucky",
        "zip": "40202",
        "country": "United States",
        "estimated_delivery_at": "2025-07-05T20:00:00-04:00",
    }
    (fact,) = parse_webhook("fulfillment_events/create", event, "x")
    assert fact.payload["location"] == "Louisville, Kentucky, 40202, United States"
    assert fact.payload["raw_message"] == "With the courier"
    # kept in the carrier's zone: in UTC it would be the next day
    assert fact.payload["estimated_delivery"] == "2025-07-05T20:00:00-04:00"


# --- out of scope: named, and proved to yield nothing ---------------------------------------------

OUT_OF_SCOPE_FIXTURES = [
    "carrier_service.json",
    "carts.json",
    "checkouts.json",
    "customer.json",
    "customers_search.json",
    "dispute.json",
    "disputes.json",
    "draft_order.json",
    "draft_order_completed.json",
    "events.json",
    "fulfillment_service.json",
    "gift_card.json",
    "location.json",
    "locations.json",
    "order_risk.json",
    "order_risks.json",
    "refund.json",
    "refund_calculate.json",
    "shipping_zones.json",
    "tender_transactions.json",
    "transaction.json",
]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", OUT_OF_SCOPE_FIXTURES)
def test_out_of_scope_python_api_fixtures_yield_no_facts(name: str) -> None:
    assert rest_payloads(load(f"{PY_FIXTURES}/{name}")) == []


@pytest.mark.shared_data
def test_transactions_fixture_is_not_a_response_object() -> None:
    # transactions.json is a bare list, not a REST response body
    with pytest.raises(ShopifyPayloadError) as error:
        parse_rest(load(f"{PY_FIXTURES}/transactions.json"))
    assert error.value.field == "body"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name",
    [
        "assigned_fulfillment_order.json",
        "cancellation_request.json",
        "draft_order.json",
        "fulfillment_order.json",
        "fulfillment_request.json",
        "order_risk.json",
        "refund.json",
        "transaction.json",
    ],
)
def test_out_of_scope_rest_examples_yield_no_facts(name: str) -> None:
    for example in load(f"{REST}/{name}")["examples"]:
        assert parse_rest(example["response_body"]) == []


# --- statuses -------------------------------------------------------------------------------------

#: FulfillmentEventStatus in the Admin API (GraphQL spelling), 2025-10.
DOCUMENTED_EVENT_STATUSES = {
    "ATTEMPTED_DELIVERY": (CarrierTag.ATTEMPT_FAIL, Subtag.ATTEMPT_FAIL),
    "CARRIER_PICKED_UP": (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT_ACCEPTED),
    "CONFIRMED": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "DELAYED": (CarrierTag.EXCEPTION, Subtag.EXCEPTION_DELAYED),
    "DELIVERED": (CarrierTag.DELIVERED, Subtag.DELIVERED),
    "FAILURE": (CarrierTag.EXCEPTION, Subtag.EXCEPTION),
    "IN_TRANSIT": (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT),
    "LABEL_PRINTED": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "LABEL_PURCHASED": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "OUT_FOR_DELIVERY": (CarrierTag.OUT_FOR_DELIVERY, Subtag.OUT_FOR_DELIVERY),
    "PICKED_UP": (CarrierTag.DELIVERED, Subtag.DELIVERED_PICKED_UP),
    "READY_FOR_PICKUP": (CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
}


@pytest.mark.parametrize("status", sorted(DOCUMENTED_EVENT_STATUSES))
def test_every_documented_event_status_is_mapped(status: str) -> None:
    assert status.lower() in SHOPIFY_EVENT_STATUS
    assert shopify_event_status(status) == DOCUMENTED_EVENT_STATUSES[status]
    assert shopify_event_status(status.lower()) == DOCUMENTED_EVENT_STATUSES[status]


@pytest.mark.parametrize("status", sorted(SHOPIFY_EVENT_STATUS))
def test_mapped_subtags_belong_to_their_tag(status: str) -> None:
    tag, subtag = SHOPIFY_EVENT_STATUS[status]
    assert subtag.tag is tag


@pytest.mark.parametrize(
    ("status", "tag"),
    [
        ("returning_to_sender", CarrierTag.EXCEPTION),
        ("ready_for_recipient_pickup", CarrierTag.AVAILABLE_FOR_PICKUP),
        ("buyer_action_required", CarrierTag.EXCEPTION),
    ],
)
def test_unstable_api_statuses(status: str, tag: CarrierTag) -> None:
    assert shopify_event_status(status)[0] is tag


@pytest.mark.parametrize("status", [None, "", "teleported"])
def test_unknown_event_status_is_pending(status: str | None) -> None:
    assert shopify_event_status(status) == (CarrierTag.PENDING, Subtag.PENDING)


# --- idempotency ----------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_keys_do_not_depend_on_the_webhook_id() -> None:
    order = load(WEBHOOK_SAMPLE)
    first = parse_webhook("orders/updated", order, "delivery-1")
    again = parse_webhook("orders/updated", order, "delivery-2")
    assert [f.idempotency_key for f in first] == [f.idempotency_key for f in again]


@pytest.mark.shared_data
def test_embedded_and_standalone_fulfillment_are_one_fact() -> None:
    order = rest_example("order", 18)["order"]
    embedded = of_kind(parse_webhook("orders/updated", order, "a"), FactKind.SHIPMENT_CREATED)
    standalone = parse_webhook("fulfillments/create", order["fulfillments"][0], "b")
    assert [f.idempotency_key for f in embedded] == [f.idempotency_key for f in standalone]


@pytest.mark.shared_data
def test_a_new_version_of_an_order_is_a_new_fact_and_the_same_instant_in_another_zone_is_not() -> None:
    order = rest_example("order", 24)["order"]
    before = parse_webhook("orders/updated", order, "x")[0].idempotency_key
    later = parse_webhook("orders/updated", {**order, "updated_at": "2025-07-02T11:40:00-05:00"}, "x")
    same = parse_webhook("orders/updated", {**order, "updated_at": "2025-07-02T16:31:18Z"}, "x")
    assert before == "shopify:order:450789469:updated:2025-07-02T16:31:18Z"
    assert later[0].idempotency_key != before
    assert same[0].idempotency_key == before


# --- errors ---------------------------------------------------------------------------------------

ORDER = {"id": 1, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
FULFILLMENT = {"id": 2, "order_id": 1, "status": "success", "created_at": "2025-01-01T00:00:00Z"}
EVENT = {
    "id": 3,
    "fulfillment_id": 2,
    "order_id": 1,
    "status": "in_transit",
    "happened_at": "2025-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("topic", "body", "field_name"),
    [
        ("orders/create", {"created_at": "2025-01-01T00:00:00Z"}, "id"),
        ("orders/create", {**ORDER, "id": None}, "id"),
        ("orders/create", {**ORDER, "id": True}, "id"),
        ("orders/create", {**ORDER, "id": {"gid": 1}}, "id"),
        ("orders/create", {"id": 1}, "created_at"),
        ("orders/create", {**ORDER, "created_at": "yesterday"}, "created_at"),
        ("orders/create", {**ORDER, "created_at": 1735689600}, "created_at"),
        ("orders/updated", {"id": 1, "created_at": "2025-01-01T00:00:00Z"}, "updated_at"),
        ("orders/create", {**ORDER, "total_price": "lots"}, "total_price"),
        ("orders/create", {**ORDER, "total_price": {"amount": "1.00"}}, "total_price"),
        ("orders/create", {**ORDER, "email": ["a@b.c"]}, "email"),
        ("orders/create", {**ORDER, "customer": "bob"}, "customer"),
        ("orders/create", {**ORDER, "line_items": {"id": 1}}, "line_items"),
        ("orders/create", {**ORDER, "line_items": ["x"]}, "line_items[0]"),
        (
            "orders/create",
            {**ORDER, "line_items": [{"id": 9, "quantity": 1}, {"quantity": 1}]},
            "line_items[1].id",
        ),
        ("orders/create", {**ORDER, "line_items": [{"id": 9, "quantity": "two"}]}, "line_items[0].quantity"),
        ("orders/create", {**ORDER, "line_items": [{"id": 9, "quantity": -1}]}, "line_items[0].quantity"),
        (
            "orders/create",
            {**ORDER, "line_items": [{"id": 9, "quantity": 1, "price": "?"}]},
            "line_items[0].price",
        ),
        ("orders/updated", {**ORDER, "fulfillments": [{"status": "success"}]}, "fulfillments[0].id"),
        ("orders/cancelled", {"id": 1}, "cancelled_at"),
        ("fulfillments/create", {**FULFILLMENT, "id": None}, "id"),
        ("fulfillments/create", {**FULFILLMENT, "order_id": None}, "order_id"),
        ("fulfillments/create", {**FULFILLMENT, "created_at": None}, "updated_at"),
        ("fulfillments/update", {**FULFILLMENT, "line_items": [{"quantity": 1}]}, "line_items[0].id"),
        ("fulfillments/update", {**FULFILLMENT, "tracking_numbers": "1Z"}, "tracking_numbers"),
        ("fulfillment_events/create", {**EVENT, "fulfillment_id": None}, "fulfillment_id"),
        ("fulfillment_events/create", {**EVENT, "order_id": None}, "order_id"),
        ("fulfillment_events/create", {**EVENT, "status": None}, "status"),
        ("fulfillment_events/create", {**EVENT, "happened_at": "soon"}, "happened_at"),
        ("fulfillment_events/create", {**EVENT, "estimated_delivery_at": "soon"}, "estimated_delivery_at"),
        ("orders/create", ["not", "an", "object"], "body"),
    ],
)
def test_malformed_payload_names_the_field(topic: str, body: Any, field_name: str) -> None:
    with pytest.raises(ShopifyPayloadError) as error:
        parse_webhook(topic, body, "x")
    assert error.value.field == field_name
    assert field_name in str(error.value)


@pytest.mark.parametrize("topic", ["products/create", "orders/paid", "refunds/create", "", "orders"])
def test_unsupported_topic(topic: str) -> None:
    with pytest.raises(UnsupportedTopic) as error:
        parse_webhook(topic, ORDER, "x")
    assert error.value.topic == topic


def test_topic_is_read_case_insensitively() -> None:
    assert parse_webhook(" Orders/Create ", ORDER, "x")[0].kind is FactKind.ORDER_PLACED


def test_numeric_strings_are_accepted_for_ids_and_quantities() -> None:
    order = {**ORDER, "id": "42", "line_items": [{"id": "7", "quantity": "2", "price": 9.5}]}
    fact = parse_webhook("orders/create", order, "x")[0]
    assert fact.order_ref == "42"
    assert fact.payload["lines"] == [{"line_id": "7", "quantity": 2, "unit_price": "9.5"}]


# --- HMAC -----------------------------------------------------------------------------------------

SECRET = "shpss_test_secret"
BODY = b'{"id":820982911946154508,"email":"jon@doe.ca"}'
GOOD = "ydL79GgFis+45WlpB77OS7dfcX+8t6iObguHVHAAEPc="  # openssl dgst -sha256 -hmac ... | base64


def test_hmac_good() -> None:
    assert verify_hmac(SECRET, BODY, GOOD)
    assert verify_hmac(SECRET, BODY, f" {GOOD}\n")


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        (SECRET, BODY + b" ", GOOD),  # body changed
        ("other", BODY, GOOD),  # wrong secret
        (SECRET, BODY, GOOD[:-4] + "AAA="),  # wrong digest
        (SECRET, BODY, None),  # missing
        (SECRET, BODY, ""),  # empty
        (SECRET, BODY, "not base64 at all!"),  # garbled
        (SECRET, BODY, "é☃"),  # not even ASCII
        ("", BODY, GOOD),  # unconfigured secret never verifies
    ],
    ids=["body", "secret", "digest", "missing", "empty", "garbled", "non-ascii", "no-secret"],
)
def test_hmac_bad(secret: str, body: bytes, header: str | None) -> None:
    assert not verify_hmac(secret, body, header)


# --- fit with the projection ----------------------------------------------------------------------


@pytest.mark.shared_data
def test_order_fulfillment_and_events_project_to_in_transit() -> None:
    facts = parse_rest(load(f"{PY_FIXTURES}/order.json"))
    facts += parse_webhook("fulfillments/create", load(f"{PY_FIXTURES}/fulfillment.json")["fulfillment"], "a")
    for index in REST_EVENT_IDS:
        facts += parse_rest(rest_example("fulfillment_event", index))
    state = project(facts + facts)  # duplicates change nothing

    assert state.order_ref == "450789469"
    assert state.number == "#1001"
    assert state.total == Decimal("409.94")
    assert state.email == "bob.norman@hostmail.com"
    assert state.stage is Stage.IN_TRANSIT
    assert list(state.shipments) == ["255858046"]
    shipment = state.shipments["255858046"]
    assert shipment.tag is CarrierTag.IN_TRANSIT
    assert shipment.tracking_number == "1Z2345"
    assert len(shipment.checkpoints) == 3
    assert {line_id: line.shipped_quantity for line_id, line in state.lines.items()} == {
        "466157049": 1,
        "518995019": 0,
        "703073504": 0,
    }


@pytest.mark.shared_data
def test_fully_shipped_order_delivered_projects_to_post_delivery() -> None:
    order = rest_example("order", 18)["order"]
    event = copy.deepcopy(rest_example("fulfillment_event", 1)["fulfillment_event"])
    event.update(id=1, fulfillment_id=1069019863, order_id=1073459972, status="delivered")
    event.update(happened_at="2025-07-04T10:00:00-05:00")
    facts = parse_webhook("orders/create", order, "a") + parse_webhook(
        "fulfillment_events/create", event, "b"
    )
    state = project(facts)
    assert state.shipments["1069019863"].tag is CarrierTag.DELIVERED
    assert state.lines["1071823184"].shipped_quantity == 1
    assert state.stage is Stage.POST_DELIVERY


@pytest.mark.shared_data
def test_out_for_delivery_shipment_status_projects_to_delivery() -> None:
    fulfillment = {**rest_example("fulfillment", 6)["fulfillment"], "shipment_status": "out_for_delivery"}
    state = project(parse_webhook("fulfillments/update", fulfillment, "x"))
    assert state.stage is Stage.DELIVERY
    assert state.shipments["1069019871"].tag is CarrierTag.OUT_FOR_DELIVERY


@pytest.mark.shared_data
def test_cancelled_webhook_sample_projects_to_cancelled() -> None:
    sample = load(WEBHOOK_SAMPLE)
    facts = parse_webhook("orders/create", sample, "a") + parse_webhook("orders/cancelled", sample, "b")
    state = project(facts)
    assert state.stage is Stage.CANCELLED
    assert state.cancel_reason == "customer"
    assert state.fact_count == 2  # the cancellation in both webhooks is one fact
