"""The demo's claims: one of each kind, in every state, made through the claims services, each
reachable from its page; one resolved by a reship whose new parcel shows on the order's tracking
page; photos that are real images; one flagged by the fraud guard; and seeding twice adds none."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from aftercart.claims.models import Claim, ClaimPhoto
from aftercart.claims.selectors import claim_photo_file
from aftercart.demo.claim_photos import SCENES, claim_photo
from aftercart.demo.services import DEMO_SLUGS, seed_demo
from aftercart.notifications.links import tracking_url
from aftercart.orders.models import Shipment

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def test_claim_photos_are_small_real_jpegs_and_the_same_for_a_seed():
    for scene in SCENES:
        data = claim_photo(scene, seed=1)
        assert 1_000 < len(data) < 100_000
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (480, 360)
        assert claim_photo(scene, seed=1) == data and claim_photo(scene, seed=2) != data


def test_demo_claims_in_every_state(
    client, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with django_capture_on_commit_callbacks(execute=True):
        summary = seed_demo(seed=7, orders=520, now=NOW)
    claims = Claim.objects.filter(store__slug__in=DEMO_SLUGS)
    assert {c.kind for c in claims} == {"lost", "stolen", "damaged", "wrong_item", "missing_item", "warranty"}
    statuses = {c.status for c in claims}
    assert statuses >= {"filed", "needs_evidence", "approved", "denied", "resolved"} or statuses >= {
        "in_review",
        "needs_evidence",
        "approved",
        "denied",
        "resolved",
    }
    assert set(summary.claims) >= {"lost_reshipped", "damaged_approved", "wrong_item", "warranty", "denied"}
    # Some approved at once by the policy, some waiting in the manual queue.
    assert claims.filter(needs_review=False).exclude(status__in=["denied"]).exists()
    assert claims.filter(needs_review=True, status__in=["filed", "in_review"]).exists()
    # One flagged by the fraud guard, with its reason.
    flagged = {c.number for c in claims if any(r.get("code") == "customer_claims" for r in c.review_reasons)}
    status, _number, link = summary.claims["flagged_second_claim"]
    assert status in ("filed", "in_review") and link.rsplit("/", 1)[1] in flagged
    assert len(flagged) < claims.count()
    # Photos are real images, kept on disk.
    photos = ClaimPhoto.objects.filter(claim__in=claims)
    assert photos.count() >= 4
    assert all(claim_photo_file(p).is_file() for p in photos)
    # The reship is a parcel of its own on the order, shown on its tracking page.
    reshipped = claims.get(status="resolved", resolution="reship")
    assert Shipment.objects.filter(
        order=reshipped.order, tracking_number=reshipped.reship_tracking_number
    ).exists()
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    url = tracking_url(reshipped.order)
    page = client.get(url[url.index("/t/") :]).content.decode()
    assert reshipped.reship_tracking_number in page and reshipped.number in page
    # Every claim's page opens from the listed link and shows its next step.
    for _status, number, link in summary.claims.values():
        response = client.get(link[link.index("/claims/") :])
        assert response.status_code == 200, number
        assert 'data-step="claim_' in response.content.decode()
    # Seeding again adds no claim.
    count = claims.count()
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(seed=7, orders=520, now=NOW)
    assert Claim.objects.filter(store__slug__in=DEMO_SLUGS).count() == count
