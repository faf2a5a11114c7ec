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
from aftercart.exceptions.models import OrderException
from aftercart.notifications.models import Message
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.messages import return_email_context
from aftercart.returns.models import LabelPurchase, LabelSettings, Return, ReturnFact
from aftercart.returns.services.purchase import (
    MAX_ATTEMPTS,
    QR_MAX_ATTEMPTS,
    label_purchase_retry,
    label_purchases_due,
)
from tests.conftest import shared_path
from tests.integration.test_returns_api import iso, place
from tests.integration.test_webhooks import shopify_post

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

ADDRESS_REFUSED = {
    "error": {
        "code": "ADDRESS.VERIFY.FAILURE",
        "message": "Unable to verify address.",
        "errors": [{"field": "to_address.street1", "message": "Address not found"}],
    }
}


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
    assert ret.carrier_qr_url == "", "a label return prints its label: no carrier QR code asked for"
    assert easypost.forms == {}
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


def auth_of(request):
    user, _, password = base64.b64decode(request.authorization.removeprefix("Basic ")).decode().partition(":")
    return user, password


def test_a_dropoff_return_asks_for_the_carriers_qr_code_after_buying(api, configure, easypost):
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    assert label_purchases_due().bought == 1
    shipment_id = next(iter(easypost.shipments))
    assert calls(easypost) == [
        ("POST", "/v2/shipments"),
        ("POST", "buy"),
        ("POST", f"/v2/shipments/{shipment_id}/forms"),
    ]
    form = easypost.requests[-1]
    assert auth_of(form) == (DEMO_API_KEY, "")
    assert form.body == {"form": {"type": "label_qr_code"}}
    ret.refresh_from_db()
    assert ret.status == "label_issued"
    assert ret.carrier_qr_url == f"{easypost.base_url}/forms/{shipment_id}.png"
    assert bytes(ret.carrier_qr_png).startswith(b"\x89PNG")
    assert easypost.forms == {shipment_id: 1} and easypost.buys == {shipment_id: 1}


def test_a_carrier_without_a_qr_code_on_request_is_not_asked(api, configure, easypost):
    configure(rate_rule="named", rate_carrier="UPS", rate_service="Ground")
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    assert label_purchases_due().bought == 1
    assert [m for m, _ in calls(easypost)] == ["POST", "POST"] and easypost.forms == {}
    ret.refresh_from_db()
    assert ret.carrier_qr_url == "" and ret.dropoff_code, "Aftercart's own drop-off code"
    assert not ReturnFact.objects.filter(ret=ret, kind="carrier_qr_failed").exists()


def test_a_qr_code_that_fails_is_retried_without_buying_again(api, configure, easypost):
    easypost.script("form", status=503, body={"error": {"code": "SERVICE_UNAVAILABLE", "message": "down"}})
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    assert label_purchases_due().retrying == 1
    purchase = LabelPurchase.objects.get(ret=ret)
    assert (purchase.status, purchase.qr_attempts) == ("pending", 1)
    assert purchase.last_error.startswith("carrier QR code: 503")
    ret.refresh_from_db()
    assert ret.status == "approved", "not issued yet: the code comes with the label"
    assert label_purchases_due(now=later(5)).bought == 1
    sid = purchase.shipment_id
    assert calls(easypost)[-2:] == [("GET", f"/v2/shipments/{sid}"), ("POST", f"/v2/shipments/{sid}/forms")]
    assert easypost.buys == {sid: 1}, "the retry read the bought shipment and did not buy again"
    ret.refresh_from_db()
    assert ret.status == "label_issued" and ret.carrier_qr_url.endswith(f"/forms/{sid}.png")


def test_a_qr_code_request_whose_answer_is_lost_is_not_made_twice(api, configure, easypost):
    easypost.script("form", delay=1.5)  # made, but answered after the client's 0.5 s timeout
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    assert label_purchases_due().retrying == 1
    assert label_purchases_due(now=later(5)).bought == 1
    sid = LabelPurchase.objects.get(ret=ret).shipment_id
    assert easypost.forms == {sid: 1}, "the retry found the form on the shipment"
    assert calls(easypost)[-1] == ("GET", f"/v2/shipments/{sid}")
    ret.refresh_from_db()
    assert ret.carrier_qr_url.endswith(f"/forms/{sid}.png")


