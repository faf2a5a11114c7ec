"""The claims' part of a customer's personal data: their claims (by order, or by the e-mail the
claim was made with), what they wrote, their photos, their warranty registrations and the claims'
facts.

Erasure keeps each claim, its lines, amounts, carrier claim and facts (the store's books and the
carrier's claim need them); it blanks the e-mail, the free text, the address key and the card's
fingerprint, redacts the customer's strings from the decision and the facts, removes the photo
rows and deletes their files once the erasure commits. Warranty registrations lose their e-mail
and serial number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from aftercart.claims.models import Claim, ClaimFact, ClaimPhoto, WarrantyRegistration
from aftercart.claims.payloads import claim_payload
from aftercart.claims.photos import claim_photos_delete
from aftercart.domain.personal_data import scrub_json, scrub_text
from aftercart.kernel.personal_data import DataSubject
from aftercart.returns.photos import photos_root


def _claims(subject: DataSubject) -> Any:
    emails = subject.emails if subject.whole_customer else frozenset()
    return Claim.objects.filter(
        Q(order_id__in=subject.order_ids) | Q(email__in=emails), store_id=subject.store_id
    )


def _registrations(subject: DataSubject) -> Any:
    emails = subject.emails if subject.whole_customer else frozenset()
    return WarrantyRegistration.objects.filter(
        Q(order_id__in=subject.order_ids) | Q(email__in=emails), store_id=subject.store_id
    )


def _name(photo: ClaimPhoto) -> str:
    return f"claim-photos/{photo.claim.number}/{Path(photo.path).name}"


def export(subject: DataSubject) -> dict[str, Any]:
    """Each claim (photos named as in the export's ``claim-photos/`` folder) with its facts, and
    each warranty registration."""
    out = []
    claims = (
        _claims(subject)
        .select_related("order", "policy", "carrier_claim")
        .prefetch_related("lines", "photos", "facts")
        .order_by("pk")
    )
    for claim in claims:
        row = claim_payload(claim)
        row["photos"] = [f"claim-photos/{claim.number}/{Path(p.path).name}" for p in claim.photos.all()]
        row["facts"] = [
            {
                "kind": f.kind,
                "status": f.status,
                "actor": f.actor,
                "occurred_at": f.occurred_at.isoformat(),
                "payload": f.payload,
            }
            for f in claim.facts.all()
        ]
        out.append(row)
    registrations = [
        {
            "order_id": r.order.external_id,
            "line_id": r.line_id,
            "title": r.title,
            "serial_number": r.serial_number,
            "email": r.email,
            "registered_at": r.registered_at.isoformat(),
            "expires_at": None if r.expires_at is None else r.expires_at.isoformat(),
        }
        for r in _registrations(subject).select_related("order").order_by("pk")
    ]
    return {"claims": out, "warranty_registrations": registrations}


def files(subject: DataSubject) -> list[tuple[str, Path]]:
    """The photos kept on disk for the customer's claims."""
    found = []
    for photo in ClaimPhoto.objects.filter(claim__in=_claims(subject)).select_related("claim"):
        path = photos_root() / photo.path
        if path.is_file():
            found.append((_name(photo), path))
    return found


def erase(subject: DataSubject) -> dict[str, int]:
    """Blank and redact the customer's data in their claims and registrations; their photos are
    deleted on commit."""
    claims = list(_claims(subject))
    for claim in claims:
        claim.email = ""
        claim.address_key = ""
        claim.payment_fingerprint = ""
        claim.description = ""
        claim.denial_reason = scrub_text(claim.denial_reason, subject.needles)
        claim.evidence_request = scrub_text(claim.evidence_request, subject.needles)
        claim.decision = scrub_json(claim.decision, subject.needles)
    Claim.objects.bulk_update(
        claims,
        [
            "email",
            "address_key",
            "payment_fingerprint",
            "description",
            "denial_reason",
            "evidence_request",
            "decision",
        ],
        batch_size=500,
    )
    photos = ClaimPhoto.objects.filter(claim__in=claims)
    paths = list(photos.values_list("path", flat=True))
    photos.delete()
    facts = list(ClaimFact.objects.filter(claim__in=claims))
    for fact in facts:
        fact.payload = scrub_json(fact.payload, subject.needles)
        if fact.kind == "add_evidence" and isinstance(fact.payload, dict):
            fact.payload = {**fact.payload, "note": ""}
        fact.actor = scrub_text(fact.actor, subject.needles)
    ClaimFact.objects.bulk_update(facts, ["payload", "actor"], batch_size=500)
    registrations = list(_registrations(subject))
    for registration in registrations:
        registration.email, registration.serial_number = "", ""
    WarrantyRegistration.objects.bulk_update(registrations, ["email", "serial_number"], batch_size=500)
    transaction.on_commit(lambda: claim_photos_delete(paths))
    return {
        "claims": len(claims),
        "claim_facts": len(facts),
        "claim_photos": len(paths),
        "warranty_registrations": len(registrations),
    }
