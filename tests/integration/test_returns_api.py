"""The returns API: requests judged by the store's policy, the lifecycle, the policy's versions,
metrics — and every bad input answered with problem+json and nothing written."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftercart.domain.facts import Fact as DomainFact
from aftercart.domain.facts import FactKind
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.returns.models import Return, ReturnFact, ReturnLine, ReturnPolicyVersion

pytestmark = pytest.mark.django_db

POLICY = {
    "window_days": 30,
    "final_sale": {"skus": ["SALE-TEE"]},
    "return_fee": {"amount": "5.00", "waived_for_exchange": True, "waived_for_store_credit": True},
    "exchange": {"bonus": {"flat": "0", "percent": "0"}},
    "store_credit": {"bonus": {"percent": "10", "cap": "20.00"}},
    "abuse": {"max_returns": 3, "period_days": 365},
}


def iso(dt):
    return dt.isoformat().replace("+00:00", "Z")


def place(api, order_id="1001", *, delivered_days_ago=3, email="ana@example.com", total="150.00", prefix=""):
    """An order of a jacket (1 × 120.00), two pairs of socks (2 × 12.50) and a final-sale tee,
    delivered ``delivered_days_ago`` days ago."""
    now = timezone.now()
    placed = now - timedelta(days=delivered_days_ago + 4)
    order = {
        "order_id": order_id,
        "number": f"#{order_id}",
        "placed_at": iso(placed),
        "email": email,
        "currency": "EUR",
        "total": total,
        "lines": [
            {
                "line_id": f"{prefix}L1",
                "sku": "JKT-M",
                "product_id": "JKT",
                "variant": "M",
                "title": "Rain jacket",
                "quantity": 1,
                "unit_price": "120.00",
            },
            {
                "line_id": f"{prefix}L2",
                "sku": "SCK",
                "product_id": "SCK",
                "variant": "One size",
                "title": "Wool socks",
                "quantity": 2,
                "unit_price": "12.50",
            },
            {
                "line_id": f"{prefix}L3",
                "sku": "SALE-TEE",
                "product_id": "TEE",
                "variant": "S",
                "title": "Tee",
                "quantity": 1,
                "unit_price": "5.00",
            },
        ],
    }
    assert api.post("/api/v1/orders", order).status_code == 201
    tracking = f"1Z{order_id}X"
    events = [
        {
            "kind": "shipment.created",
            "order_id": order_id,
            "shipment_id": "S1",
            "carrier": "UPS",
            "tracking_number": tracking,
            "occurred_at": iso(placed + timedelta(days=1)),
        },
    ]
    if delivered_days_ago is not None:
        events.append(
            {
                "kind": "tracking.event",
                "tracking_number": tracking,
                "carrier": "ups",
                "tag": "delivered",
                "occurred_at": iso(now - timedelta(days=delivered_days_ago)),
            }
        )
    assert api.post("/api/v1/events/batch", {"events": events}).status_code == 202


@pytest.fixture
def put(client, api_token):
    def put(path, data):
        return client.put(
            path, json.dumps(data), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_token}"
        )

    return put


@pytest.fixture
def policy(put):
    response = put("/api/v1/returns/policy", POLICY)
    assert response.status_code == 201, response.content
    return response.json()


def request(order_id="1001", *lines, client_key=""):
    lines = lines or ({"line_id": "L1", "reason": "size_too_small", "resolution": "refund"},)
    return {"order_id": order_id, "client_key": client_key, "lines": list(lines)}


def assert_nothing_written(before_returns=0, before_facts=0):
    assert Return.objects.count() == before_returns
    assert ReturnLine.objects.filter(ret__isnull=False).count() == ReturnLine.objects.count()
    assert ReturnFact.objects.count() == before_facts


def assert_problem(response, status, kind, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://aftercart.dev/problems/{kind}"
    assert body["status"] == status
    if field:
        assert body["errors"][0]["field"] == field
    return body


# -- the happy path --------------------------------------------------------------------------------


def test_a_return_is_judged_approved_and_walked_to_resolution(api, policy):
    place(api)
    response = api.post(
        "/api/v1/returns",
        request(
            "1001",
            {
                "line_id": "L1",
                "reason": "size_too_small",
                "resolution": "exchange",
                "exchange_for": {"product_id": "JKT", "variant": "L", "unit_price": "120.00"},
            },
            {
                "line_id": "L2",
                "quantity": 2,
                "reason": "changed_mind",
                "condition": "unworn",
                "resolution": "store_credit",
            },
            client_key="portal-abc",
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rma"].startswith("R-") and len(body["rma"]) == 12
    assert body["status"] == "label_issued", "auto-approved by policy, which issues the label"
    assert body["method"] == "label" and body["label"]["provider"] == "manual"
    assert body["policy_version"] == policy["version"] == 1
    # The order's total (150.00) is spread over the lines' prices (120 + 25 + 5 = 150): as paid.
    lines = {ln["line_id"]: ln for ln in body["lines"]}
    assert lines["L1"]["value"] == "120.00"
    assert lines["L2"]["value"] == "25.00"
    # Store credit with a 10 % bonus (on the credited value), fee waived for credit and exchange.
    assert Decimal(body["amounts"]["store_credit"]) == Decimal("27.50")
    assert Decimal(body["amounts"]["exchange"]) == Decimal("120.00")
    assert Decimal(body["amounts"]["refund"]) == 0
    assert body["next_step"]["code"] == "return_send_items"
    assert [f["kind"] for f in body["facts"]] == ["requested", "approve", "issue_label"]
    rma = body["rma"]

    for path in ("in-transit", "receive"):
        step = api.post(f"/api/v1/returns/{rma}/{path}", {})
        assert step.status_code == 200, step.content
    inspected = api.post(
        f"/api/v1/returns/{rma}/inspect", {"result": "accept_part", "accepted_lines": ["L1"]}
    )
    assert inspected.status_code == 200, inspected.content
    assert inspected.json()["status"] == "inspected"
    assert Decimal(inspected.json()["amounts"]["store_credit"]) == 0, "the socks were turned down"
    resolved = api.post(f"/api/v1/returns/{rma}/resolve", {"reference": "EXCH-1001"})
    done = resolved.json()
    assert done["status"] == "resolved" and done["resolution"] == "exchange_created"
    assert done["next_step"]["code"] == "return_resolved"
    kinds = [f["kind"] for f in done["facts"]]
    assert kinds == [
        "requested",
        "approve",
        "issue_label",
        "mark_in_transit",
        "mark_received",
        "inspect",
        "resolve",
    ]
    assert done["facts"][-1]["payload"]["reference"] == "EXCH-1001"


def test_a_retried_step_changes_nothing_and_an_illegal_one_is_refused(api, policy):
    place(api)
    rma = api.post("/api/v1/returns", request()).json()["rma"]
    first = api.post(f"/api/v1/returns/{rma}/in-transit", {"idempotency_key": "scan-1"})
    again = api.post(f"/api/v1/returns/{rma}/in-transit", {"idempotency_key": "scan-1"})
    assert first.status_code == again.status_code == 200
    assert ReturnFact.objects.filter(kind="mark_in_transit").count() == 1
    facts = ReturnFact.objects.count()
    body = assert_problem(api.post(f"/api/v1/returns/{rma}/resolve", {}), 409, "return-illegal-transition")
    assert "allowed now" in body["detail"]
    assert ReturnFact.objects.count() == facts
    assert Return.objects.get().status == "in_transit"


def test_abuse_limit_sends_the_return_to_the_review_queue(api, policy, put):
    for n in range(4):
        place(api, f"20{n}")
    for n in range(3):
        assert api.post("/api/v1/returns", request(f"20{n}")).json()["status"] == "label_issued"
    held = api.post("/api/v1/returns", request("203")).json()
    assert held["status"] == "requested" and held["needs_review"]
    assert held["review_reasons"][0]["code"] == "return_limit"
    assert held["next_step"]["code"] == "return_in_review"
    queue = api.get("/api/v1/returns?status=requested&needs_review=true").json()
    assert [r["rma"] for r in queue] == [held["rma"]]
    approved = api.post(f"/api/v1/returns/{held['rma']}/approve", {}).json()
    assert approved["status"] == "label_issued", "approval issues the label"
    assert [f["actor"] for f in approved["facts"][-2:]] == ["api", "manual"]


def test_policy_edits_make_new_versions_and_returns_keep_theirs(api, policy, put):
    place(api)
    rma = api.post("/api/v1/returns", request()).json()["rma"]
    saved = put("/api/v1/returns/policy", {**POLICY, "window_days": 60})
    assert saved.status_code == 201 and saved.json()["version"] == 2
    assert api.get("/api/v1/returns/policy").json()["window_days"] == 60
    assert ReturnPolicyVersion.objects.count() == 2
    assert api.get(f"/api/v1/returns/{rma}").json()["policy_version"] == 1
    bad = put("/api/v1/returns/policy", {"return_fee": {"amount": "-1"}})
    assert_problem(bad, 422, "validation", "return_fee.amount")
    assert ReturnPolicyVersion.objects.count() == 2


def test_quote_shows_offers_in_order_and_writes_nothing(api, policy):
    place(api)
    quote = api.post("/api/v1/returns/quote", request())
    assert quote.status_code == 200
    offers = quote.json()["lines"][0]["offers"]
    assert [o["kind"] for o in offers] == ["exchange", "store_credit", "refund"]
    assert offers[-1]["amount"] == "115.00" and offers[-1]["fee"] == "5.00"
    assert_nothing_written()


def test_metrics(api, policy):
    place(api, "301")
    place(api, "302")
    api.post(
        "/api/v1/returns",
        request(
            "301",
            {"line_id": "L1", "reason": "size_too_small", "resolution": "exchange"},
            {"line_id": "L2", "quantity": 1, "reason": "changed_mind", "resolution": "refund"},
        ),
    )
    metrics = api.get("/api/v1/returns/metrics").json()
    assert metrics["orders"] == 2 and metrics["returns"] == 1
    assert metrics["return_rate"] == "0.5000"
    assert metrics["returned_value"] == "132.50"
    assert metrics["exchange_rate"] == str((Decimal("120") / Decimal("132.5")).quantize(Decimal("0.0001")))
    assert metrics["retained_revenue"] == "120.00"
    top = metrics["top_reasons"][0]
    assert (top["product_id"], top["variant"], top["reason"], top["units"]) == (
        "JKT",
        "M",
        "size_too_small",
        1,
    )


def test_order_level_tax_and_shipping_are_allocated_per_line(api, policy, store):
    place(api)
    order = Order.objects.get(external_id="1001")
    facts_record(
        store=store,
        facts=[
            DomainFact(
                kind=FactKind.ORDER_UPDATED,
                occurred_at=timezone.now() - timedelta(days=2),
                idempotency_key="amounts",
                source="test",
                order_ref="1001",
                payload={"total_tax": "30.00", "total_discounts": "15.00", "total_shipping": "10.00"},
            )
        ],
    )
    quote = api.post(
        "/api/v1/returns/quote",
        request("1001", {"line_id": "L1", "reason": "damaged", "resolution": "refund"}),
    ).json()
    # 150 gross, 15 discount by gross → L1 108.00; tax 30 and shipping 10 by the discounted value.
    line = quote["lines"][0]
    assert line["value"] == "140.00"  # 108.00 + 24.00 tax + 8.00 shipping
    assert line["offers"][-1]["amount"] == "140.00", "damaged: shipping refunded, no fee"
    assert order.pk


# -- bad input: problem+json, nothing written ----------------------------------------------------------


def test_over_quantity(api, policy):
    place(api)
    response = api.post(
        "/api/v1/returns", request("1001", {"line_id": "L2", "quantity": 3, "reason": "changed_mind"})
    )
    body = assert_problem(response, 422, "return-over-quantity", "lines[0]")
    assert body["detail"] == "not eligible: only 2 of 2 left to return"
    assert_nothing_written()


def test_units_the_store_never_sent_cannot_come_back(api, policy):
    place(api)
    unavailable = {
        "kind": "line.status",
        "order_id": "1001",
        "line_id": "L2",
        "status": "unavailable",
        "quantity": 1,
        "occurred_at": iso(timezone.now() - timedelta(days=6)),
    }
    assert api.post("/api/v1/events", unavailable).status_code == 202
    response = api.post(
        "/api/v1/returns", request("1001", {"line_id": "L2", "quantity": 2, "reason": "changed_mind"})
    )
    body = assert_problem(response, 422, "return-over-quantity", "lines[0]")
    assert body["detail"] == "not eligible: only 1 of 1 left to return"
    assert_nothing_written()


def test_a_line_from_another_order(api, policy):
    place(api, "1001")
    place(api, "1002", prefix="B-")
    assert api.post("/api/v1/returns/quote", request("1002", {"line_id": "B-L1", "reason": "other"})).json()[
        "eligible"
    ], "the line is returnable from its own order"
    response = api.post("/api/v1/returns", request("1001", {"line_id": "B-L1", "reason": "other"}))
    assert_problem(response, 422, "return-unknown-line", "lines[0]")
    assert_nothing_written()


def test_a_line_already_returned(api, policy):
    place(api)
    assert api.post("/api/v1/returns", request()).status_code == 201
    facts = ReturnFact.objects.count()
    response = api.post("/api/v1/returns", request())
    body = assert_problem(response, 409, "return-already-returned", "lines[0]")
    assert body["detail"] == "not eligible: already returned"
    assert_nothing_written(1, facts)


def test_an_expired_window(api, policy):
    place(api, delivered_days_ago=45)
    response = api.post("/api/v1/returns", request())
    body = assert_problem(response, 422, "return-window-closed", "lines[0]")
    assert body["detail"].startswith("not eligible: window closed on ")
    assert_nothing_written()


def test_a_final_sale_item(api, policy):
    place(api)
    response = api.post("/api/v1/returns", request("1001", {"line_id": "L3", "reason": "changed_mind"}))
    body = assert_problem(response, 422, "return-final-sale", "lines[0]")
    assert body["detail"] == "not eligible: final sale"
    assert_nothing_written()


def test_a_double_submission(api, policy):
    place(api)
    first = api.post("/api/v1/returns", request(client_key="k-1"))
    assert first.status_code == 201
    facts = ReturnFact.objects.count()
    again = api.post("/api/v1/returns", request(client_key="k-1"))
    body = assert_problem(again, 409, "return-duplicate-submission", "client_key")
    assert first.json()["rma"] in body["detail"]
    assert_nothing_written(1, facts)


def test_a_resolution_the_policy_does_not_offer(api, put):
    put("/api/v1/returns/policy", {**POLICY, "store_credit": {"enabled": False}})
    place(api)
    response = api.post(
        "/api/v1/returns", request("1001", {"line_id": "L1", "reason": "other", "resolution": "store_credit"})
    )
    assert_problem(response, 422, "return-resolution-not-offered", "lines[0].resolution")
    assert_nothing_written()


def test_malformed_requests_name_the_field(api, policy):
    place(api)
    response = api.post("/api/v1/returns", request("1001", {"line_id": "L1", "reason": "bored"}))
    assert_problem(response, 400, "validation", "lines[0].reason")
    assert_problem(api.post("/api/v1/returns", request("nope")), 404, "not-found", "order_id")
    assert_problem(api.get("/api/v1/returns/R-NOTAREAL1"), 404, "not-found")
    assert_nothing_written()


# -- more of the lifecycle ------------------------------------------------------------------------------


def test_inspection_can_reject_everything_with_a_reason(api, policy):
    place(api)
    rma = api.post("/api/v1/returns", request()).json()["rma"]
    api.post(f"/api/v1/returns/{rma}/receive", {})
    no_reason = api.post(f"/api/v1/returns/{rma}/inspect", {"result": "reject"})
    assert_problem(no_reason, 409, "return-illegal-transition")
    rejected = api.post(
        f"/api/v1/returns/{rma}/inspect", {"result": "reject", "reason": "worn and washed"}
    ).json()
    assert rejected["status"] == "rejected"
    assert rejected["rejection_reason"] == "worn and washed"
    assert rejected["next_step"]["code"] == "return_rejected"
    assert Decimal(rejected["amounts"]["refund"]) == 0
    # Turned down at inspection: those units were returned and do not come back a second time.
    assert_problem(api.post("/api/v1/returns", request()), 409, "return-already-returned")


def test_a_cancelled_return_frees_its_units(api, policy):
    place(api)
    rma = api.post("/api/v1/returns", request()).json()["rma"]
    cancelled = api.post(f"/api/v1/returns/{rma}/cancel", {"reason": "changed my mind"}).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["next_step"]["code"] == "return_cancelled"
    again = api.post("/api/v1/returns", request())
    assert again.status_code == 201
    listed = api.get("/api/v1/returns?order_id=1001").json()
    assert [r["status"] for r in listed] == ["label_issued", "cancelled"]
    assert api.get("/api/v1/returns?order_id=other").json() == []


def test_keep_it_returns_resolve_without_anything_coming_back(api, put):
    put("/api/v1/returns/policy", {**POLICY, "keep_it": {"max_value": "15.00"}})
    place(api)
    body = api.post(
        "/api/v1/returns", request("1001", {"line_id": "L2", "quantity": 1, "reason": "changed_mind"})
    ).json()
    assert body["keep_items"] and body["next_step"]["code"] == "return_keep_items"
    # 12.50 paid, the 5.00 return fee still applies to a refund.
    assert body["amounts"]["refund"] == "7.50"
    resolved = api.post(f"/api/v1/returns/{body['rma']}/resolve", {}).json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "refund_issued")


def test_listing_returns_does_not_query_per_return(api, policy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(4):
        place(api, f"40{n}", email=f"c{n}@example.com")
    api.post("/api/v1/returns", request("400"))
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/api/v1/returns").json()) == 1
    for n in range(1, 4):
        api.post("/api/v1/returns", request(f"40{n}"))
    with CaptureQueriesContext(connection) as four:
        assert len(api.get("/api/v1/returns").json()) == 4
    assert len(four) == len(one)


# -- an order known only from its tracking ---------------------------------------------------------


def tracking_only(api, order_id="9001"):
    """An order the ledger knows only from a carrier scan: no ``order.placed``, so no lines."""
    scan = {
        "kind": "tracking.event",
        "order_id": order_id,
        "tracking_number": f"1Z{order_id}X",
        "carrier": "ups",
        "tag": "delivered",
        "occurred_at": iso(timezone.now() - timedelta(days=1)),
    }
    assert api.post("/api/v1/events", scan).status_code == 202
    order = Order.objects.get(external_id=order_id)
    assert order.placed_at is None and not order.lines.exists()
    return order


def test_a_return_on_an_order_known_only_from_tracking_is_refused_naming_the_order(api, policy):
    tracking_only(api)
    for path in ("/api/v1/returns", "/api/v1/returns/quote"):
        response = api.post(path, request("9001", client_key="k-9001"))
        body = assert_problem(response, 422, "return-order-not-placed", "order_id")
        assert "no lines" in body["detail"]
    assert_nothing_written()
