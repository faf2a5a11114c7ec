"""The claims API: filing with base64 photos, refusals as problem+json writing nothing, too early
with its date, eligibility, decisions, resolution, carrier claims, warranty periods and
registrations, the carrier claim packet (its text read back from the PDF) and the metrics."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from aftercart.claims.models import Claim
from tests.claims_fixtures import delivered_order, order_placed, photo_bytes, shipped
from tests.integration.test_returns_api import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def put(client, api_token):
    import json

    def put(path, data):
        return client.put(
            path, json.dumps(data), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_token}"
        )

    return put


def test_file_decide_resolve_through_the_api(api, store, django_capture_on_commit_callbacks):
    now = timezone.now()
    delivered_order(store, "2001", delivered=now - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/claims",
            {
                "order_id": "2001",
                "kind": "damaged",
                "lines": [{"line_id": "L1", "quantity": 1}],
                "description": "The sleeve is torn, the box was crushed.",
                "resolution": "reship",
                "photos": [
                    {"filename": "sleeve.jpg", "content_base64": _b64(photo_bytes()), "line_id": "L1"}
                ],
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert body["status"] == "in_review"  # 120.00 is over the automatic limit
    assert body["claimed_value"] == "120.00" and body["shipment"]["tracking_number"] == "JD2001"
    assert body["next_step"]["code"] == "claim_in_review"
    assert body["photos"][0]["content_type"] == "image/jpeg"

    listed = api.get("/api/v1/claims?status=in_review").json()
    assert [c["number"] for c in listed] == [number]

    approved = api.post(f"/api/v1/claims/{number}/decision", {"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["next_step"]["detail"] == "We're sending you a replacement."
    again = api.post(f"/api/v1/claims/{number}/decision", {"decision": "deny", "reason": "x"})
    assert_problem(again, 409, "claim-illegal-transition")

    resolved = api.post(
        f"/api/v1/claims/{number}/resolve",
        {"resolution": "reship", "carrier": "ups", "tracking_number": "1Z0001"},
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["replacement"]["tracking_number"] == "1Z0001"
    order = api.get("/api/v1/orders/2001").json()
    assert [(s["carrier"], s["tracking_number"]) for s in order["shipments"]] == [
        ("dhl", "JD2001"),
        ("ups", "1Z0001"),
    ]


def test_packet_pdf_carries_the_tracking_history_and_declared_value(api, store, put):
    now = timezone.now()
    delivered_order(store, "2002", delivered=now - timedelta(days=1))
    response = api.post(
        "/api/v1/claims",
        {
            "order_id": "2002",
            "kind": "damaged",
            "lines": [{"line_id": "L2", "quantity": 2}],
            "photos": [{"content_base64": _b64(photo_bytes(color="blue"))}],
        },
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["status"] == "approved"
    filed = put(f"/api/v1/claims/{number}/carrier-claim", {"status": "filed", "reference": "DHL-4711"})
    assert filed.status_code == 200 and filed.json()["amount_claimed"] == "25.00"
    pdf = api.get(f"/api/v1/claims/{number}/packet.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        number,
        "2002",
        "JD2002",
        "Wool socks",
        "25.00",
        "Processed at hub",
        "Leipzig, DE",
        "Leeds, GB",
        "DHL-4711",
    ):
        assert expected in text, expected


def test_refusals_are_problems_and_too_early_names_the_date(api, store):
    now = timezone.now()
    delivered_order(store, "2003", delivered=now - timedelta(days=1))
    early = api.post("/api/v1/claims", {"order_id": "2003", "kind": "stolen", "lines": [{"line_id": "L1"}]})
    body = assert_problem(early, 422, "claim-too-early")
    assert body["errors"][0]["open_from"][:10] == (now + timedelta(days=4)).date().isoformat()
    fake = api.post(
        "/api/v1/claims",
        {
            "order_id": "2003",
            "kind": "damaged",
            "lines": [{"line_id": "L1"}],
            "photos": [{"content_base64": _b64(b"<svg onload=alert(1)>")}],
        },
    )
    assert_problem(fake, 422, "claim-photo-not-an-image")
    bad_base64 = api.post(
        "/api/v1/claims",
        {
            "order_id": "2003",
            "kind": "damaged",
            "lines": [{"line_id": "L1"}],
            "photos": [{"content_base64": "@@"}],
        },
    )
    assert_problem(bad_base64, 400, "validation", "photos[0].content_base64")
    assert_problem(
        api.post("/api/v1/claims", {"order_id": "nope", "kind": "lost", "lines": [{"line_id": "L1"}]}),
        404,
        "not-found",
    )
    assert not Claim.objects.exists()
    key = {"order_id": "2003", "kind": "missing_item", "lines": [{"line_id": "L2"}], "client_key": "k1"}
    assert api.post("/api/v1/claims", key).status_code == 201
    assert_problem(api.post("/api/v1/claims", key), 409, "claim-duplicate-submission")
    assert_problem(
        api.post("/api/v1/claims", {**key, "client_key": "k2", "lines": [{"line_id": "L2", "quantity": 2}]}),
        409,
        "claim-already-claimed",
    )


def test_eligibility_says_from_when(api, store):
    now = timezone.now()
    order_placed(store, "2004", placed=now - timedelta(days=6))
    shipped(store, "2004", at=now - timedelta(days=5), tracking="JD2004", scans=(now - timedelta(days=4),))
    rows = api.get("/api/v1/claims/eligibility?order_id=2004").json()
    lost = next(r for r in rows if r["kind"] == "lost")
    assert lost["state"] == "too_early" and lost["can_file"] is False
    assert lost["opens_at"][:10] == (now + timedelta(days=3)).date().isoformat()
    assert lost["next_step"]["code"] == "claim_too_early"
    damaged = next(r for r in rows if r["kind"] == "damaged")
    assert damaged["state"] == "too_early" and damaged["opens_at"] is None  # once delivered
    assert damaged["photos_required"] is True


def test_policy_and_warranty_endpoints(api, store, put, client, api_token):
    assert api.get("/api/v1/claims/policy").json()["version"] == 0
    saved = put("/api/v1/claims/policy", {"warranty": {"default_days": 365}, "lost": {"days_domestic": 5}})
    assert saved.status_code == 201 and saved.json()["version"] == 1
    assert_problem(
        put("/api/v1/claims/policy", {"lost": {"days_domestic": "soon"}}),
        400,
        "validation",
        "lost.days_domestic",
    )
    period = put("/api/v1/claims/warranty-periods/category/outerwear", {"days": 730})
    assert period.status_code == 200 and period.json()["days"] == 730
    assert api.get("/api/v1/claims/warranty-periods").json()[0]["key"] == "outerwear"
    now = timezone.now()
    delivered_order(store, "2005", delivered=now - timedelta(days=10))
    registered = api.post(
        "/api/v1/claims/warranty-registrations", {"order_id": "2005", "line_id": "L1", "serial_number": "SN9"}
    )
    assert registered.status_code == 201 and registered.json()["days"] == 730
    assert (
        api.post("/api/v1/claims/warranty-registrations", {"order_id": "2005", "line_id": "L1"}).status_code
        == 200
    )
    assert_problem(
        api.post("/api/v1/claims/warranty-registrations", {"order_id": "2005", "line_id": "L7"}),
        422,
        "warranty-unknown-line",
    )
    gone = client.delete(
        "/api/v1/claims/warranty-periods/category/outerwear", HTTP_AUTHORIZATION=f"Bearer {api_token}"
    )
    assert gone.status_code == 204


def test_metrics_over_a_period(api, store):
    now = timezone.now()
    for n in range(4):
        delivered_order(store, f"30{n}", delivered=now - timedelta(days=2))
    api.post("/api/v1/claims", {"order_id": "300", "kind": "missing_item", "lines": [{"line_id": "L2"}]})
    numbers = [c["number"] for c in api.get("/api/v1/claims").json()]
    api.post(f"/api/v1/claims/{numbers[0]}/resolve", {"resolution": "refund"})
    since = (now - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    data = api.get(f"/api/v1/claims/metrics?from={since}").json()
    assert data["orders"] == 4 and data["claims"] == 1
    assert data["claims_per_100_orders"] == 25.0
    assert data["by_kind"]["missing_item"]["per_100_orders"] == 25.0
    assert data["by_carrier"]["dhl"] == {"claims": 1, "orders": 4, "per_100_orders": 25.0}
    assert data["approval_rate"] == 1.0
    assert data["paid_out"] == [{"currency": "EUR", "amount": "12.50"}]
    # An offset PostgreSQL cannot store is read in UTC (schemathesis found it).
    odd = api.get("/api/v1/claims/metrics?from=2026-01-01T00:00:00-23:31")
    assert odd.status_code == 200 and odd.json()["claims"] == 1
