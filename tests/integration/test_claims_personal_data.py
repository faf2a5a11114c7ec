"""The claims' part of a customer's personal data: exported with the photo files beside it, and
erased — text blanked, strings redacted, photo rows removed and their files deleted on commit —
while the claim, its amounts and facts stay for the store's books."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.claims import personal_data
from aftercart.claims.models import Claim, ClaimPhoto, WarrantyPeriod, WarrantyRegistration
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, claim_file
from aftercart.claims.services.warranty import warranty_register
from aftercart.kernel.personal_data import DataSubject, personal_data_handlers
from aftercart.returns.photos import photos_root
from tests.claims_fixtures import delivered_order, photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_export_and_erase(store, django_capture_on_commit_callbacks):
    now = timezone.now()
    order = delivered_order(store, "5001", delivered=now - timedelta(days=1), email="ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_file(
            store=store,
            order=order,
            kind="damaged",
            lines=[ClaimLineIn("L2", 1)],
            description="Ana Lima here: the socks came torn, call me on +44 7700 900123",
            photos=[ClaimPhotoIn("a.jpg", photo_bytes())],
            payment_fingerprint="fp_123",
            now=now,
        ).claim
    warranty_register(store=store, order=order, line_id="L1", serial_number="SN-ANA", now=now)
    assert "claims" in {h.name for h in personal_data_handlers()}
    subject = DataSubject(
        store_id=store.pk,
        order_ids=frozenset({order.pk}),
        emails=frozenset({"ana@example.com"}),
        needles=("Ana Lima", "ana@example.com"),
    )
    exported = personal_data.export(subject)
    assert exported["claims"][0]["number"] == claim.number
    assert exported["claims"][0]["photos"] == [
        f"claim-photos/{claim.number}/{ClaimPhoto.objects.get().path.split('/')[-1]}"
    ]
    assert exported["warranty_registrations"][0]["serial_number"] == "SN-ANA"
    files = personal_data.files(subject)
    assert len(files) == 1 and files[0][1].is_file()
    kept_file = files[0][1]

    with django_capture_on_commit_callbacks(execute=True):
        counts = personal_data.erase(subject)
    assert counts == {"claims": 1, "claim_facts": 2, "claim_photos": 1, "warranty_registrations": 1}
    claim = Claim.objects.get(pk=claim.pk)
    assert (claim.email, claim.description, claim.payment_fingerprint, claim.address_key) == ("", "", "", "")
    assert claim.claimed_value > 0 and claim.facts.count() == 2  # the books stay
    assert not ClaimPhoto.objects.exists() and not kept_file.exists()
    assert not any((photos_root() / "claims").rglob("*.jpg"))
    assert WarrantyRegistration.objects.get().serial_number == ""


def test_admin_pages_of_claims_open(store, admin_client):
    now = timezone.now()
    order = delivered_order(store, "5002", delivered=now - timedelta(days=1))
    claim = claim_file(
        store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    for path in (
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/claims/claimpolicyversion/add/",
        "/admin/claims/warrantyperiod/add/",
        "/admin/claims/warrantyregistration/",
    ):
        assert admin_client.get(path).status_code == 200, path
    added = admin_client.post(
        "/admin/claims/warrantyperiod/add/",
        {"store": store.pk, "scope": "category", "key": "outerwear", "days": 730},
    )
    assert added.status_code == 302
    assert WarrantyPeriod.objects.get().days == 730
