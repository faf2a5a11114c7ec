"""Claims through the services on a real ledger: filing judged by the policy from the order's
facts, too early answered with a date, the fraud guard queueing for a person, decisions, the
resolutions (a reship is a new shipment in the order's ledger), carrier claims, warranty
registration and claims, photos checked and stripped, every refusal writing nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from aftercart.claims import selectors
from aftercart.claims.models import Claim, ClaimFact, ClaimPhoto
from aftercart.claims.services.carrier import carrier_claim_update
from aftercart.claims.services.decide import (
    claim_approve,
    claim_deny,
    claim_evidence_add,
    claim_evidence_request,
)
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, ClaimRefused, claim_file
from aftercart.claims.services.policy import claim_policy_save
from aftercart.claims.services.resolve import claim_resolve
from aftercart.claims.services.sla import claims_overdue_flag
from aftercart.claims.services.warranty import warranty_period_set, warranty_register
from aftercart.domain.claims import ClaimIllegalTransition
from aftercart.notifications.models import Message
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.services import facts_record
from aftercart.returns.photos import photos_root
from aftercart.stores.services import store_create
from tests.claims_fixtures import delivered_order, order_placed, photo_bytes, shipped
from tests.factories import fact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _photo(**kw) -> ClaimPhotoIn:
    return ClaimPhotoIn("box.jpg", photo_bytes(**kw))


def test_a_damaged_parcel_is_claimed_with_photos_and_approved_at_once(
    store, django_capture_on_commit_callbacks
):
    now = timezone.now()
    order = delivered_order(store, "1001", delivered=now - timedelta(days=2))
    claim_policy_save(store=store, data={"auto_approve": {"max_value": "200.00"}})
    with django_capture_on_commit_callbacks(execute=True):
        result = claim_file(
            store=store,
            order=order,
            kind="damaged",
            lines=[ClaimLineIn("L1", 1)],
            photos=[_photo(exif=True)],
            preferred_resolution="refund",
            now=now,
        )
    claim = result.claim
    assert result.created
    assert claim.status == "approved" and not claim.needs_review
    assert claim.claimed_value == Decimal("120.000")
    assert claim.shipment_key == "S1" and claim.tracking_number == "JD1001"
    assert [f.kind for f in claim.facts.all()] == ["filed", "approve"]
    # The e-mail says it once ("approved"); the store's webhook gets nothing (none enabled).
    sent = Message.objects.filter(subject=claim.number).order_by("pk")
    assert [(m.milestone, m.status) for m in sent] == [
        ("claim_filed", "suppressed"),
        ("claim_approved", "pending"),
    ]
    assert Image.open(io.BytesIO(photo_bytes(exif=True))).getexif()  # the upload did carry EXIF
    photo = ClaimPhoto.objects.get(claim=claim)
    kept = Image.open(photos_root() / photo.path)
    assert kept.format == "JPEG" and not kept.getexif()  # re-encoded: no EXIF, no GPS


def test_money_resolution_never_pays_more_than_the_units_cost(store):
    now = timezone.now()
    order = delivered_order(store, "1002", delivered=now - timedelta(days=1))
    claim = claim_file(
        store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    assert claim.claimed_value == Decimal("12.500")
    with pytest.raises(ClaimRefused) as refused:
        claim_resolve(claim=claim, resolution="refund", actor="ops", amount=Decimal("12.51"), now=now)
    assert refused.value.code == "amount_too_high"
    claim = claim_resolve(claim=claim, resolution="refund", actor="ops", now=now)
    assert claim.status == "resolved" and claim.payout_amount == Decimal("12.50")
    # The other pair may still be claimed; the first may not twice.
    with pytest.raises(ClaimRefused) as again:
        claim_file(store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 2)], now=now)
    assert again.value.code == "already_claimed"
    second = claim_file(
        store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    assert second.claimed_value == Decimal("12.500")


def test_too_early_is_answered_with_the_date_and_writes_nothing(store):
    now = timezone.now()
    order = delivered_order(store, "1003", delivered=now - timedelta(days=1))
    with pytest.raises(ClaimRefused) as refused:
        claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now)
    assert refused.value.code == "too_early"
    assert refused.value.open_from is not None
    assert abs(refused.value.open_from - (now + timedelta(days=4))) < timedelta(minutes=1)
    assert not Claim.objects.exists() and not ClaimFact.objects.exists()
    eligibility = {(e.kind, e.parcel_key): e for e in selectors.claim_eligibility(order, now=now)}
    stolen = eligibility[("stolen", "S1")]
    assert stolen.window.state == "too_early" and stolen.step is not None
    assert stolen.step.params["open_from"] == refused.value.open_from.isoformat()
    assert eligibility[("damaged", "S1")].window.state == "open"
    assert eligibility[("lost", "S1")].window.state == "not_applicable"


def test_a_parcel_without_scans_for_a_week_is_lost_and_reshipped_as_a_new_shipment(store):
    now = timezone.now()
    order = order_placed(store, "1004", placed=now - timedelta(days=12))
    shipped(store, "1004", at=now - timedelta(days=11), tracking="JD1004", scans=(now - timedelta(days=10),))
    early = now - timedelta(days=5)
    with pytest.raises(ClaimRefused) as refused:
        claim_file(store=store, order=order, kind="lost", lines=[ClaimLineIn("L1", 1)], now=early)
    assert refused.value.code == "too_early"
    claim = claim_file(
        store=store,
        order=order,
        kind="lost",
        lines=[ClaimLineIn("L1", 1), ClaimLineIn("L2", 2)],
        preferred_resolution="reship",
        now=now,
    ).claim
    # 145.00 is over the 100.00 automatic limit: a person decides.
    assert claim.status == "in_review" and claim.needs_review
    assert [r["code"] for r in claim.review_reasons] == ["over_auto_limit"]
    claim = claim_approve(claim=claim, actor="ops@acme", now=now)
    with pytest.raises(ClaimRefused) as missing:
        claim_resolve(claim=claim, resolution="reship", actor="ops", now=now)
    assert missing.value.code == "carrier_required"
    claim = claim_resolve(
        claim=claim, resolution="reship", actor="ops", carrier="ups", tracking_number="1z 999 aa1", now=now
    )
    state = order_state(Order.objects.get(pk=order.pk))
    replacement = state.shipments[f"claim-{claim.number}"]
    assert replacement.tracking_number == "1Z999AA1" and replacement.carrier == "ups"
    assert replacement.lines == {"L1": 1, "L2": 2}
    assert len(state.shipments) == 2
    # Resolving again with the same key changes nothing.
    again = claim_resolve(
        claim=claim, resolution="reship", actor="ops", carrier="ups", tracking_number="1Z999AA1", now=now
    )
    assert again.status == "resolved"


def test_the_fraud_guard_queues_repeated_not_received_claims_for_a_person(store):
    now = timezone.now()
    first = delivered_order(store, "1005", delivered=now - timedelta(days=10))
    claim_one = claim_file(
        store=store, order=first, kind="stolen", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    assert claim_one.status == "approved"
    # Another order to the same address, another name and e-mail: flagged, not refused.
    second = delivered_order(store, "1006", delivered=now - timedelta(days=10), email="bo@example.com")
    claim_two = claim_file(
        store=store, order=second, kind="stolen", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    assert claim_two.status == "in_review"
    codes = {r["code"] for r in claim_two.review_reasons}
    assert "repeat_not_received" in codes


def test_bad_input_is_refused_and_writes_nothing(store):
    now = timezone.now()
    order = delivered_order(store, "1007", delivered=now - timedelta(days=1))
    cases = [
        ({"kind": "damaged", "lines": [ClaimLineIn("L1", 1)]}, "photos_required"),
        ({"kind": "damaged", "lines": [ClaimLineIn("L9", 1)], "photos": [_photo()]}, "unknown_line"),
        ({"kind": "missing_item", "lines": [ClaimLineIn("L2", 3)]}, "over_quantity"),
        (
            {
                "kind": "damaged",
                "lines": [ClaimLineIn("L1", 1)],
                "photos": [ClaimPhotoIn("x.jpg", b"GIF89a not")],
            },
            "photo_not_an_image",
        ),
        (
            {
                "kind": "damaged",
                "lines": [ClaimLineIn("L1", 1)],
                "photos": [ClaimPhotoIn("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1))],
            },
            "photo_too_large",
        ),
        ({"kind": "lost", "lines": [ClaimLineIn("L1", 1)]}, "delivered"),
        (
            {"kind": "missing_item", "lines": [ClaimLineIn("L2", 1)], "preferred_resolution": "repair"},
            "resolution_not_offered",
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClaimRefused) as refused:
            claim_file(store=store, order=order, now=now, **kwargs)
        assert refused.value.code == code, kwargs
    assert not Claim.objects.exists()
    assert not Message.objects.filter(milestone__startswith="claim").exists()
    assert not any(photos_root().rglob("*.jpg")) if photos_root().exists() else True


def test_a_cancelled_order_cannot_be_claimed(store):
    now = timezone.now()
    order = order_placed(store, "1008", placed=now - timedelta(days=3))
    facts_record(
        store=store, facts=[fact("order.cancelled", now - timedelta(days=2), "1008:c", order="1008")], now=now
    )
    with pytest.raises(ClaimRefused) as refused:
        claim_file(store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L1", 1)], now=now)
    assert refused.value.code == "order_cancelled"


def test_decisions_follow_the_lifecycle(store):
    now = timezone.now()
    order = delivered_order(store, "1009", delivered=now - timedelta(days=10))
    claim_policy_save(store=store, data={"auto_approve": {"max_value": None}})
    claim = claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now).claim
    assert claim.status == "in_review" and claim.policy.version == 1
    claim = claim_evidence_request(claim=claim, actor="ops", request="a photo of your letterbox", now=now)
    assert claim.status == "needs_evidence"
    with pytest.raises(ClaimIllegalTransition):
        claim_deny(claim=claim, actor="ops", reason="  ", now=now)
    claim = claim_evidence_add(claim=claim, photos=[_photo(color="blue")], note="here", now=now)
    assert claim.status == "in_review" and claim.photos.count() == 1
    claim = claim_deny(claim=claim, actor="ops", reason="The carrier's photo shows it in your porch", now=now)
    assert claim.status == "denied"
    with pytest.raises(ClaimIllegalTransition):
        claim_approve(claim=claim, actor="ops", now=now)
    milestones = list(Message.objects.filter(subject=claim.number).values_list("milestone", flat=True))
    assert milestones == ["claim_filed", "claim_evidence_requested", "claim_denied"]
    # Denied units can be claimed again (a denial is not a claim that stands).
    assert claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now).created


def test_carrier_claim_records_what_was_recovered(store):
    now = timezone.now()
    order = delivered_order(store, "1010", delivered=now - timedelta(days=1))
    claim = claim_file(
        store=store, order=order, kind="damaged", lines=[ClaimLineIn("L1", 1)], photos=[_photo()], now=now
    ).claim
    row = carrier_claim_update(claim=claim, status="filed", actor="ops", reference="DHL-77", now=now)
    assert row.amount_claimed == Decimal("120.00") and row.carrier == "dhl" and row.filed_at == now
    with pytest.raises(ClaimRefused):
        carrier_claim_update(
            claim=claim, status="paid", actor="ops", amount_recovered=Decimal("130"), now=now
        )
    row = carrier_claim_update(
        claim=claim, status="paid", actor="ops", amount_recovered=Decimal("80"), now=now
    )
    assert row.amount_recovered == Decimal("80.00") and row.reference == "DHL-77"


def test_warranty_registration_and_claim(store):
    now = timezone.now()
    order = delivered_order(store, "1011", delivered=now - timedelta(days=200))
    with pytest.raises(ClaimRefused) as refused:
        claim_file(
            store=store,
            order=order,
            kind="warranty",
            lines=[ClaimLineIn("L1", 1)],
            photos=[_photo()],
            now=now,
        )
    assert refused.value.code == "not_covered"
    warranty_period_set(store=store, scope="category", key="outerwear", days=365, now=now)
    registered = warranty_register(store=store, order=order, line_id="L1", serial_number="SN-1", now=now)
    assert registered.created and registered.registration.days == 365
    assert registered.registration.expires_at == now - timedelta(days=200) + timedelta(days=365)
    claim = claim_file(
        store=store, order=order, kind="warranty", lines=[ClaimLineIn("L1", 1)], photos=[_photo()], now=now
    ).claim
    assert claim.status == "in_review"  # warranty claims are decided by a person by default
    assert claim.resolution_options == ["repair", "replace", "refund"]
    warranty_period_set(store=store, scope="product", key="JKT", days=100, now=now)
    with pytest.raises(ClaimRefused) as expired:
        claim_file(
            store=store,
            order=order,
            kind="warranty",
            lines=[ClaimLineIn("L1", 1)],
            photos=[_photo(color="green")],
            now=now,
        )
    assert expired.value.code == "warranty_expired"


def test_overdue_claims_are_flagged_once(store):
    now = timezone.now()
    order = delivered_order(store, "1012", delivered=now - timedelta(days=10))
    claim_policy_save(store=store, data={"auto_approve": {"max_value": None}})
    claim = claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now).claim
    assert claims_overdue_flag(now=now + timedelta(hours=47)) == 0
    assert claims_overdue_flag(now=now + timedelta(hours=49)) == 1
    assert claims_overdue_flag(now=now + timedelta(hours=50)) == 0
    claim.refresh_from_db()
    assert claim.overdue


def test_an_order_of_another_store_is_not_claimable(store):
    other = store_create(slug="other", name="Other")
    now = timezone.now()
    order = delivered_order(store, "1013", delivered=now - timedelta(days=1))
    with pytest.raises(ClaimRefused) as refused:
        claim_file(store=other, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now)
    assert refused.value.code == "unknown_order"
    assert not Claim.objects.exists()