def test_without_the_carriers_qr_code_the_label_is_issued_with_ours_and_the_timeline_says_so(
    api, configure, easypost, client
):
    refusal = {"error": {"code": "FORM.UNAVAILABLE", "message": "Label Broker is not enabled."}}
    easypost.script("form", status=422, body=refusal)
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    assert label_purchases_due().bought == 1, "a refusal is not retried: the label is issued"
    ret.refresh_from_db()
    assert ret.status == "label_issued" and ret.carrier_qr_url == "" and ret.carrier_qr_png is None
    assert ret.label_url.endswith(".pdf") and ret.dropoff_code
    failed = ReturnFact.objects.get(ret=ret, kind="carrier_qr_failed")
    assert (failed.payload["status"], failed.payload["code"]) == (422, "FORM.UNAVAILABLE")
    assert "own drop-off QR code" in failed.payload["fallback"]
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}").content.decode()
    # A carrier's counter scans its own code, never ours: the drop-off falls back to the carrier's
    # printed label, and every touchpoint says so (no QR code of ours to show).
    assert "data-qr " not in page and "data-carrier-qr" not in page
    assert f'href="{ret.label_url}"' in page, "the carrier's label to print"
    assert "Print your label" in page and "show your QR code" not in page
    with translation.override("en"):
        mail = return_email_context(ret, Milestone.LABEL_READY)
    assert not any(name.startswith("dropoff") for name, _, _ in mail["attachments"]), "no code of ours"


def test_a_qr_code_that_keeps_failing_gives_way_to_ours(api, configure, easypost):
    for _ in range(QR_MAX_ATTEMPTS):
        easypost.script("form", status=500, body={"error": {"code": "INTERNAL", "message": "oops"}})
    order_with_address(api)
    ret = request_return(api, method="dropoff")
    outcomes = [label_purchases_due(now=later(minutes=120 * n)) for n in range(QR_MAX_ATTEMPTS)]
    assert [(o.retrying, o.bought) for o in outcomes] == [(1, 0)] * (QR_MAX_ATTEMPTS - 1) + [(0, 1)]
    ret.refresh_from_db()
    assert ret.status == "label_issued" and ret.carrier_qr_url == ""
    assert ReturnFact.objects.get(ret=ret, kind="carrier_qr_failed").payload["attempts"] == QR_MAX_ATTEMPTS
    assert len(easypost.buys) == 1 and sum(easypost.buys.values()) == 1


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

    # The shopper is not left waiting for a label that is not coming: the next step says so.
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}").content.decode()
    assert 'data-step="return_label_delayed"' in page and "data-label-pending" not in page
    assert "The store has been told" in page
    assert api.get(f"/api/v1/returns/{ret.rma}").json()["next_step"]["code"] == "return_label_delayed"

    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    listing = client.get("/admin/returns/return/?label_purchase__status__exact=failed").content.decode()
    assert ret.rma in listing
    detail = client.get(f"/admin/returns/return/{ret.pk}/change/").content.decode()
    assert "ADDRESS.VERIFY.FAILURE" in detail
    queue = client.get("/ops/exceptions?kind=return_label_failed").content.decode()
    assert 'data-kind="return_label_failed"' in queue and f"return:{ret.rma}" in queue
    assert "ADDRESS.VERIFY.FAILURE" in queue
    case = OrderException.objects.get(kind="return_label_failed")
    assert (case.order_id, case.queue, case.severity, case.resolved_at) == (
        ret.order_id,
        "customer",
        "high",
        None,
    )

    response = client.post(
        "/admin/returns/return/", {"action": "retry_label_purchase", "_selected_action": [ret.pk]}
    )
    assert response.status_code == 302
    assert label_purchases_due().bought == 1, "retried once the operator asks"
    ret.refresh_from_db()
    assert ret.status == "label_issued"
    case.refresh_from_db()
    assert case.resolved_at is not None and case.resolution == "return label issued"
    assert 'data-kind="return_label_failed"' not in client.get("/ops/exceptions").content.decode()


