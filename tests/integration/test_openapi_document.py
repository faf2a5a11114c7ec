"""The OpenAPI document tells the truth (issue 11): one test per mismatch schemathesis found, each
checking the document and the server together, so that neither drifts back alone."""

from __future__ import annotations

import re

import pytest
from jsonschema_rs import validator_for

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.domain.vocabulary import AFTERSHIP_TAGS, CarrierTag

pytestmark = pytest.mark.django_db

ORDER = {"order_id": "1001", "placed_at": "2026-03-02T09:00:00Z", "lines": [{"line_id": "L1"}]}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def component(document, name):
    """A component with its ``$ref``s resolvable (a validator over the whole document)."""
    return {**document["components"]["schemas"][name], "components": document["components"]}


def valid(document, name, instance) -> bool:
    return validator_for(component(document, name)).is_valid(instance)


def test_every_operation_documents_its_error_answers_as_problems(document):
    operations = [(p, m, op) for p, item in document["paths"].items() for m, op in item.items()]
    assert len(operations) > 30
    for path, method, op in operations:
        responses = op["responses"]
        assert {"400", "401", "422"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for status, response in responses.items():
            if status.startswith("4"):
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]


def test_refusals_an_endpoint_meets_are_documented(document):
    paths = document["paths"]
    assert "409" in paths["/api/v1/orders/{order_id}/cancel"]["post"]["responses"]
    assert {"404", "409", "422"} <= set(paths["/api/v1/returns"]["post"]["responses"])
    assert "404" in paths["/api/v1/notifications/templates"]["delete"]["responses"]


def test_a_401_answer_matches_the_documented_problem(client, document):
    answer = client.get("/api/v1/orders")
    assert answer.status_code == 401 and answer["Content-Type"] == "application/problem+json"
    assert valid(document, "Problem", answer.json())


def test_tracking_tags_are_an_enum_of_exactly_what_the_server_takes(api, document):
    tags = component(document, "TrackingEventIn")["properties"]["tag"]["enum"]
    assert set(tags) == set(AFTERSHIP_TAGS) | {t.value for t in CarrierTag}
    event = {"kind": "tracking.event", "tracking_number": "1Z1", "occurred_at": "2026-03-02T09:00:00Z"}
    assert api.post("/api/v1/events", {**event, "tag": "InTransit"}).status_code == 202
    assert api.post("/api/v1/events", {**event, "tag": "teleported"}).status_code == 400


@pytest.mark.parametrize(
    ("amount", "fits"),
    [("120.00", True), ("9999999999.9999", True), (12.5, True), ("1.23456", False), ("12345678901", False)],
)
def test_amounts_the_document_allows_are_the_amounts_the_server_takes(api, document, amount, fits):
    line = {"line_id": "L1", "unit_price": amount}
    assert valid(document, "LineIn", line) is fits
    answer = api.post("/api/v1/orders", {**ORDER, "lines": [line]})
    assert answer.status_code == (201 if fits else 400), answer.content


def test_template_channels_and_milestones_are_enums(document):
    properties = component(document, "TemplateIn")["properties"]
    assert properties["channel"]["enum"] == ["email", "sms"]
    assert properties["milestone"]["enum"] == [m.value for m in Milestone]
    journey = component(document, "JourneyIn")["properties"]["channels"]
    assert journey["propertyNames"]["enum"] == [c.value for c in Channel]


