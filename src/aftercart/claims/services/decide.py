"""The store's decisions on a claim: approve, deny (with a reason the customer is told), ask for
evidence; and the customer's evidence coming in. Each is one transaction; a move the lifecycle
forbids raises ``ClaimIllegalTransition`` and writes nothing. The same ``idempotency_key`` again
changes nothing (a retried request)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aftercart.claims.models import Claim
from aftercart.claims.photos import claim_photos_write_on_commit
from aftercart.claims.services.filing import ClaimPhotoIn, ClaimRefused, check_photos, keep_photos
from aftercart.claims.services.steps import fact_exists, move
from aftercart.domain.claims import ClaimEvent, ClaimIllegalTransition, ClaimStatus

DECISIONS = ("approve", "deny", "request_evidence")


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().select_related("order", "store").get(pk=claim.pk)


def _key(claim: Claim, event: str, given: str, now: datetime) -> str:
    return f"{claim.number}:{event}:{given}" if given else f"{claim.number}:{event}:{now.isoformat()}"


def claim_approve(
    *,
    claim: Claim,
    actor: str,
    note: str = "",
    resolution: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Approve a claim waiting for a decision (``ClaimIllegalTransition`` otherwise); the
    customer is e-mailed and the store's webhook gets ``claim.approved``. ``resolution`` (one of
    the claim's options) settles which way it will be made right, when the team chooses."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        key = _key(claim, "approve", idempotency_key, now)
        if idempotency_key and fact_exists(claim, key):
            return claim
        if resolution:
            if resolution not in claim.resolution_options:
                raise ClaimIllegalTransition(
                    ClaimStatus(claim.status),
                    ClaimEvent.APPROVE,
                    f"{resolution.replace('_', ' ')} is not offered for this claim "
                    f"(offered: {', '.join(claim.resolution_options)})",
                )
            claim.preferred_resolution = resolution
        claim.decided_at = now
        move(
            claim,
            ClaimEvent.APPROVE,
            actor=actor,
            now=now,
            key=key,
            payload={"note": note[:500], "resolution": resolution},
        )
    return claim


def claim_deny(
    *,
    claim: Claim,
    actor: str,
    reason: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Deny a claim with ``reason`` (required: the customer is told it)."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        key = _key(claim, "deny", idempotency_key, now)
        if idempotency_key and fact_exists(claim, key):
            return claim
        claim.denial_reason = reason.strip()[:500]
        claim.decided_at = now
        move(
            claim,
            ClaimEvent.DENY,
            actor=actor,
            now=now,
            key=key,
            payload={"reason": reason[:500]},
            reason=reason,
        )
    return claim


def claim_evidence_request(
    *,
    claim: Claim,
    actor: str,
    request: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Ask the customer for evidence (``request`` says what: "a photo of the box's label")."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        key = _key(claim, "request_evidence", idempotency_key, now)
        if idempotency_key and fact_exists(claim, key):
            return claim
        asked = claim.facts.filter(kind=ClaimEvent.REQUEST_EVIDENCE.value).count()
        claim.evidence_request = request.strip()[:500]
        move(
            claim,
            ClaimEvent.REQUEST_EVIDENCE,
            actor=actor,
            now=now,
            key=key,
            payload={"request": request[:500]},
            reason=request,
            # A second request is news of its own (it asks for something else).
            occasion=str(asked + 1) if asked else "",
        )
    return claim


def claim_evidence_add(
    *,
    claim: Claim,
    photos: Sequence[ClaimPhotoIn] = (),
    note: str = "",
    actor: str = "customer",
    now: datetime | None = None,
) -> Claim:
    """The customer's evidence: photos (checked like at filing, ``ClaimRefused`` for a refused
    one) and a note. A claim that needed evidence goes back to review; nothing at all is refused
    as ``no_evidence``."""
    now = now or timezone.now()
    if not photos and not note.strip():
        raise ClaimRefused("no_evidence", "send at least one photo or a note")
    with transaction.atomic():
        claim = _locked(claim)
        # Checked before any move: a refused photo writes nothing.
        if claim.status in (ClaimStatus.DENIED.value, ClaimStatus.RESOLVED.value, ClaimStatus.APPROVED.value):
            raise ClaimIllegalTransition(
                ClaimStatus(claim.status), ClaimEvent.ADD_EVIDENCE, f"the claim is already {claim.status}"
            )
        checked = check_photos(claim.number, photos, already=claim.photos.count())
        keep_photos(claim, checked, now)
        move(
            claim,
            ClaimEvent.ADD_EVIDENCE,
            actor=actor,
            now=now,
            key=f"{claim.number}:evidence:{now.isoformat()}:{len(checked)}",
            payload={"note": note.strip()[:2000], "photos": [c.path for c in checked]},
        )
        claim_photos_write_on_commit(checked)
    return claim


def claim_decide(
    *,
    claim: Claim,
    decision: str,
    actor: str,
    reason: str = "",
    resolution: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """One entry for the API and the ops queue: ``decision`` is ``approve`` (``reason`` a note,
    ``resolution`` optional), ``deny`` (``reason`` required) or ``request_evidence`` (``reason``:
    what to send)."""
    if decision == "approve":
        return claim_approve(
            claim=claim,
            actor=actor,
            note=reason,
            resolution=resolution,
            idempotency_key=idempotency_key,
            now=now,
        )
    if decision == "deny":
        return claim_deny(claim=claim, actor=actor, reason=reason, idempotency_key=idempotency_key, now=now)
    if decision == "request_evidence":
        return claim_evidence_request(
            claim=claim, actor=actor, request=reason, idempotency_key=idempotency_key, now=now
        )
    raise ValueError(f"unknown decision {decision!r}; use {', '.join(DECISIONS)}")
