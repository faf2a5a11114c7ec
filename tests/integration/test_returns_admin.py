"""Operators edit the return policy (each save a new version) and work the review queue."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from aftercart.returns.models import Return, ReturnPolicyVersion
from aftercart.returns.services import return_policy_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    return client


def test_editing_a_policy_in_the_admin_saves_a_new_version(operator, store):
    first = return_policy_save(store=store, data={"window_days": 30})
    url = f"/admin/returns/returnpolicyversion/{first.pk}/change/"
    assert operator.get(url).status_code == 200
    response = operator.post(url, {"store": store.pk, "data": json.dumps({"window_days": 45})}, follow=True)
    assert response.status_code == 200
    versions = list(
        ReturnPolicyVersion.objects.order_by("version").values_list("version", "data__window_days")
    )
    assert versions == [(1, 30), (2, 45)], "the old version is kept unchanged"
    bad = operator.post(url, {"store": store.pk, "data": json.dumps({"window_days": "soon"})})
    assert b"window_days: must be a whole number" in bad.content
    assert ReturnPolicyVersion.objects.count() == 2


def test_a_new_policy_starts_from_the_defaults_in_the_admin(operator, store):
    page = operator.get("/admin/returns/returnpolicyversion/add/").content.decode()
    assert "&quot;window_days&quot;: 30" in page
    operator.post(
        "/admin/returns/returnpolicyversion/add/",
        {"store": store.pk, "data": json.dumps({"window_days": 21})},
    )
    assert list(ReturnPolicyVersion.objects.values_list("version", "data__window_days")) == [(1, 21)]


def test_review_queue_lists_held_returns_and_approves_them(operator, store, api):
    from tests.integration.test_returns_api import place, request

    return_policy_save(store=store, data={"abuse": {"max_returns": 1}})
    place(api, "501")
    place(api, "502")
    auto = api.post("/api/v1/returns", request("501")).json()
    held = api.post("/api/v1/returns", request("502")).json()
    assert (auto["status"], held["status"]) == ("label_issued", "requested")
    queue = operator.get("/admin/returns/return/?queue=review").content.decode()
    assert held["rma"] in queue and auto["rma"] not in queue
    pk = Return.objects.get(rma=held["rma"]).pk
    operator.post("/admin/returns/return/", {"action": "approve", "_selected_action": [pk]})
    assert Return.objects.get(pk=pk).status == "label_issued", "approval issues the label"
    approval = Return.objects.get(pk=pk).facts.get(kind="approve")
    assert approval.actor == "admin:op"
