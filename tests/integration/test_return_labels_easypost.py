"""Prepaid return labels bought from EasyPost by the worker, against a real HTTP stand-in on
127.0.0.1 (``aftercart.demo.easypost``): approval records the purchase and calls nobody; the
``labels`` pass creates the return shipment, buys the rate the store's rule picks and records the
label, its cost and the carrier's QR code; errors and timeouts retry with backoff without ever
buying twice; a refusal that would repeat is shown to the operator and the return stays approved."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from aftercart.demo.easypost import DEMO_API_KEY, api_base, easypost_standin
from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import Message
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.messages import return_email_context
from aftercart.returns.models import LabelPurchase, LabelSettings, Return, ReturnFact
from aftercart.returns.services.purchase import MAX_ATTEMPTS, label_purchases_due
from tests.integration.test_returns_api import place

pytestmark = pytest.mark.django_db

STORE_ADDRESS = {
    "name": "Acme Returns",
    "street1": "417 Montgomery Street",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94104",
    "country": "US",
    "phone": "4153334445",
}
SHOPPER = {
    "name": "Ana Silva",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
    "country": "US",
}
PARCEL = {"length": 12, "width": 9, "height": 4, "weight": 24}


@pytest.fixture
def easypost(settings):
    settings.AFTERCART_EASYPOST_TIMEOUT = 0.5
    with easypost_standin() as standin:
        yield standin


@pytest.fixture
def configure(store, easypost):
    def configure(**changes):
        values = {
            "provider": "easypost",
            "easypost_api_key": DEMO_API_KEY,
            "easypost_base_url": api_base(easypost),
            "return_address": STORE_ADDRESS,
            "parcel": PARCEL,
            **changes,
        }
        LabelSettings.objects.update_or_create(store=store, defaults=values)

    configure()
    return configure


def order_with_address(api):
    """The usual test order (delivered three days ago), placed with the shopper's address."""
    post = api.post

    def with_address(path, data=None, **extra):
        if path == "/api/v1/orders":
            data = {**data, "shipping_address": SHOPPER}
        return post(path, data, **extra)

    api.post = with_address
    try:
        place(api)
    finally:
        del api.post


def request_return(api, method="label"):
    body = {"order_id": "1001", "method": method, "lines": [{"line_id": "L1", "reason": "changed_mind"}]}
    response = api.post("/api/v1/returns", body)
    assert response.status_code == 201, response.content
    return Return.objects.get(rma=response.json()["rma"])


def later(minutes=0):
    return timezone.now() + timedelta(minutes=minutes)


def calls(easypost):
    return [
        (r.method, r.path.rsplit("/", 1)[-1] if r.path.endswith("/buy") else r.path)
        for r in easypost.requests
    ]


def test_approval_records_the_purchase_and_the_worker_buys_the_cheapest_label(api, configure, easypost):
    order_with_address(api)
    ret = request_return(api)
    assert ret.status == "approved", "no label yet: it is bought by the worker"
    assert easypost.requests == [], "approval calls nobody"
    purchase = LabelPurchase.objects.get(ret=ret)
    assert purchase.status == "pending"

    report = label_purchases_due()
    assert (report.claimed, report.bought) == (1, 1)

    create, buy = easypost.requests
    assert (create.method, create.path) == ("POST", "/v2/shipments")
    user, _, password = base64.b64decode(create.authorization.removeprefix("Basic ")).decode().partition(":")
    assert (user, password) == (DEMO_API_KEY, "")
    shipment = create.body["shipment"]
    assert shipment["is_return"] is True
    assert shipment["to_address"]["street1"] == "179 N Harbor Dr", "with is_return, to is the shopper"
    assert shipment["to_address"]["email"] == "ana@example.com"
    assert shipment["from_address"] == STORE_ADDRESS
    assert shipment["parcel"] == PARCEL
    assert shipment["reference"] == ret.rma
    shipment_id = next(iter(easypost.shipments))
    assert (buy.method, buy.path) == ("POST", f"/v2/shipments/{shipment_id}/buy")
    cheapest = next(r for r in easypost.shipments[shipment_id]["rates"] if r["service"] == "GroundAdvantage")
    assert buy.body == {"rate": {"id": cheapest["id"]}}

    ret.refresh_from_db()
    assert ret.status == "label_issued"
    assert (ret.label_provider, ret.carrier, ret.label_service) == ("easypost", "usps", "GroundAdvantage")
    assert ret.tracking_number == easypost.shipments[shipment_id]["tracking_code"]
    assert (ret.label_cost, ret.label_cost_currency) == (Decimal("7.58"), "USD")
    assert ret.label_url.endswith(f"/labels/{shipment_id}.pdf")
    assert ret.carrier_qr_url.endswith(f"/forms/{shipment_id}.png"), "USPS gives its own QR code"
    purchase.refresh_from_db()
    assert (purchase.status, purchase.shipment_id, purchase.attempts) == ("bought", shipment_id, 1)
    issued = ReturnFact.objects.get(ret=ret, kind="issue_label")
    assert issued.payload["cost"] == "7.58" and issued.payload["provider"] == "easypost"
    assert Message.objects.filter(subject=ret.rma, milestone="label_ready", channel="email").exists()

    body = api.get(f"/api/v1/returns/{ret.rma}").json()
    assert body["label"]["cost"] == {"amount": "7.58", "currency": "USD"}
    assert body["label"]["carrier_qr_url"] == ret.carrier_qr_url
    assert body["label_purchase"] == {
        "status": "bought",
        "attempts": 1,
        "error": "",
        "next_attempt_at": None,
        "fallback": "",
    }
    listed = api.get("/api/v1/returns").json()
    assert listed[0]["label"]["cost"] == {"amount": "7.58", "currency": "USD"}

    assert label_purchases_due(now=later(120)).claimed == 0, "bought once, never again"