def test_a_template_that_fits_the_document_but_not_the_rules_is_a_422(api):
    answer = api.post(
        "/api/v1/notifications/templates",
        {"channel": "email", "milestone": "shipped", "body": "{% if %}"},
        REQUEST_METHOD="PUT",
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "body"


def test_an_inventory_item_must_name_itself_in_the_document_too(api, document):
    assert not valid(document, "StockIn", {"available": 3})
    assert valid(document, "StockIn", {"sku": "JKT-M", "available": 3})
    assert valid(document, "StockIn", {"product_id": "P1", "available": 3})
    refused = api.post("/api/v1/inventory", {"items": [{"available": 3}]}, REQUEST_METHOD="PUT")
    assert refused.status_code == 400


def test_a_pickup_names_its_shipment_or_lines_in_the_document_too(api, document):
    pickup = {
        "kind": "pickup.ready",
        "order_id": "1001",
        "location": {"name": "Shop"},
        "occurred_at": "2026-03-02T09:00:00Z",
    }
    assert not valid(document, "PickupReadyIn", pickup)
    assert not valid(document, "PickupReadyIn", {**pickup, "shipment_id": " "})
    assert valid(document, "PickupReadyIn", {**pickup, "shipment_id": "S1"})
    assert valid(document, "PickupReadyIn", {**pickup, "lines": [{"line_id": "L1"}]})
    assert api.post("/api/v1/events", pickup).status_code == 400
    assert api.post("/api/v1/events", {**pickup, "shipment_id": " "}).status_code == 400


@pytest.mark.parametrize("moment", [0, 1767225600, "1767225600", 0.5])
def test_a_number_is_not_a_moment(api, moment):
    """The invalid input that was accepted: a number for a date-time read as seconds since 1970."""
    answer = api.post("/api/v1/orders", {**ORDER, "placed_at": moment})
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "placed_at"
    assert api.get("/api/v1/returns/metrics", data={"until": moment}).status_code == 400


def test_a_number_is_not_a_day(api):
    event = {
        "kind": "shipment.created",
        "order_id": "1001",
        "shipment_id": "S1",
        "carrier": "ups",
        "occurred_at": "2026-03-02T09:00:00Z",
        "estimated_delivery": 0,
    }
    assert api.post("/api/v1/events", event).status_code == 400


def test_an_id_of_blanks_is_refused_and_the_document_says_so(api, document):
    assert re.search(component(document, "LineIn")["properties"]["line_id"]["pattern"], " ") is None
    assert api.post("/api/v1/orders", {**ORDER, "order_id": "  "}).status_code == 400


def test_sms_consent_is_a_boolean_not_a_number(api):
    assert api.post("/api/v1/orders", {**ORDER, "sms_consent": 1}).status_code == 400


def test_an_easypost_body_that_is_not_an_object_or_list_is_refused(api):
    assert api.post("/api/v1/carriers/easypost", '"AAA"').status_code == 400
    assert api.post("/api/v1/carriers/easypost", "[]").status_code == 202


def test_a_quantity_beyond_64_bits_is_a_400_not_a_500(api):
    """Found by schemathesis: the ledger's JSON writer cannot hold it (TypeError, a 500)."""
    event = {
        "kind": "shipment.created",
        "order_id": "1001",
        "shipment_id": "S1",
        "carrier": "ups",
        "occurred_at": "2026-03-02T09:00:00Z",
        "lines": [{"line_id": "L1", "quantity": 17059667085856558895071232}],
    }
    answer = api.post("/api/v1/events", event)
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "lines[0].quantity"


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/v1/orders", {**ORDER, "number": "#1\u0000"}, "body"),
        ("/api/v1/events", {"kind": "order.cancelled", "order_id": "1", "occurred_at": "2026-03-02T09:00:00Z",
                            "idempotency_key": "k\u0000"}, "body"),
    ],
)  # fmt: skip
def test_a_nul_character_is_refused_at_the_edge(api, path, body, where):
    """Found by schemathesis on PostgreSQL only: text and jsonb hold no NUL, so one was a 500 there."""
    answer = api.post(path, body)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == where
    assert api.get("/api/v1/orders/1%00").json()["errors"][0]["field"] == "path"
    assert api.get("/api/v1/notifications/journey?x=%00").status_code == 422


def test_a_backslash_before_u0000_is_text_not_nul(api):
    answer = api.post("/api/v1/orders", {**ORDER, "number": "#1\\u0000"})
    assert answer.status_code == 201 and answer.json()["number"] == "#1\\u0000"


def test_an_idempotency_key_fits_the_ledger_with_its_prefix(api):
    """Found by schemathesis on PostgreSQL: 200 characters plus "api:" overflowed the column (a 500)."""
    event = {"kind": "order.cancelled", "order_id": "1001", "occurred_at": "2026-03-02T09:00:00Z"}
    assert api.post("/api/v1/events", {**event, "idempotency_key": "k" * 196}).status_code == 202
    assert api.post("/api/v1/events", {**event, "idempotency_key": "k" * 197}).status_code == 400


def test_a_tracking_number_of_white_space_is_a_400_not_a_500(api, document):
    """Found by schemathesis: "\\x1f" is white space to Python (tracking numbers are compared
    without it), so the event named no parcel and no order and the ledger refused it (a 500)."""
    pattern = component(document, "TrackingEventIn")["properties"]["tracking_number"]["pattern"]
    assert re.search(pattern, "\x1f \t") is None and re.search(pattern, "1Z999") is not None
    event = {
        "kind": "tracking.event",
        "tracking_number": "\x1f",
        "tag": "InTransit",
        "occurred_at": "2026-03-02T09:00:00Z",
    }
    assert api.post("/api/v1/events", event).status_code == 400
    assert api.post("/api/v1/events/batch", {"events": [event]}).status_code == 400
