"""The service-level helper the demo calls: a claim in each state, driven by the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn
from aftercart.claims.services.seed import claim_seed
from aftercart.orders.selectors import order_state
from tests.claims_fixtures import delivered_order, photo_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("filed", "approved"),  # small and first: the policy approves it at once
        ("needs_evidence", "needs_evidence"),
        ("denied", "denied"),
        ("resolved", "resolved"),
    ],
)
def test_claim_seed_reaches_each_state(store, status, expected):
    now = timezone.now()
    order = delivered_order(store, f"6{status}", delivered=now - timedelta(days=8))
    claim = claim_seed(
        store=store,
        order=order,
        kind="stolen" if status != "resolved" else "damaged",
        lines=[ClaimLineIn("L2", 1)],
        status=status,
        photos=[ClaimPhotoIn("p.jpg", photo_bytes())] if status == "resolved" else (),
        resolution="reship" if status == "resolved" else "",
        now=now,
    )
    assert claim.status == expected
    if status == "resolved":
        assert claim.reship_tracking_number
        assert f"claim-{claim.number}" in order_state(order).shipments
    again = claim_seed(
        store=store, order=order, kind=claim.kind, lines=[ClaimLineIn("L2", 1)], status=status, now=now
    )
    assert again.pk == claim.pk  # seeding twice claims once
