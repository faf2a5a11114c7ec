"""Returns in the back office: the list with its filters in words, a return's page, and the
buttons walking it to a refund through the same transition service as the API."""

from __future__ import annotations

import pytest

from aftercart.returns.models import Return
from tests.integration.test_returns_api import place, policy, put, request  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def rma(api, policy):  # noqa: F811 - the fixture above
    place(api)
    response = api.post("/api/v1/returns", request("1001"))
    assert response.status_code == 201, response.content
    return response.json()["rma"]


def test_the_list_shows_returns_in_words_with_filters(admin_client, rma, store):
    page = admin_client.get("/ops/returns/").content.decode()
    assert rma in page and "Label issued" in page and "label_issued<" not in page
    assert 'href="/ops/returns/" aria-current="page"' in page
    assert rma in admin_client.get("/ops/returns/", {"q": "#1001"}).content.decode()
    assert rma in admin_client.get("/ops/returns/", {"q": "ANA@example.com"}).content.decode()
    assert rma not in admin_client.get("/ops/returns/", {"status": "resolved"}).content.decode()
    assert rma not in admin_client.get("/ops/returns/", {"q": "nobody@example.com"}).content.decode()


def test_buttons_walk_a_return_to_its_refund(admin_client, rma):
    detail = admin_client.get(f"/ops/returns/{rma}").content.decode()
    assert "Too small" in detail and "size_too_small" not in detail.replace('value="size_too_small"', "")
    assert 'data-action="receive"' in detail and 'data-action="inspect"' not in detail
    admin_client.post(f"/ops/returns/{rma}/receive")
    assert Return.objects.get(rma=rma).status == "received"
    admin_client.post(f"/ops/returns/{rma}/inspect", {"result": "accept_all"})
    assert Return.objects.get(rma=rma).status == "inspected"
    response = admin_client.post(f"/ops/returns/{rma}/resolve", {"reference": "RF-77"}, follow=True)
    ret = Return.objects.get(rma=rma)
    assert ret.status == "resolved" and ret.resolution == "refund_issued"
    last = ret.facts.order_by("-pk").first()
    assert last.actor == "ops:admin" and last.payload["reference"] == "RF-77"
    assert "Resolved" in response.content.decode()


def test_a_step_the_lifecycle_refuses_is_said_not_done(admin_client, rma):
    response = admin_client.post(f"/ops/returns/{rma}/resolve", {"reference": "X"}, follow=True)
    assert Return.objects.get(rma=rma).status == "label_issued"
    assert 'class="flash-error"' in response.content.decode()
    assert admin_client.post(f"/ops/returns/{rma}/explode").status_code == 404


def test_returns_pages_are_staff_only(client, rma):
    assert client.get("/ops/returns/").status_code == 302
    assert client.post(f"/ops/returns/{rma}/receive").status_code == 302
    assert Return.objects.get(rma=rma).status == "label_issued"
