"""A customer's data: export everything held about them, erase it (the ledger kept whole, its
statuses unchanged), and find none of their strings anywhere afterwards."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from aftercart.domain.messaging import Channel
from aftercart.notifications.models import Message, Preference, PreferenceChange
from aftercart.notifications.selectors import choices_for
from aftercart.orders.models import Fact, Order, OrderLine, Shipment
from aftercart.orders.services import orders_rebuild
from aftercart.orders.tokens import make_tracking_token, read_tracking_token
from aftercart.orders.verify import projections_verify
from aftercart.privacy.models import ErasedOrder, ErasureReceipt
from aftercart.privacy.services import NothingHeld, PrivacyRefused, customer_erase, customer_export
from aftercart.returns.models import Return, ReturnLine
from aftercart.returns.photos import photos_root
from tests.integration.privacy_data import EMAIL, NEEDLES, customer_everywhere, leaks

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def ana(api, client, api_token, store, django_capture_on_commit_callbacks):
    return customer_everywhere(api, client, api_token, store, django_capture_on_commit_callbacks)


def statuses() -> dict:
    """What the projections say, order by order: what an erasure must not change."""
    return {
        o.external_id: (
            o.stage,
            o.next_step,
            o.number,
            sorted(o.milestones),
            sorted(Shipment.objects.filter(order=o).values_list("key", "tag", "subtag", "delivered_at")),
            sorted(OrderLine.objects.filter(order=o).values_list("line_id", "status", "shipped_quantity")),
        )
        for o in Order.objects.order_by("pk")
    }


def test_the_export_holds_everything_about_the_customer_matched_however_it_was_typed(store, ana):
    export = customer_export(store, email="  ANA.silva@example.COM ")
    data = export.data
    assert data["format"] == "aftercart.personal-data/1"
    assert data["customer"] == {"emails": ["ana.silva@example.com"], "phones": ["+442079460123"]}
    sections = data["sections"]
    assert [o["order_id"] for o in sections["orders"]["orders"]] == ["1001", "1002"]
    first = sections["orders"]["orders"][0]
    assert first["state"]["customer_name"] == "Ana Silva"
    assert any(f["payload"].get("raw_message") == "Delivered, signed by SILVA" for f in first["facts"])
    assert {m["recipient"] for m in sections["notifications"]["messages"]} == {"ana.silva@example.com"}
    assert {(p["channel"], p["opted_in"]) for p in sections["notifications"]["preferences"]} == {
        ("sms", False),
        ("email", True),
    }
    [ret] = sections["returns"]["returns"]
    assert ret["lines"][0]["reason_text"].startswith("Too small for me")
    [photo] = ret["lines"][0]["photos"]
    assert photo.startswith(f"photos/{ret['rma']}/") and data["files"] == [photo]
    archive = zipfile.ZipFile(io.BytesIO(export.zip_bytes()))
    assert sorted(archive.namelist()) == sorted(["personal-data.json", photo])
    assert archive.read(photo)[:2] == b"\xff\xd8", "the photo itself, a JPEG"
    assert "bruno" not in json.dumps(data).lower(), "another customer's data is not in it"

    by_phone = customer_export(store, phone="020 7946 0123").data  # national, in the store's country
    assert [o["order_id"] for o in by_phone["sections"]["orders"]["orders"]] == ["1001", "1002"]


def test_an_unknown_customer_or_an_unusable_address_is_refused(store, ana):
    with pytest.raises(NothingHeld):
        customer_export(store, email="nobody@example.com")
    with pytest.raises(PrivacyRefused) as refused:
        customer_export(store, phone="not a number")
    assert refused.value.field == "phone"
    with pytest.raises(PrivacyRefused):
        customer_erase(store, requested_by="operator:test")
    with pytest.raises(NothingHeld):
        customer_erase(store, email="nobody@example.com", requested_by="operator:test")
    assert not ErasureReceipt.objects.exists()


def test_erasure_leaves_none_of_the_customers_strings_and_the_same_statuses(
    store, ana, django_capture_on_commit_callbacks
):
    orders, bruno = ana
    before = statuses()
    facts_before = Fact.objects.count()
    token = make_tracking_token(orders[0])
    photo = photos_root() / ReturnLine.objects.get().photos[0]
    assert photo.is_file() and leaks(), "the scan finds her before"

    with django_capture_on_commit_callbacks(execute=True):
        receipt = customer_erase(store, email=EMAIL, requested_by="operator:alice")

    assert leaks(media=Path(photos_root())) == []
    assert not photo.exists()
    # The ledger is whole: every fact kept, and the projections (cached, and rebuilt from the
    # pseudonymised facts) say what they said.
    assert Fact.objects.count() == facts_before
    assert statuses() == before
    assert projections_verify().clean, "the scrubbed snapshots are what the scrubbed facts fold to"
    orders_rebuild()
    assert statuses() == before
    # Receipt: who, when, what — and no personal data (the scan above covered its table).
    assert receipt.requested_by == "operator:alice" and receipt.matched_by == "email"
    assert receipt.subject.startswith("anon-") and receipt.kind == "request"
    assert receipt.counts["orders"] == {"orders": 2, "facts": 3}  # placed ×2, the signed scan
    assert receipt.counts["returns"]["photos"] == 1
    assert receipt.counts["admin_log"] == {"admin_log": 1}
    assert set(ErasedOrder.objects.values_list("order_id", flat=True)) == {o.pk for o in orders}
    # Sends still count per (pseudonymous) recipient; nothing more goes out to her.
    recipients = set(Message.objects.filter(order__in=orders).values_list("recipient", flat=True))
    assert len(recipients) == 1 and recipients.pop().startswith("anon-")
    assert not Message.objects.filter(order__in=orders, status__in=["pending", "sending"]).exists()
    # Her "STOP" is kept as a pseudonymous suppression and still honoured; her opt-in is gone; the
    # consent history is kept without her address.
    assert choices_for(store.pk, Channel.SMS, "+442079460123").opted_in is False
    assert Preference.objects.filter(store=store).count() == 1
    assert PreferenceChange.objects.filter(store=store).count() == 2
    # Her tracking links stop opening the order.
    assert read_tracking_token(token) is None
    assert Return.objects.get().email == ""
    # Bruno is untouched.
    assert Order.objects.get(pk=bruno.pk).email == "bruno@example.com"
    assert "Bruno Costa" in json.dumps(Order.objects.get(pk=bruno.pk).snapshot)


def test_erasing_twice_finds_nothing_the_second_time(store, ana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(store, phone="+44 20 7946 0123", requested_by="operator:a")
    with pytest.raises(NothingHeld):
        customer_export(store, email=EMAIL)


def test_the_command_exports_and_erases(store, ana, tmp_path, capsys, django_capture_on_commit_callbacks):
    out = tmp_path / "ana.zip"
    call_command("aftercart_privacy", "export", "--store", "acme", "--email", EMAIL, "--out", str(out))
    assert "personal-data.json" in zipfile.ZipFile(out).namelist()
    with pytest.raises(Exception, match="--yes"):
        call_command("aftercart_privacy", "erase", "--store", "acme", "--email", EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "aftercart_privacy", "erase", "--store", "acme", "--email", EMAIL, "--yes", "--operator", "bo"
        )
    assert ErasureReceipt.objects.get().requested_by == "operator:bo"
    assert leaks(NEEDLES) == []


def test_the_api_exports_and_erases_for_its_own_store_only(
    api, store, ana, django_capture_on_commit_callbacks
):
    response = api.post("/api/v1/privacy/export", {"email": EMAIL})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "personal-data.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert api.post("/api/v1/privacy/export", {"email": "nobody@example.com"}).status_code == 404
    refused = api.post("/api/v1/privacy/erase", {"email": EMAIL})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "confirm"
    unusable = api.post("/api/v1/privacy/export", {"phone": "0000000000000000000000000000000"})
    assert unusable.status_code == 422 and unusable.json()["errors"][0]["field"] == "phone"
    assert leaks(), "nothing erased without the confirmation"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/privacy/erase", {"email": EMAIL, "confirm": "erase"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"].startswith("anon-") and body["requested_by"].startswith("api-key:")
    assert leaks() == []


def test_the_endpoints_are_documented_with_their_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    export = spec["paths"]["/api/v1/privacy/export"]["post"]
    erase = spec["paths"]["/api/v1/privacy/erase"]["post"]
    assert "application/zip" in export["responses"]["200"]["content"]
    for operation in (export, erase):
        assert {"400", "401", "404"} <= set(operation["responses"])
    body = erase["requestBody"]["content"]["application/json"]["schema"]
    assert "confirm" in str(spec["components"]["schemas"]) and body