def test_a_label_case_outlives_the_orders_own_syncs_and_ends_with_a_cancellation(api, configure, easypost):
    easypost.script("create", status=422, body=ADDRESS_REFUSED)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    # A carrier event re-projects the order and syncs its detected cases: the label case is not one.
    event = {"kind": "tracking.event", "tracking_number": "1Z1001X", "carrier": "ups", "tag": "delivered"}
    event["occurred_at"] = iso(timezone.now())
    assert api.post("/api/v1/events/batch", {"events": [event]}).status_code == 202
    case = OrderException.objects.get(kind="return_label_failed")
    assert case.resolved_at is None
    assert api.post(f"/api/v1/returns/{ret.rma}/cancel", {}).status_code == 200
    case.refresh_from_db()
    assert case.resolution == "return cancelled"


def test_the_operators_retry_after_an_address_fix_buys_with_a_new_shipment(api, configure, easypost):
    easypost.script("buy", status=422, body=ADDRESS_REFUSED)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    old = LabelPurchase.objects.get(ret=ret).shipment_id
    assert old, "refused at the buy: the shipment, with the old address, was made"
    assert label_purchases_due(now=later(600)).claimed == 0, "no automatic retry of a refusal"

    fixed = {**SHOPPER, "street1": "200 N Harbor Dr"}
    update = {"updated_at": iso(timezone.now()), "shipping_address": fixed}
    assert api.patch("/api/v1/orders/1001", update).status_code == 200
    assert label_purchase_retry(ret) is True
    assert label_purchases_due().bought == 1
    new = LabelPurchase.objects.get(ret=ret).shipment_id
    assert new != old
    assert calls(easypost)[-3:] == [
        ("GET", f"/v2/shipments/{old}"),
        ("POST", "/v2/shipments"),
        ("POST", "buy"),
    ]
    assert easypost.shipments[new]["to_address"]["street1"] == "200 N Harbor Dr"
    assert easypost.buys == {new: 1}
    ret.refresh_from_db()
    assert ret.status == "label_issued"


def test_the_operators_retry_records_a_label_bought_meanwhile_instead_of_buying_again(
    api, configure, easypost
):
    # The buy went through but its answer was lost, and the retries that followed all failed.
    easypost.script("buy", delay=1.5)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().retrying == 1
    sid = LabelPurchase.objects.get(ret=ret).shipment_id
    LabelPurchase.objects.filter(ret=ret).update(status="failed")
    assert label_purchase_retry(ret) is True
    assert label_purchases_due(now=later(5)).bought == 1
    assert easypost.buys == {sid: 1} and len(easypost.shipments) == 1, "read, recorded, not renewed"


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


@pytest.mark.shared_data
def test_a_shopify_orders_shipping_address_is_where_the_label_is_bought_from(
    api, client, store, configure, easypost
):
    fixture = shared_path("shopify", "shopify_python_api_fixtures", "order.json")
    order = json.loads(fixture.read_text())["order"]
    placed = timezone.now() - timedelta(days=7)
    # Shopify's order as its Python API's fixture has it, but placed a week ago (2008 is past any
    # return window) and without its failed fulfilment (it shipped nothing).
    order = {**order, "created_at": iso(placed), "updated_at": iso(placed), "fulfillments": []}
    assert shopify_post(client, store, "orders/create", order).status_code == 202
    events = [
        {
            "kind": "shipment.created",
            "order_id": "450789469",
            "shipment_id": "S1",
            "carrier": "UPS",
            "tracking_number": "1Z2345",
            "occurred_at": iso(placed + timedelta(days=1)),
        },
        {
            "kind": "tracking.event",
            "tracking_number": "1Z2345",
            "carrier": "ups",
            "tag": "delivered",
            "occurred_at": iso(placed + timedelta(days=3)),
        },
    ]
    assert api.post("/api/v1/events/batch", {"events": events}).status_code == 202
    body = {"order_id": "450789469", "lines": [{"line_id": "466157049", "reason": "changed_mind"}]}
    response = api.post("/api/v1/returns", body)
    assert response.status_code == 201, response.content
    assert label_purchases_due().bought == 1, "EasyPost took the address: no 422"
    assert easypost.requests[0].body["shipment"]["to_address"] == {
        "name": "Bob Norman",
        "street1": "Chestnut Street 92",
        "city": "Louisville",
        "state": "KY",
        "zip": "40202",
        "country": "US",
        "phone": "555-625-1199",
        "email": "bob.norman@hostmail.com",
    }
