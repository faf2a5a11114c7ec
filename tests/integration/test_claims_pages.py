"""The claim pages (opened with the order's signed tracking link) and the ops claims queue, against
the real claims services and ledger: what they offer, what they file, and every bad request
(another order's item, a double claim, an oversized or fake photo, a cancelled order) refused with
the message by its field and nothing written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from aftercart.claims.models import CarrierClaim, Claim, ClaimFact, ClaimPhoto, WarrantyRegistration
from aftercart.claims.services.decide import claim_evidence_request
from aftercart.claims.services.policy import claim_policy_save
from aftercart.claims.services.warranty import warranty_period_set
from aftercart.notifications.models import Message
from aftercart.orders.models import Shipment
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.photos import MAX_BYTES
from tests.claims_fixtures import delivered_order, order_placed, photo_bytes
from tests.factories import fact

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(monkeypatch, settings, tmp_path):
    """The pages' clock at NOW; photos kept under the test's folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def order(store):
    """Delivered two days ago: damaged, wrong and missing items can be claimed; "not received"
    only from five days after delivery."""
    return delivered_order(store, "1001", delivered=NOW - timedelta(days=2))


def token(order) -> str:
    """The order's signed link (made once: a signature carries the time it was made)."""
    if not hasattr(order, "_test_token"):
        order._test_token = make_tracking_token(order)
    return order._test_token


def url(order, name="web:claims", **kwargs):
    return reverse(name, kwargs={"token": token(order), **kwargs})


def jpeg(name="box.jpg", color="red"):
    return SimpleUploadedFile(name, photo_bytes(color), content_type="image/jpeg")


def form(client, order, kind="damaged"):
    """The claim form as the browser gets it: its client key and the rows by line."""
    page = client.get(url(order), {"kind": kind})
    assert page.status_code == 200, page.content
    html = page.content.decode()
    key = re.search(r'name="client_key" value="([^"]+)"', html).group(1)
    rows = dict(re.findall(r'name="line-(\d+)" value="([^"]+)"', html))
    parcels = dict(re.findall(r'name="parcel-(\d+)" value="([^"]*)"', html))
    return html, key, {line: (i, parcels[i]) for i, line in rows.items()}


