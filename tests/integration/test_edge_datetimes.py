"""Moments at the ends of the calendar, non-numbers and bottomless JSON: every endpoint and webhook
that takes them answers a 4xx problem naming the field, writes nothing, and never fails with a 500.

``9999-12-31T23:59:59-05:00`` is a valid ISO 8601 string whose UTC instant is in year 10000, and
``0001-01-01T00:00:00+01:00`` one whose UTC instant is in year 0: Python cannot hold either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from aftercart.domain.facts import TimeOutOfRange, to_utc
from aftercart.orders.models import Fact, InboundDelivery, Order
from tests.integration.test_api_ingest import ORDER, ship

pytestmark = pytest.mark.django_db

LATE = "9999-12-31T23:59:59-05:00"
EARLY = "0001-01-01T00:00:00+01:00"
EDGES = pytest.mark.parametrize("moment", [LATE, EARLY])
DEEP = b"[" * 100_000 + b"]" * 100_000


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def assert_problem(response, status: int, field: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields, fields


def test_to_utc_refuses_the_ends_of_the_calendar_as_a_value_error():
    from datetime import datetime

    for text in (LATE, EARLY):
        with pytest.raises(TimeOutOfRange) as error:
            to_utc(datetime.fromisoformat(text))
        assert isinstance(error.value, ValueError)
    assert to_utc(datetime.fromisoformat("9999-12-31T23:59:59+05:00")).year == 9999


# --- the REST API -------------------------------------------------------------------------------


@EDGES
def test_an_order_placed_at_the_end_of_time_is_400(api, moment):
    assert_problem(api.post("/api/v1/orders", {**ORDER, "placed_at": moment}), 400, "placed_at")
    assert not Fact.objects.exists() and not Order.objects.exists()


@EDGES
def test_an_order_update_and_cancel_at_the_end_of_time_are_400(api, moment):
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    facts = Fact.objects.count()
    assert_problem(api.patch("/api/v1/orders/1001", {"updated_at": moment}), 400, "updated_at")
    cancel = api.post("/api/v1/orders/1001/cancel", {"cancelled_at": moment})
    assert_problem(cancel, 400, "cancelled_at")
    assert Fact.objects.count() == facts


@EDGES
def test_one_event_at_the_end_of_time_rejects_its_batch_and_writes_nothing(api, moment):
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    facts = Fact.objects.count()
    batch = {"events": [ship(), ship(shipment_id="S2", at=moment)]}
    assert_problem(api.post("/api/v1/events/batch", batch), 400, "events[1].occurred_at")
    assert_problem(api.post("/api/v1/events/batch?project=later", batch), 400, "events[1].occurred_at")
    assert_problem(api.post("/api/v1/events", ship(at=moment)), 400, "occurred_at")
    pickup = {
        "kind": "pickup.ready",
        "order_id": "1001",
        "lines": [{"line_id": "L1"}],
        "location": {"name": "Shop"},
        "occurred_at": "2026-03-02T10:00:00Z",
        "deadline": moment,
    }
    assert_problem(api.post("/api/v1/events", pickup), 400, "deadline")
    assert Fact.objects.count() == facts


@EDGES
def test_return_metrics_between_the_ends_of_time_is_400(api, moment):
    for name in ("since", "until"):
        response = api.get(f"/api/v1/returns/metrics?{name}={moment.replace('+', '%2B')}")
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert name in json.dumps(response.json()["errors"])


# --- webhooks -----------------------------------------------------------------------------------


def shopify(client, store, topic, payload=None, body=None, webhook_id="wh-edge"):
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(
        f"/webhooks/shopify/{store.slug}",
        raw,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id,
        HTTP_X_SHOPIFY_HMAC_SHA256=sign(store.shopify_webhook_secret, raw),
    )


def aftership(client, store, payload=None, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(
        f"/webhooks/aftership/{store.slug}",
        raw,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256=sign(store.aftership_webhook_secret, raw),
    )


def nothing_written() -> bool:
    return not Fact.objects.exists() and not InboundDelivery.objects.exists()


@EDGES
def test_shopify_times_at_the_end_of_time_are_400_naming_the_field(client, store, moment):
    order = {"id": 1, "created_at": moment, "updated_at": "2026-01-01T00:00:00Z"}
    assert_problem(shopify(client, store, "orders/create", order), 400, "created_at")
    cancelled = {"id": 1, "created_at": "2026-01-01T00:00:00Z", "cancelled_at": moment}
    assert_problem(
        shopify(client, store, "orders/updated", {**cancelled, "updated_at": moment}), 400, "updated_at"
    )
    event = {"id": 3, "fulfillment_id": 2, "order_id": 1, "status": "in_transit", "happened_at": moment}
    assert_problem(shopify(client, store, "fulfillment_events/create", event), 400, "happened_at")
    level = {"inventory_item_id": 5, "location_id": 6, "available": 1, "updated_at": moment}
    assert_problem(shopify(client, store, "inventory_levels/update", level), 400, "updated_at")
    assert nothing_written()


def tracking(**msg):
    return {
        "event": "tracking_update",
        "event_id": "ev-1",
        "msg": {"tracking_number": "1Z999AA10123456784", "slug": "ups", "tag": "InTransit", **msg},
    }


@EDGES
def test_aftership_times_at_the_end_of_time_are_400_naming_the_field(client, store, moment):
    checkpoint = {"checkpoint_time": moment, "tag": "InTransit", "message": "Departed"}
    response = aftership(client, store, tracking(checkpoints=[checkpoint]))
    assert_problem(response, 400, "msg.checkpoints[0].checkpoint_time")
    assert_problem(aftership(client, store, tracking(updated_at=moment)), 400, "msg.updated_at")
    assert nothing_written()


@pytest.mark.parametrize("ts", [b"NaN", b"Infinity", b"-Infinity", b"1e300", b"-1e300", b"253402300800"])
def test_aftership_ts_that_is_no_moment_is_400_naming_ts(client, store, ts):
    body = json.dumps({**tracking(), "ts": 0}).encode().replace(b'"ts": 0', b'"ts": ' + ts)
    assert_problem(aftership(client, store, body=body), 400, "ts")
    assert nothing_written()


def test_bottomless_json_in_signed_webhook_bodies_is_400_naming_the_body(client, store):
    assert_problem(shopify(client, store, "orders/create", body=DEEP), 400, "body")
    assert_problem(aftership(client, store, body=DEEP), 400, "body")
    nested = b'{"id": 1, "note": ' + DEEP + b"}"
    assert_problem(shopify(client, store, "orders/create", body=nested), 400, "body")
    assert nothing_written()
