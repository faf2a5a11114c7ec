"""Raw carrier responses and EasyPost payloads through the API into the ledger."""

from __future__ import annotations

import json

import pytest

from aftercart.orders.models import Fact, Order, Shipment
from tests.conftest import shared_path

pytestmark = pytest.mark.django_db

CARRIER_FILES = [
    ("ups", "ups/TrackingResponseJSON.json", "application/json"),
    ("fedex", "fedex/TrackingResponse.json", "application/json"),
    ("usps", "usps/TrackingResponse.json", "application/json"),
    ("dhl_express", "dhl_express/TrackingResponseXML.xml", "application/xml"),
    ("canadapost", "canadapost/TrackingResponseXml.xml", "application/xml"),
]


@pytest.mark.parametrize(
    ("carrier", "name", "content_type"), CARRIER_FILES, ids=[c[1] for c in CARRIER_FILES]
)
def test_a_raw_carrier_response_lands_on_the_shipment_with_that_number(api, carrier, name, content_type):
    from aftercart.integrations.carriers.parse import parse_tracking_response

    raw = shared_path("carrier_tracking", "karrio", name).read_bytes()
    parsed = parse_tracking_response(carrier, raw)
    number = parsed.tracking_numbers[0]
    api.post(
        "/api/v1/orders",
        {"order_id": "o1", "placed_at": "2019-01-01T00:00:00Z", "lines": [{"line_id": "L1"}]},
    )
    api.post(
        "/api/v1/events",
        {
            "kind": "shipment.created",
            "order_id": "o1",
            "shipment_id": "S1",
            "carrier": carrier,
            "tracking_number": number,
            "lines": [{"line_id": "L1"}],
            "occurred_at": "2000-01-01T00:00:00Z",
        },
    )
    response = api.post(f"/api/v1/carriers/{carrier}/tracking", raw, content_type=content_type)
    assert response.status_code == 202, response.content
    body = response.json()
    mine = [f for f in parsed.facts if f.tracking_number == number]
    assert body["accepted"] == len({f.idempotency_key for f in parsed.facts})
    assert body["unmatched"] == len({f.idempotency_key for f in parsed.facts}) - len(
        {f.idempotency_key for f in mine}
    )
    latest = max(mine, key=lambda f: f.sort_key)
    shipment = Shipment.objects.get(order__external_id="o1")
    expected_tag = (
        "delivered" if any(f.payload["tag"] == "delivered" for f in mine) else latest.payload["tag"]
    )
    assert shipment.tag == expected_tag
    replay = api.post(f"/api/v1/carriers/{carrier}/tracking", raw, content_type=content_type).json()
    assert replay["accepted"] == 0


def test_a_carrier_error_response_records_nothing_and_says_why(api):
    raw = shared_path(
        "carrier_tracking", "karrio", "ups", "TrackingNumberNotFoundResponseJSON.json"
    ).read_bytes()
    response = api.post("/api/v1/carriers/ups/tracking", raw)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 0 and body["errors"]
    assert Fact.objects.count() == 0


def test_an_unsupported_carrier_is_404(api):
    response = api.post("/api/v1/carriers/pigeon-post/tracking", {"x": 1})
    assert response.status_code == 404
    assert "supported" in response.json()["detail"]


def test_easypost_trackers_ingest(api):
    path = shared_path("easypost", "cassettes_easypost-python", "test_tracker_retrieve__0.json")
    cassette = json.loads(path.read_text())
    body = cassette["response_body"]
    body = json.loads(body) if isinstance(body, str) else body
    response = api.post("/api/v1/carriers/easypost", body)
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] > 0
    assert Order.objects.count() == 0, "a tracker without a known shipment is kept unattached"
    assert Fact.objects.filter(order__isnull=True).count() == response.json()["accepted"]
