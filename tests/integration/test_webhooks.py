"""Shopify and AfterShip webhooks end to end: signature, deduplication, parsing, the ledger."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from aftercart.orders.models import Fact, InboundDelivery, Order, Shipment
from tests.conftest import shared_path

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_post(client, store, topic, payload, webhook_id="wh-1", secret=None, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(
        f"/webhooks/shopify/{store.slug}",
        raw,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id,
        HTTP_X_SHOPIFY_HMAC_SHA256=sign(secret or store.shopify_webhook_secret, raw),
    )


def sample_order():
    path = shared_path(
        "shopify", "webhook_samples", "orders_webhook_test_notification_820982911946154508.json"
    )
    return json.loads(path.read_text())


def test_shopify_order_webhook_creates_the_order(client, store):
    response = shopify_post(client, store, "orders/create", sample_order())
    assert response.status_code == 202, response.content
    order = Order.objects.get(store=store)
    assert order.external_id == "820982911946154508"
    assert order.number == "#9999"
    assert order.email == "jon@doe.ca"
    assert order.lines.count() == 2


def test_a_retried_delivery_is_answered_2xx_and_recorded_once(client, store):
    payload = sample_order()
    assert shopify_post(client, store, "orders/create", payload, webhook_id="same").status_code == 202
    stored = Fact.objects.count()
    again = shopify_post(client, store, "orders/create", payload, webhook_id="same")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert InboundDelivery.objects.count() == 1
    # A new delivery id with the same content is a duplicate fact, still 2xx, still nothing new.
    third = shopify_post(client, store, "orders/create", payload, webhook_id="other")
    assert third.status_code == 202 and third.json()["accepted"] == 0
    assert Fact.objects.count() == stored


def test_a_bad_signature_is_401_and_writes_nothing(client, store):
    response = shopify_post(client, store, "orders/create", sample_order(), secret="wrong")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    missing = client.post(
        f"/webhooks/shopify/{store.slug}",
        b"{}",
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC="orders/create",
    )
    assert missing.status_code == 401
    assert Fact.objects.count() == 0 and InboundDelivery.objects.count() == 0


def test_a_topic_we_do_not_use_is_acknowledged_not_failed(client, store):
    response = shopify_post(client, store, "customers/create", {"id": 1})
    assert response.status_code == 200
    assert response.json()["ignored"] is True


def test_a_malformed_payload_is_400_naming_the_field(client, store):
    payload = sample_order()
    del payload["id"]
    response = shopify_post(client, store, "orders/create", payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "id"
    broken = shopify_post(client, store, "orders/create", None, body=b'{"id": ')
    assert broken.status_code == 400
    assert Fact.objects.count() == 0


@pytest.mark.parametrize(
    ("source", "header"),
    [("shopify", "HTTP_X_SHOPIFY_HMAC_SHA256"), ("aftership", "HTTP_AFTERSHIP_HMAC_SHA256")],
)
def test_an_unknown_store_gets_the_answer_a_bad_signature_gets(client, store, source, header):
    """Nothing tells a store slug that exists from one that does not: same status, same body."""
    from aftercart.stores.services import store_create

    store_create(slug="unsigned", name="No secrets yet")
    raw = b'{"id": 1}'
    answers = [
        client.post(
            f"/webhooks/{source}/{slug}",
            raw,
            content_type="application/json",
            HTTP_X_SHOPIFY_TOPIC="orders/create",
            **{header: sign(secret, raw)},
        )
        for slug, secret in [("acme", "wrong"), ("nope", "wrong"), ("nope", ""), ("unsigned", "")]
    ]
    for response in answers:
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.content == answers[0].content
    assert Fact.objects.count() == 0 and InboundDelivery.objects.count() == 0


def python_api_resource(name, key):
    return json.loads(shared_path("shopify", "shopify_python_api_fixtures", f"{name}.json").read_text())[key]


@pytest.mark.shared_data
def test_a_signed_order_body_replayed_as_orders_cancelled_cancels_nothing(client, store):
    # X-Shopify-Topic is outside the HMAC: a captured orders/create body re-sent with the topic
    # orders/cancelled is still the body of an order that is not cancelled.
    order = python_api_resource("order", "order")
    assert order["cancelled_at"] is None
    assert shopify_post(client, store, "orders/create", order, webhook_id="create").status_code == 202
    facts = Fact.objects.count()
    replay = shopify_post(client, store, "orders/cancelled", order, webhook_id="replay")
    assert replay.status_code == 400, replay.content
    assert replay["Content-Type"] == "application/problem+json"
    assert replay.json()["errors"][0]["field"] == "cancelled_at"
    assert Fact.objects.count() == facts
    assert not Fact.objects.filter(kind="order.cancelled").exists()
    assert Order.objects.get(store=store).stage != "cancelled"
    assert not InboundDelivery.objects.filter(delivery_id="replay").exists()


@pytest.mark.shared_data
def test_a_fulfillment_body_under_an_order_topic_makes_no_order(client, store):
    fulfillment = python_api_resource("fulfillment", "fulfillment")
    response = shopify_post(client, store, "orders/create", fulfillment)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "order_id"
    assert Order.objects.count() == 0 and Fact.objects.count() == 0


def test_shopify_fulfillment_then_aftership_tracking_reach_the_same_parcel(client, store):
    order = sample_order()
    shopify_post(client, store, "orders/create", order)
    line = order["line_items"][0]
    fulfillment = {
        "id": 4242,
        "order_id": order["id"],
        "status": "success",
        "created_at": "2026-03-02T10:00:00-05:00",
        "updated_at": "2026-03-02T10:00:00-05:00",
        "tracking_company": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "line_items": [{"id": line["id"], "quantity": line["quantity"]}],
    }
    assert shopify_post(client, store, "fulfillments/create", fulfillment, webhook_id="f1").status_code == 202
    tracking = json.loads((FIXTURES / "aftership" / "exception_lost.json").read_text())
    tracking["msg"]["tracking_number"] = "1Z999AA10123456784"
    raw = json.dumps(tracking).encode()
    response = client.post(
        f"/webhooks/aftership/{store.slug}",
        raw,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256=sign(store.aftership_webhook_secret, raw),
    )
    assert response.status_code == 202, response.content
    assert response.json()["unmatched"] == 0
    shipment = Shipment.objects.get(order__external_id=str(order["id"]))
    assert (shipment.tag, shipment.subtag) == ("exception", "exception.lost")
    assert Order.objects.get(external_id=str(order["id"])).next_step == "lost"


def test_aftership_bad_signature_is_401(client, store):
    raw = (FIXTURES / "aftership" / "exception_lost.json").read_bytes()
    response = client.post(
        f"/webhooks/aftership/{store.slug}",
        raw,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256="bad",
    )
    assert response.status_code == 401
    assert Fact.objects.count() == 0
