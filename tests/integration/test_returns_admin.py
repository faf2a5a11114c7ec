"""Operators edit the return policy (each save a new version) and work the review queue."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from aftercart.returns.models import Return, ReturnPolicyVersion
from aftercart.returns.services.policy import return_policy_save

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


def form_fields(html: str) -> dict[str, str]:
    """The admin change form's inputs as the browser would send them back (inlines included)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="submit"' not in tag and 'type="checkbox"' not in tag:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def test_an_operator_attaches_the_stores_own_label_and_its_scans_move_the_return(
    operator, store, api, settings
):
    from tests.integration.test_returns_api import place, request

    settings.AFTERCART_RETURN_LABEL_PROVIDER = "manual"
    return_policy_save(store=store, data={})
    place(api, "601")
    ret = Return.objects.get(rma=api.post("/api/v1/returns", request("601")).json()["rma"])
    assert (ret.status, ret.tracking_number) == ("label_issued", ""), "the manual provider gives no number"
    url = f"/admin/returns/return/{ret.pk}/change/"
    fields = form_fields(operator.get(url).content.decode())
    assert {"carrier", "tracking_number", "label_url"} <= fields.keys()
    fields.update(carrier="DHL", tracking_number="jd0146 0001", label_url="https://dhl.example/label.pdf")
    saved = operator.post(url, fields)
    assert saved.status_code == 302, saved.content.decode()
    ret.refresh_from_db()
    assert (ret.carrier, ret.tracking_number, ret.label_url) == (
        "DHL",
        "JD01460001",
        "https://dhl.example/label.pdf",
    )
    assert ret.facts.filter(kind="issue_label", actor="manual").count() == 2, "a fact of its own"
    fields = form_fields(operator.get(url).content.decode())
    only_carrier = operator.post(url, {**fields, "carrier": "UPS"})
    assert (
        only_carrier.status_code == 200
        and "Changing only the carrier changes nothing" in only_carrier.content.decode()
    )
    no_number = operator.post(url, {**fields, "tracking_number": ""})
    assert (
        no_number.status_code == 200
        and "Give the parcel&#x27;s tracking number" in no_number.content.decode()
    )
    ret.refresh_from_db()
    assert (ret.carrier, ret.tracking_number) == ("DHL", "JD01460001")
    scan = {"kind": "tracking.event", "tracking_number": "JD01460001", "carrier": "dhl", "tag": "in_transit",
            "occurred_at": timezone.now().isoformat()}  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": [scan]}).status_code == 202
    ret.refresh_from_db()
    assert ret.status == "in_transit"
    # On its way: a label cannot be attached any more, and nothing changes.
    fields = form_fields(operator.get(url).content.decode())
    fields.update(tracking_number="JD999")
    refused = operator.post(url, fields)
    assert refused.status_code == 200 and "Not possible now" in refused.content.decode()
    ret.refresh_from_db()
    assert ret.tracking_number == "JD01460001"
