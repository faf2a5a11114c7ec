"""A return's label, in the states around it: no download offered before a label exists (a
prepaid label still being bought), label purchases refused for returns that are not approved
(the API and the admin's retry) with nothing written, and a label whose carrier gave its own QR
code told so by the one instruction table, on the page and in the label-ready e-mail."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import Message
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.messages import return_email_context
from aftercart.returns.models import LabelPurchase, Return, ReturnFact
from aftercart.returns.services.purchase import label_purchases_due
from tests.integration.test_return_labels_easypost import (  # noqa: F401
    ADDRESS_REFUSED,
    configure,
    easypost,
    order_with_address,
    request_return,
)
from tests.integration.test_returns_flow import put  # noqa: F401

pytestmark = pytest.mark.django_db


def written(ret: Return) -> tuple:
    """Everything a label step could write about the return."""
    ret = Return.objects.get(pk=ret.pk)
    purchase = LabelPurchase.objects.filter(ret=ret).values_list("status", "attempts", "next_attempt_at")
    return (
        ret.status,
        ret.label_issued_at,
        ret.tracking_number,
        ret.label_url,
        ReturnFact.objects.filter(ret=ret).count(),
        Message.objects.filter(subject=ret.rma).count(),
        list(purchase),
    )


# -- 2. no download before a label exists -------------------------------------------------------------


def no_download_offered(client, api, ret: Return) -> None:
    token = make_tracking_token(ret.order)
    page = client.get(f"/returns/{token}/{ret.rma}?lang=en").content.decode()
    assert "Download your return label" not in page and "data-label " not in page
    assert "label.pdf" not in page
    assert client.get(f"/returns/{token}/{ret.rma}/label.pdf").status_code == 404
    body = api.get(f"/api/v1/returns/{ret.rma}").json()
    assert body["label"] is None
    assert body["next_step"]["action"] == "" or body["next_step"]["action"] == "contact_us"
    assert "get_label" not in [a["code"] for a in body["next_step"]["actions"]]
    assert api.get(f"/api/v1/returns/{ret.rma}/label.pdf").status_code == 404


def test_a_label_still_being_bought_is_not_offered_for_download(api, configure, easypost, client):  # noqa: F811
    order_with_address(api)
    ret = request_return(api)
    assert LabelPurchase.objects.get(ret=ret).status == "pending"
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}?lang=en").content.decode()
    assert "data-label-pending" in page and "preparing your return label" in page
    no_download_offered(client, api, ret)


def test_a_label_retried_by_the_operator_is_not_offered_until_bought(api, configure, easypost, client):  # noqa: F811
    easypost.script("buy", status=422, body=ADDRESS_REFUSED)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    no_download_offered(client, api, ret)
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    client.post("/admin/returns/return/", {"action": "retry_label_purchase", "_selected_action": [ret.pk]})
    assert LabelPurchase.objects.get(ret=ret).status == "pending"
    no_download_offered(client, api, ret)


# -- 3. label purchases for returns not approved ---------------------------------------------------------


def _resolve(api, rma: str) -> None:
    for step, body in (("receive", {}), ("inspect", {"result": "accept_all"}), ("resolve", {})):
        response = api.post(f"/api/v1/returns/{rma}/{step}", body)
        assert response.status_code == 200, response.content


def test_the_label_api_refuses_returns_not_approved_and_writes_nothing(api, put, configure, easypost):  # noqa: F811
    order_with_address(api)
    resolved = request_return(api)
    label_purchases_due()
    _resolve(api, resolved.rma)
    saved = put("/api/v1/returns/policy", {"abuse": {"max_returns": 1, "period_days": 30}})
    assert saved.status_code == 201, saved.content
    body = {"order_id": "1001", "method": "label", "lines": [{"line_id": "L2", "reason": "changed_mind"}]}
    in_review = Return.objects.get(rma=api.post("/api/v1/returns", body).json()["rma"])
    assert in_review.status == "requested" and in_review.needs_review
    rejected_rma = api.post("/api/v1/returns", {**body, "client_key": "second"}).json()["rma"]
    assert api.post(f"/api/v1/returns/{rejected_rma}/reject", {"reason": "too many"}).status_code == 200
    rejected = Return.objects.get(rma=rejected_rma)
    assert rejected.status == "rejected"
    for ret in (in_review, rejected, resolved):
        before = written(ret)
        assert before[0] in ("requested", "rejected", "resolved")
        for payload in ({}, {"tracking_number": "9400111899223100000001", "carrier": "usps"}):
            response = api.post(f"/api/v1/returns/{ret.rma}/label", payload)
            if ret is resolved and payload == {}:
                # The label it was bought with, asked for again: the retried call's answer.
                assert response.status_code == 200
            else:
                assert response.status_code == 409, (ret.status, payload, response.content)
                problem = response.json()
                status = Return.objects.get(pk=ret.pk).status
                assert problem["status"] == 409 and status in problem["detail"], problem
            assert written(ret) == before, f"nothing written for a {ret.status} return"


def test_the_label_api_refuses_a_cancelled_return_and_the_admin_retry_leaves_it(
    api,
    configure,  # noqa: F811
    easypost,  # noqa: F811
    client,
):
    easypost.script("buy", status=422, body=ADDRESS_REFUSED)
    order_with_address(api)
    ret = request_return(api)
    assert label_purchases_due().failed == 1
    assert api.post(f"/api/v1/returns/{ret.rma}/cancel", {}).status_code == 200
    before = written(ret)
    assert before[0] == "cancelled"
    response = api.post(f"/api/v1/returns/{ret.rma}/label", {})
    assert response.status_code == 409 and "cancelled" in response.json()["detail"]
    assert written(ret) == before
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    response = client.post(
        "/admin/returns/return/",
        {"action": "retry_label_purchase", "_selected_action": [ret.pk]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "0 label purchase(s) will be tried again" in page
    assert "only an approved return whose label purchase failed can be retried" in page
    assert written(ret) == before, "a cancelled return's failed purchase stays as it was"
    assert label_purchases_due().claimed == 0


# -- 4. a label with the carrier's QR code ------------------------------------------------------------


PRINT_ONLY = "Print your label, stick it on a parcel"


def test_a_label_with_the_carriers_qr_code_says_either_way_on_the_page_and_in_the_email(
    api,
    configure,  # noqa: F811
    easypost,  # noqa: F811
    client,
):
    order_with_address(api)
    ret = request_return(api)
    label_purchases_due()
    ret.refresh_from_db()
    assert ret.status == "label_issued" and ret.method == "label"
    # The carrier's shipment came back with its own drop-off code (USPS sometimes gives one with
    # a label): recorded as the purchase records it.
    Return.objects.filter(pk=ret.pk).update(
        carrier_qr_url="https://easypost-files.example/qr.png", carrier_qr_png=b"\x89PNG\r\n\x1a\nqr"
    )
    ret.refresh_from_db()
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}?lang=en").content.decode()
    assert "data-carrier-qr" in page, "the carrier's code is shown"
    step = re.search(r'data-step="[^"]+">.*?</section>', page, re.S)
    assert step is not None
    assert PRINT_ONLY not in step.group(0)
    assert "Print your label, or show the carrier&#x27;s QR code at one of its drop-off points" in page
    with translation.override("en"):
        mail = return_email_context(ret, Milestone.LABEL_READY)
    assert mail["detail"].startswith("Print your label, or show the carrier's QR code")
    assert PRINT_ONLY not in mail["detail"]
    body = api.get(f"/api/v1/returns/{ret.rma}").json()
    assert body["next_step"]["detail"] == mail["detail"]
    with translation.override("fr"):
        french = return_email_context(ret, Milestone.LABEL_READY)
    assert french["detail"] != mail["detail"], "translated"


def test_a_label_without_a_carrier_code_still_says_print(api, configure, easypost, client):  # noqa: F811
    order_with_address(api)
    ret = request_return(api)
    label_purchases_due()
    ret.refresh_from_db()
    with translation.override("en"):
        mail = return_email_context(ret, Milestone.LABEL_READY)
    assert mail["detail"].startswith(PRINT_ONLY)