def test_the_carriers_qr_code_replaces_ours_on_the_page_and_in_the_email(api, configure, easypost, client):
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    label_purchases_due()
    ret.refresh_from_db()
    assert ret.carrier_qr_url and ret.dropoff_code
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}").content.decode()
    assert bytes(ret.carrier_qr_png).startswith(b"\x89PNG"), "the worker fetched the carrier's code"
    inline = "data:image/png;base64," + base64.b64encode(bytes(ret.carrier_qr_png)).decode()
    assert f'src="{inline}"' in page and "data-carrier-qr" in page
    assert ret.carrier_qr_url not in page, "the shopper's browser never calls the carrier's host"
    assert "data-qr " not in page and "<svg" not in page, "not Aftercart's own QR code"
    with translation.override("en"):
        mail = return_email_context(ret, Milestone.LABEL_READY)
    assert mail["actions"][0]["url"] == ret.carrier_qr_url
    assert [name for name, _, _ in mail["attachments"]] == [f"dropoff-code-{ret.rma}.png"]
    assert mail["attachments"][0][1] == bytes(ret.carrier_qr_png), "the carrier's code, not ours"


def test_without_a_carrier_code_the_label_pdf_is_linked(api, configure, easypost, client):
    configure(rate_rule="named", rate_carrier="UPS", rate_service="Ground")
    order_with_address(api)
    ret = request_return(api)
    label_purchases_due()
    ret.refresh_from_db()
    assert (ret.carrier, ret.label_service, ret.label_cost, ret.carrier_qr_url) == (
        "ups",
        "Ground",
        Decimal("11.20"),
        "",
    )
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}").content.decode()
    assert f'href="{ret.label_url}"' in page and "data-carrier-qr" not in page
    with translation.override("en"):
        mail = return_email_context(ret, Milestone.LABEL_READY)
    assert mail["actions"][0] == {"label": "Print the carrier's label", "url": ret.label_url}


def test_a_named_service_not_offered_falls_back_and_says_so(api, configure, easypost):
    configure(rate_rule="named", rate_carrier="UPS", rate_service="NextDayAirEarlyAM")
    order_with_address(api)
    ret = request_return(api)
    label_purchases_due()
    purchase = LabelPurchase.objects.get(ret=ret)
    assert purchase.fallback == "UPS NextDayAirEarlyAM not offered: carrier's cheapest"
    ret.refresh_from_db()
    assert (ret.carrier, ret.label_service) == ("ups", "Ground")


