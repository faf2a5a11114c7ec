"""Recording a step of a claim: the fact it appends and, in the same transaction, the outbox rows
of the milestones it reaches; the move through the lifecycle that records it. Used by every
service of the package, inside their transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from aftercart.claims import notify
from aftercart.claims.models import Claim, ClaimFact
from aftercart.domain.claims import ClaimEvent, ClaimStatus, next_claim_status
from aftercart.domain.claims.notices import milestones_for_claim_step
from aftercart.domain.milestones import Milestone


def record_fact(
    claim: Claim,
    kind: str,
    *,
    actor: str,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    occasion: str = "",
    suppress: dict[Milestone, str] | None = None,
) -> ClaimFact:
    """Append the step and, in the same transaction, the outbox rows of what it reached: the one
    place every step of a claim is recorded and told."""
    fact = ClaimFact.objects.create(
        store_id=claim.store_id,
        claim=claim,
        kind=kind,
        status=claim.status,
        actor=actor[:200],
        occurred_at=now,
        recorded_at=timezone.now(),
        idempotency_key=key[:200],
        payload=payload,
    )
    notify.claim_messages_plan(
        claim, milestones_for_claim_step(kind, claim.status), now=now, occasion=occasion, suppress=suppress
    )
    return fact


def fact_exists(claim: Claim, key: str) -> bool:
    """Whether a step with idempotency ``key`` was already recorded (a retried call)."""
    return ClaimFact.objects.filter(store_id=claim.store_id, idempotency_key=key[:200]).exists()


def move(
    claim: Claim,
    event: ClaimEvent,
    *,
    actor: str,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    reason: str = "",
    occasion: str = "",
) -> ClaimFact:
    """Move ``claim`` by ``event`` (``ClaimIllegalTransition`` before anything is written when the
    lifecycle forbids it), save it and record the step."""
    status = next_claim_status(ClaimStatus(claim.status), event, reason=reason)
    claim.status = status.value
    claim.updated_at = now
    claim.save()
    return record_fact(claim, event.value, actor=actor, now=now, key=key, payload=payload, occasion=occasion)
