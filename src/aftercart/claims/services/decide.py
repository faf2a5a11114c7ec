"""The store's decisions on a claim: approve, deny (with a reason the customer is told), ask for
evidence; and the customer's evidence coming in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftercart.claims.models import Claim
from aftercart.claims.services.filing import ClaimPhotoIn


def claim_approve(
    *,
    claim: Claim,
    actor: str,
    note: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Approve a claim waiting for a decision (``ClaimIllegalTransition`` otherwise); the
    customer is e-mailed and the store's webhook gets ``claim.approved``."""
    raise NotImplementedError


def claim_deny(
    *,
    claim: Claim,
    actor: str,
    reason: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Deny a claim with ``reason`` (required: the customer is told it)."""
    raise NotImplementedError


def claim_evidence_request(
    *,
    claim: Claim,
    actor: str,
    request: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Ask the customer for evidence (``request`` says what: "a photo of the box's label")."""
    raise NotImplementedError


def claim_evidence_add(
    *,
    claim: Claim,
    photos: Sequence[ClaimPhotoIn] = (),
    note: str = "",
    actor: str = "customer",
    now: datetime | None = None,
) -> Claim:
    """The customer's evidence: photos (checked like at filing) and a note. A claim that needed
    evidence goes back to review."""
    raise NotImplementedError


def claim_decide(
    *,
    claim: Claim,
    decision: str,
    actor: str,
    reason: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """One entry for the API and the ops queue: ``decision`` is ``approve``, ``deny`` or
    ``request_evidence`` (``reason`` is the denial's reason or what evidence to send)."""
    raise NotImplementedError