def test_an_invalid_address_fails_for_good_and_the_operator_sees_it(api, configure, easypost, client):
    easypost.script(
        "create",
        status=422,
        body={
            "error": {
                "code": "ADDRESS.VERIFY.FAILURE",
                "message": "Unable to verify address.",
                "errors": [{"field": "to_address.street1", "message": "Address not found"}],
            }
        },
    )
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    ret.refresh_from_db()
    assert ret.status == "approved", "the approved return is kept"
    failed = ReturnFact.objects.get(ret=ret, kind="label_failed")
    assert failed.payload["code"] == "ADDRESS.VERIFY.FAILURE"
    assert failed.payload["errors"] == [{"field": "to_address.street1", "message": "Address not found"}]
    purchase = LabelPurchase.objects.get(ret=ret)
    assert purchase.status == "failed" and "Address not found" in purchase.last_error
    assert label_purchases_due(now=later(600)).claimed == 0, "not retried forever"
    assert DEMO_API_KEY not in purchase.last_error and DEMO_API_KEY not in json.dumps(failed.payload)

    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    listing = client.get("/admin/returns/return/?label_purchase__status__exact=failed").content.decode()
    assert ret.rma in listing
    detail = client.get(f"/admin/returns/return/{ret.pk}/change/").content.decode()
    assert "ADDRESS.VERIFY.FAILURE" in detail
    response = client.post(
        "/admin/returns/return/", {"action": "retry_label_purchase", "_selected_action": [ret.pk]}
    )
    assert response.status_code == 302
    assert label_purchases_due().bought == 1, "retried once the operator asks"
    ret.refresh_from_db()
    assert ret.status == "label_issued"


def test_a_server_error_is_retried_with_backoff_and_buys_once(api, configure, easypost):
    easypost.script(
        "buy", status=503, body={"error": {"code": "SERVICE_UNAVAILABLE", "message": "down", "errors": []}}
    )
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().retrying == 1
    purchase = LabelPurchase.objects.get(ret=ret)
    assert purchase.status == "pending" and purchase.shipment_id, "the shipment id is kept before buying"
    assert purchase.next_attempt_at > timezone.now(), "backoff"
    assert label_purchases_due().claimed == 0, "not before its time"
    assert label_purchases_due(now=later(5)).bought == 1
    assert calls(easypost) == [
        ("POST", "/v2/shipments"),
        ("POST", "buy"),
        ("GET", f"/v2/shipments/{purchase.shipment_id}"),
        ("POST", "buy"),
    ], "the retry reads the shipment it made, and makes no second one"
    assert len(easypost.shipments) == 1
    ret.refresh_from_db()
    assert ret.status == "label_issued"


def test_a_buy_that_times_out_is_never_bought_twice(api, configure, easypost):
    # The stand-in buys, then answers after the client's 0.5 s timeout: the answer is lost.
    easypost.script("buy", delay=1.5)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().retrying == 1
    purchase = LabelPurchase.objects.get(ret=ret)
    assert "TIMEOUT" in purchase.last_error
    ret.refresh_from_db()
    assert ret.status == "approved"
    assert label_purchases_due(now=later(5)).bought == 1
    assert easypost.buys == {purchase.shipment_id: 1}, "the retry found the label bought"
    assert calls(easypost)[-1] == ("GET", f"/v2/shipments/{purchase.shipment_id}")
    ret.refresh_from_db()
    assert ret.status == "label_issued" and ret.label_cost == Decimal("7.58")


def test_a_wrong_key_is_not_retried(api, configure, easypost):
    configure(easypost_api_key="EZAK_wrong")
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    assert ReturnFact.objects.get(ret=ret, kind="label_failed").payload["status"] == 401
    assert "EZAK_wrong" not in LabelPurchase.objects.get(ret=ret).last_error


def test_retries_run_out_and_are_then_told(api, configure, easypost):
    order_with_address(api)
    ret = request_return(api)
    LabelPurchase.objects.filter(ret=ret).update(attempts=MAX_ATTEMPTS - 1)
    easypost.script(
        "create", status=500, body={"error": {"code": "INTERNAL", "message": "oops", "errors": []}}
    )
    assert label_purchases_due().failed == 1
    assert ReturnFact.objects.get(ret=ret, kind="label_failed").payload["attempts"] == MAX_ATTEMPTS
    ret.refresh_from_db()
    assert ret.status == "approved"


def test_a_return_cancelled_before_its_label_is_bought_is_not_issued(api, configure, easypost):
    order_with_address(api)
    ret = request_return(api)
    assert api.post(f"/api/v1/returns/{ret.rma}/cancel", {}).status_code == 200
    assert label_purchases_due().dropped == 1
    assert easypost.requests == [], "nothing created, nothing bought"
    assert LabelPurchase.objects.get(ret=ret).status == "dropped"
    ret.refresh_from_db()
    assert ret.status == "cancelled" and ret.label_issued_at is None
