"""Real payloads (tests/fixtures/real/, provenance in PROVENANCE.md) through their HTTP ingest
path, one carrier event per request, in forward, reverse and duplicated order: the status,
milestones, next step and timeline must be the same whatever the order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class Case:
    name: str
    carrier: str
    events: list[bytes]
    number: str
    tag: str
    subtag: str
    delivered_at: str
    milestones: set[str]
    next_step: str
    timeline: int


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
]


def orders(case: Case) -> dict[str, list[bytes]]:
    return {
        "forward": case.events,
        "reverse": case.events[::-1],
        "duplicated": case.events + case.events[::2],
    }


@pytest.mark.parametrize("order", ["forward", "reverse", "duplicated"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_real_history_ends_the_same_whatever_the_order(api, case, order):
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
            "carrier": case.carrier,
            "tracking_number": case.number,
            "lines": [{"line_id": "L1"}],
            "occurred_at": "2011-01-31T00:00:00Z",
        },
    )
    for body in orders(case)[order]:
        response = api.post(f"/api/v1/carriers/{case.carrier}/tracking", body, content_type="application/xml")
        assert response.status_code == 202, response.content
    shipment = Shipment.objects.get(order__external_id="o1")
    assert (shipment.tag, shipment.subtag) == (case.tag, case.subtag)
    assert shipment.delivered_at.isoformat() == case.delivered_at
    data = api.get("/api/v1/orders/o1").json()
    assert data["next_step"]["code"] == case.next_step
    milestones = set(Order.objects.get(external_id="o1").milestones)
    assert case.milestones <= milestones
    assert Fact.objects.filter(kind="tracking.event").count() == case.timeline
    timeline = api.get("/api/v1/orders/o1/timeline").json()
    assert len([f for f in timeline if f["kind"] == "tracking.event"]) == case.timeline
