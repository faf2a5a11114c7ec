"""Real payloads (tests/fixtures/real/, provenance in PROVENANCE.md) through their HTTP ingest
path, one carrier event per request, in forward, reverse and duplicated order: the status,
milestones, next step and timeline must be the same whatever the order."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aftercart.orders.models import Fact, Order, Shipment

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def canadapost_events(name: str) -> list[bytes]:
    """One tracking-detail response per occurrence of a recorded Canada Post response, oldest
    first: the way a poller sees a history grow."""
    text = (REAL / "canadapost" / name).read_text()
    occurrences = re.findall(r"<occurrence>.*?</occurrence>", text, re.S)
    head, tail = text.split("<significant-events>")[0], text.split("</significant-events>")[1]
    bodies = [f"{head}<significant-events>{o}</significant-events>{tail}".encode() for o in occurrences]
    return bodies[::-1]  # Canada Post lists newest first


def aftership_tracking(name: str, number: str | None = None) -> dict[str, Any]:
    """One tracking of a recorded AfterShip API answer (``data.tracking`` or one of
    ``data.trackings``): the ``msg`` of its webhooks."""
    data = json.loads((REAL / "aftership" / name).read_text())["data"]
    if "tracking" in data:
        return data["tracking"]
    return next(t for t in data["trackings"] if t["tracking_number"] == number)


def aftership_webhooks(tracking: dict[str, Any], *, newest_first: bool = False) -> list[bytes]:
    """The webhooks AfterShip sends as a tracking grows: one per checkpoint, each carrying every
    checkpoint so far and the tag of the newest, then the tracking as recorded."""
    checkpoints = tracking.get("checkpoints") or []
    bodies = []
    for i in range(1, len(checkpoints) + 1):
        msg = {**tracking, "checkpoints": checkpoints[:i], "tag": checkpoints[i - 1]["tag"]}
        msg["subtag"] = checkpoints[i - 1]["subtag"]
        bodies.append({"event": "tracking_update", "event_id": f"e{i}", "msg": msg})
    final = dict(tracking)
    if newest_first:
        final["checkpoints"] = checkpoints[::-1]
    bodies.append({"event": "tracking_update", "event_id": "final", "msg": final})
    return [json.dumps(b).encode() for b in bodies]


@dataclass(frozen=True)
class Case:
    name: str
    carrier: str
    events: list[bytes]
    number: str
    tag: str
    subtag: str
    delivered_at: str | None
    milestones: set[str]
    next_step: str
    timeline: int
    estimated_delivery: str | None = None
    absent: set[str] = field(default_factory=set)
    #: The parcel's carrier as the shop reports it, when the events come through a tracker.
    parcel_carrier: str = ""


CP = "7023210039414604"
CP_MILESTONES = {
    "delivered:S1",
    "delivered:S1:2",
    "exception:S1:exception.incorrect_address",
    "out_for_delivery:S1",
}
CASES = [
    Case(
        "canadapost: delivered, address error, redelivered",
        "canadapost",
        canadapost_events("redelivered_after_address_error.xml"),
        CP,
        "delivered",
        "delivered.signed",
        "2011-02-03T16:59:59+00:00",
        CP_MILESTONES,
        "delivered",
        6,
    ),
    Case(
        "canadapost: the same history in English then French",
        "canadapost",
        canadapost_events("redelivered_after_address_error.xml")
        + canadapost_events("redelivered_after_address_error.fr.xml"),
        CP,
        "delivered",
        "delivered.signed",
        "2011-02-03T16:59:59+00:00",
        CP_MILESTONES,
        "delivered",
        6,
    ),
    # The merchant marked a delivered FedEx tracking "completed: lost" (Exception_013).
    Case(
        "aftership: marked lost after a Delivered checkpoint",
        "aftership",
        aftership_webhooks(aftership_tracking("MarkAsCompletedResult.json")),
        "111111111111",
        "exception",
        "exception.lost",
        None,
        {"delivered:S1", "exception:S1:exception.lost", "out_for_delivery:S1"},
        "lost",
        15,  # 14 checkpoints and the merchant's "lost"
        parcel_carrier="fedex",
    ),
    Case(
        "aftership: checkpoints listed newest first",
        "aftership",
        aftership_webhooks(aftership_tracking("GetTrackingResult.json"), newest_first=True),
        "111111111111",
        "delivered",
        "delivered",
        "2018-07-25T01:10:00+00:00",
        {"delivered:S1", "out_for_delivery:S1"},
        "delivered",
        14,  # no phantom "delivered" from the tracking's own tag
        parcel_carrier="fedex",
    ),
    Case(
        "aftership: expired UPS tracking",
        "aftership",
        aftership_webhooks(aftership_tracking("GetTrackingsResult.json", "2222222222222")),
        "2222222222222",
        "expired",
        "expired",
        None,
        {"shipped:S1"},
        "stalled",
        1,
        absent={"delivered:S1"},
        parcel_carrier="ups",
    ),
    Case(
        "aftership: AfterShip's own estimate",
        "aftership",
        aftership_webhooks(aftership_tracking("GetTrackingsResult.json", "1111111111111"))[:-2],
        "1111111111111",
        "out_for_delivery",
        "out_for_delivery",
        None,
        {"out_for_delivery:S1"},
        "stalled",  # out for delivery in 2018, and silent since
        10,
        estimated_delivery="2018-08-05",
        parcel_carrier="fedex",
    ),
]


def ingest(api, client, store, carrier: str, body: bytes):
    """The way each source posts: AfterShip signs its webhook, a carrier response is posted raw."""
    if carrier == "aftership":
        secret = store.aftership_webhook_secret.encode()
        signature = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        return client.post(
            f"/webhooks/aftership/{store.slug}",
            body,
            content_type="application/json",
            HTTP_AFTERSHIP_HMAC_SHA256=signature,
        )
    return api.post(f"/api/v1/carriers/{carrier}/tracking", body, content_type="application/xml")


def orders(case: Case) -> dict[str, list[bytes]]:
    return {
        "forward": case.events,
        "reverse": case.events[::-1],
        "duplicated": case.events + case.events[::2],
    }


@pytest.mark.parametrize("order", ["forward", "reverse", "duplicated"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_real_history_ends_the_same_whatever_the_order(api, client, store, case, order):
    api.post(
        "/api/v1/orders",
        {"order_id": "o1", "placed_at": "2011-01-30T00:00:00Z", "lines": [{"line_id": "L1"}]},
    )
    api.post(
        "/api/v1/events",
        {
            "kind": "shipment.created",
            "order_id": "o1",
            "shipment_id": "S1",
            "carrier": case.parcel_carrier or case.carrier,
            "tracking_number": case.number,
            "lines": [{"line_id": "L1"}],
            "occurred_at": "2011-01-31T00:00:00Z",
        },
    )
    for body in orders(case)[order]:
        response = ingest(api, client, store, case.carrier, body)
        assert response.status_code in (200, 202), response.content  # 200: a repeated delivery
    shipment = Shipment.objects.get(order__external_id="o1")
    assert (shipment.tag, shipment.subtag) == (case.tag, case.subtag)
    assert (shipment.delivered_at and shipment.delivered_at.isoformat()) == case.delivered_at
    if case.estimated_delivery:
        assert shipment.estimated_delivery.isoformat() == case.estimated_delivery
    data = api.get("/api/v1/orders/o1").json()
    assert data["next_step"]["code"] == case.next_step
    milestones = set(Order.objects.get(external_id="o1").milestones)
    assert case.milestones <= milestones
    assert not case.absent & milestones
    assert Fact.objects.filter(kind="tracking.event").count() == case.timeline
    timeline = api.get("/api/v1/orders/o1/timeline").json()
    assert len([f for f in timeline if f["kind"] == "tracking.event"]) == case.timeline


@pytest.mark.parametrize("topic", ["orders/fulfilled", "orders/partially_fulfilled"])
def test_an_order_fulfilment_topic_is_read_as_the_order_now(client, store, topic):
    """Shopify's recorded order (its python API's test fixture) posted under the fulfilment topics:
    the order is read, not acknowledged and dropped; its embedded fulfillment failed
    (``status: failure``), so nothing left the warehouse and no parcel appears."""
    raw = (REAL / "shopify" / "order.json").read_text()
    body = json.dumps(json.loads(raw)["order"]).encode()
    secret = store.shopify_webhook_secret.encode()
    response = client.post(
        f"/webhooks/shopify/{store.slug}",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_WEBHOOK_ID=f"wh-{topic}",
        HTTP_X_SHOPIFY_HMAC_SHA256=base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode(),
    )
    assert response.status_code == 202, response.content
    order = Order.objects.get(external_id="450789469")
    assert Fact.objects.filter(kind="order.updated").count() == 1
    assert not Shipment.objects.filter(order=order).exists()


def test_a_legacy_usps_xml_response_is_refused_naming_the_format(api):
    """A USPS Web Tools ``TrackResponse`` (karrio's recorded one): not "202, accepted 0" with an
    error inside, which a poller reads as success, but a 415 problem naming what we read."""
    raw = (REAL / "usps" / "legacy_xml_TrackResponse.xml").read_bytes()
    response = api.post("/api/v1/carriers/usps/tracking", raw, content_type="application/xml")
    assert response.status_code == 415, response.content
    problem = response.json()
    assert problem["title"] == "Unsupported response format"
    assert "not JSON" in problem["detail"] and "USPS Tracking API v3 JSON" in problem["detail"]
    assert Fact.objects.count() == 0