def committed(post):
    """Photos are written once their claim commits: run the request's commit callbacks."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post()


def submit(
    client, order, *, kind="damaged", lines=None, photos=(), resolution="refund", key="", note="Cracked"
):
    data = {"kind": kind, "client_key": key, "note": note, "resolution": resolution}
    for index, (line_id, parcel, qty) in enumerate(lines or []):
        data[f"line-{index}"], data[f"parcel-{index}"], data[f"qty-{index}"] = line_id, parcel, str(qty)
    if photos:
        data["photos"] = list(photos)
    return committed(lambda: client.post(url(order, "web:claims-submit"), data))


def no_files(root) -> bool:
    return not any(Path(root).rglob("*.*")) if Path(root).exists() else True


# -- the tracking page offers a claim ---------------------------------------------------------------


def test_tracking_page_offers_claims_from_the_delivered_step(client, order):
    page = client.get(url(order, "web:track-order"))
    html = page.content.decode()
    assert 'data-action="start_claim"' in html
    assert "Something is wrong with an item" in html
    assert "I didn&#x27;t receive it" in html or "I didn't receive it" in html
    assert url(order) in html and "data-start-claim" in html


def test_not_received_too_early_shows_the_date_it_opens(client, order):
    page = client.get(url(order), {"kind": "stolen"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-too-early" in html and "<form" not in html.split("data-too-early")[1].split("</main>")[0]
    # Delivered on 8 March: "not received" opens five days later.
    assert "13 March 2026" in html or "March 13, 2026" in html


def test_the_page_is_in_the_customers_language(client, order):
    page = client.get(url(order), {"kind": "damaged", "lang": "fr"})
    assert page["Content-Language"] == "fr"
    assert "Quels articles sont concernés" in page.content.decode()


# -- filing ------------------------------------------------------------------------------------------


def test_damaged_claim_with_a_photo_is_filed_and_its_page_shows_the_next_step(client, order, settings):
    html, key, rows = form(client, order)
    assert 'type="file"' in html and "5 MB each" in html
    _index, parcel = rows["L1"]
    response = submit(client, order, key=key, lines=[("L1", parcel, 1)], photos=[jpeg()])
    assert response.status_code == 303, response.content
    claim = Claim.objects.get()
    assert claim.kind == "damaged" and claim.source == "tracking_page"
    assert [(ln.line_id, ln.quantity) for ln in claim.lines.all()] == [("L1", 1)]
    assert claim.photos.count() == 1 and claim.preferred_resolution == "refund"
    assert (Path(settings.MEDIA_ROOT) / claim.photos.get().path).is_file()
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and claim.number in text
    assert 'data-step="claim_' in text
    # The same submission again (a double click): the same claim.
    again = submit(client, order, key=key, lines=[("L1", parcel, 1)], photos=[jpeg()])
    assert again.status_code == 303 and "again=1" in again["Location"]
    assert Claim.objects.count() == 1


def test_a_line_of_another_order_writes_nothing(client, order, store, settings):
    other = order_placed(store, "2002", placed=NOW - timedelta(days=9))
    assert other.pk != order.pk
    _html, key, rows = form(client, order)
    _index, parcel = rows["L1"]
    response = submit(client, order, key=key, lines=[("OTHER-LINE", parcel, 1)], photos=[jpeg()])
    assert response.status_code == 400
    assert Claim.objects.count() == 0 and ClaimFact.objects.count() == 0
    assert no_files(settings.MEDIA_ROOT)


def test_a_claim_page_of_another_order_is_not_found(client, order, store):
    other = delivered_order(store, "3003", delivered=NOW - timedelta(days=2))
    _html, key, rows = form(client, order)
    submit(client, order, key=key, lines=[("L1", rows["L1"][1], 1)], photos=[jpeg()])
    claim = Claim.objects.get()
    assert client.get(url(other, "web:claim-status", number=claim.number)).status_code == 404
    assert client.get(url(order, "web:claim-status", number=claim.number)).status_code == 200


def test_a_double_claim_on_the_same_item_writes_nothing(client, order):
    _html, key, rows = form(client, order)
    parcel = rows["L1"][1]
    assert submit(client, order, key=key, lines=[("L1", parcel, 1)], photos=[jpeg()]).status_code == 303
    facts = ClaimFact.objects.count()
    # Another claim (a new form) for the same unit: refused, by the line.
    _html, key2, _rows = form(client, order)
    response = submit(client, order, key=key2, lines=[("L1", parcel, 1)], photos=[jpeg("b.jpg", "blue")])
    assert response.status_code == 400
    assert Claim.objects.count() == 1 and ClaimFact.objects.count() == facts
    html = response.content.decode()
    assert 'role="alert"' in html and "already reported this item" in html


def test_a_fake_photo_is_refused_by_the_field_and_writes_nothing(client, order, settings):
    _html, key, rows = form(client, order)
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 'hi'; ?>" * 50, content_type="image/jpeg")
    response = submit(client, order, key=key, lines=[("L1", rows["L1"][1], 1)], photos=[fake])
    assert response.status_code == 400
    html = response.content.decode()
    assert "JPEG, PNG or WebP" in html
    assert 'href="#photos"' in html and 'aria-invalid="true"' in html
    assert Claim.objects.count() == 0 and ClaimPhoto.objects.count() == 0
    assert no_files(settings.MEDIA_ROOT)


def test_an_oversized_photo_is_refused_and_writes_nothing(client, order, settings):
    _html, key, rows = form(client, order)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (MAX_BYTES + 10), content_type="image/jpeg")
    response = submit(client, order, key=key, lines=[("L1", rows["L1"][1], 1)], photos=[big])
    assert response.status_code == 400
    assert "5 MB or smaller" in response.content.decode()
    assert Claim.objects.count() == 0 and no_files(settings.MEDIA_ROOT)


def test_a_request_over_the_upload_limit_is_refused_before_it_is_read(client, order):
    response = client.post(
        url(order, "web:claims-submit"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert Claim.objects.count() == 0


def test_a_damaged_claim_without_photos_is_refused_by_the_field(client, order):
    _html, key, rows = form(client, order)
    response = submit(client, order, key=key, lines=[("L1", rows["L1"][1], 1)])
    assert response.status_code == 400
    assert "photo" in response.content.decode().lower()
    assert Claim.objects.count() == 0


def test_a_cancelled_order_offers_nothing_and_writes_nothing(client, store):
    order = order_placed(store, "4004", placed=NOW - timedelta(days=3))
    facts_record(
        store=store,
        facts=[fact("order.cancelled", NOW - timedelta(days=2), "4004:cancel", order="4004")],
        now=NOW,
    )
    page = client.get(url(order))
    assert page.status_code == 200 and "data-nothing-to-claim" in page.content.decode()
    response = submit(client, order, key="claimpage:x", lines=[("L1", "", 1)], photos=[jpeg()])
    assert response.status_code == 400
    assert Claim.objects.count() == 0


def test_a_forged_link_is_not_found(client, order):
    assert client.get(reverse("web:claims", kwargs={"token": "forged:token"})).status_code == 404
    response = client.post(
        reverse("web:claims-submit", kwargs={"token": "forged:token"}), {"kind": "damaged"}
    )
    assert response.status_code == 404 and Claim.objects.count() == 0


# -- evidence, warranty, the returns portal --------------------------------------------------------


def test_evidence_requested_is_sent_from_the_claim_page(client, order, store):
    claim_policy_save(store=store, data={"auto_approve": {"max_value": None}}, actor="t", now=NOW)
    _html, key, rows = form(client, order, kind="missing_item")
    submit(client, order, kind="missing_item", key=key, lines=[("L2", rows["L2"][1], 1)])
    claim = Claim.objects.get()
    page = url(order, "web:claim-status", number=claim.number)
    assert "data-evidence" not in client.get(page).content.decode()
    assert claim.status in ("filed", "in_review")
    claim_evidence_request(claim=claim, actor="staff:ana", request="a photo of the open box", now=NOW)
    html = client.get(page).content.decode()
    assert "data-evidence" in html and "a photo of the open box" in html
    bad = client.post(
        url(order, "web:claim-evidence", number=claim.number),
        {"photos": [SimpleUploadedFile("x.jpg", b"nope")]},
    )
    assert bad.status_code == 400 and ClaimPhoto.objects.count() == 0
    good = committed(
        lambda: client.post(
            url(order, "web:claim-evidence", number=claim.number), {"photos": [jpeg()], "note": "here"}
        )
    )
    assert good.status_code == 303
    claim.refresh_from_db()
    assert claim.status == "in_review" and claim.photos.count() == 1


def test_warranty_registration_and_claim_from_the_tracking_page(client, order, store):
    warranty_period_set(store=store, scope="product", key="JKT", days=730, now=NOW)
    tracking = client.get(url(order, "web:track-order")).content.decode()
    assert url(order, "web:claims-warranty") in tracking
    page = client.get(url(order, "web:claims-warranty")).content.decode()
    assert 'data-line="L1"' in page and 'data-line="L2"' not in page  # only the jacket has a warranty
    response = client.post(url(order, "web:claims-warranty"), {"line": "L1", "serial": "SN-42"})
    assert response.status_code == 303
    registration = WarrantyRegistration.objects.get()
    assert (registration.line_id, registration.serial_number) == ("L1", "SN-42")
    # Not the jacket: nothing to register, nothing written.
    assert client.post(url(order, "web:claims-warranty"), {"line": "L2"}).status_code == 400
    assert WarrantyRegistration.objects.count() == 1
    _html, key, rows = form(client, order, kind="warranty")
    assert set(rows) == {"L1"}
    done = submit(
        client,
        order,
        kind="warranty",
        key=key,
        lines=[("L1", rows["L1"][1], 1)],
        photos=[jpeg()],
        resolution="repair",
    )
    assert done.status_code == 303
    assert Claim.objects.get().kind == "warranty"


def test_returns_portal_arrived_damaged_becomes_a_claim(client, order):
    response = client.get(
        url(order, "web:returns-review"),
        {"line-0": "L1", "qty-0": "1", "reason-0": "damaged", "text-0": "Box crushed"},
    )
    assert response.status_code == 303
    assert response["Location"].startswith(url(order)) and "kind=damaged" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "data-from-returns" in page and "Box crushed" in page
    assert re.search(r'<option value="1" selected>', page)


# -- the ops queue -----------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("ana", password="pw", is_staff=True)
    client.force_login(user)
    return user


def _filed(client, order, kind="damaged", line="L1"):
    _html, key, rows = form(client, order, kind=kind)
    photos = [jpeg()] if kind in ("damaged", "wrong_item") else []
    assert (
        submit(client, order, kind=kind, key=key, lines=[(line, rows[line][1], 1)], photos=photos).status_code
        == 303
    )
    return Claim.objects.order_by("-pk").first()


def test_ops_queue_is_staff_only(client, order):
    assert client.get(reverse("web:ops-claims")).status_code == 302


def test_ops_claim_decided_and_resolved_by_reship_shows_as_a_new_parcel(client, order, store, staff):
    claim_policy_save(store=store, data={"auto_approve": {"max_value": None}}, actor="t", now=NOW)
    claim = _filed(client, order)
    assert claim.status in ("filed", "in_review")
    queue = client.get(reverse("web:ops-claims")).content.decode()
    assert claim.number in queue and "Arrived damaged" in queue
    # The decision is due 48 hours after filing (the policy's default): the timer says so.
    assert re.search(r"(2\xa0days|1\xa0day, 23\xa0hours) left", queue), queue[queue.index("data-sla") :][:200]
    detail = client.get(reverse("web:ops-claim", kwargs={"number": claim.number})).content.decode()
    assert "data-policy-version" in detail and 'data-action="approve"' in detail
    photo = claim.photos.get()
    image = client.get(reverse("web:ops-claim-photo", kwargs={"number": claim.number, "photo_id": photo.pk}))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    act = reverse("web:ops-claim-act", kwargs={"number": claim.number})
    # A denial needs a reason: refused, nothing changes.
    assert client.post(act, {"action": "deny", "reason": ""}).status_code == 400
    claim.refresh_from_db()
    assert claim.status in ("filed", "in_review")
    assert client.post(act, {"action": "approve", "resolution": "reship"}).status_code == 303
    # A reship needs the replacement's tracking number: refused with why.
    refused = client.post(act, {"action": "resolve", "resolution": "reship", "carrier": "dhl"})
    assert refused.status_code == 400 and "Not done" in refused.content.decode()
    done = client.post(
        act, {"action": "resolve", "resolution": "reship", "carrier": "dhl", "tracking_number": "JDREPLACE1"}
    )
    assert done.status_code == 303
    claim.refresh_from_db()
    assert claim.status == "resolved" and claim.reship_tracking_number == "JDREPLACE1"
    assert Shipment.objects.filter(order=order, tracking_number="JDREPLACE1").exists()
    tracking = client.get(url(order, "web:track-order")).content.decode()
    assert "JDREPLACE1" in tracking
    assert Message.objects.filter(dedupe_key__contains=claim.number).exists()
    # The store's own claim against the carrier: its packet, then what came back.
    packet = client.get(reverse("web:ops-claim-packet", kwargs={"number": claim.number}))
    assert packet.status_code == 200 and packet["Content-Type"] == "application/pdf"
    assert packet.content.startswith(b"%PDF")
    bad = client.post(act, {"action": "carrier", "carrier_status": "paid", "recovered": "lots"})
    assert (
        bad.status_code == 400
        and not CarrierClaim.objects.filter(claim=claim).exclude(status="not_filed").exists()
    )
    saved = client.post(
        act,
        {
            "action": "carrier",
            "carrier_status": "paid",
            "carrier_reference": "DHL-CL-77",
            "recovered": "60.00",
        },
    )
    assert saved.status_code == 303
    carrier = CarrierClaim.objects.get(claim=claim)
    assert (carrier.status, carrier.reference, carrier.amount_recovered) == (
        "paid",
        "DHL-CL-77",
        Decimal("60.00"),
    )
    # The ops order page shows the claim's step: the replacement parcel on its way.
    ops_order = client.get(reverse("exceptions:order", args=[order.pk])).content.decode()
    assert claim.number in ops_order and "Your replacement is on its way" in ops_order


def test_ops_filters_and_the_fraud_flag(client, store, staff):
    claim_policy_save(store=store, data={"fraud": {"max_claims_per_customer": 1}}, actor="t", now=NOW)
    first = delivered_order(store, "5005", delivered=NOW - timedelta(days=2))
    second = delivered_order(store, "5006", delivered=NOW - timedelta(days=2))
    one = _filed(client, first, kind="missing_item", line="L2")
    two = _filed(client, second, kind="missing_item", line="L2")
    queue = reverse("web:ops-claims")
    flagged = client.get(queue, {"flagged": "1", "state": "all"}).content.decode()
    assert two.number in flagged and one.number not in flagged
    detail = client.get(reverse("web:ops-claim", kwargs={"number": two.number})).content.decode()
    assert "data-flags" in detail and "earlier claims by this customer" in detail
    by_kind = client.get(queue, {"kind": "damaged", "state": "all"}).content.decode()
    assert two.number not in by_kind
    overdue = client.get(queue, {"overdue": "1", "state": "all"}).content.decode()
    assert two.number not in overdue
    assert Decimal(two.claimed_value) > 0
