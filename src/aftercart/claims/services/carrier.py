"""The store's own claim against the carrier: filed, accepted, rejected, paid; what was claimed
and what was recovered."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftercart.claims.models import CarrierClaim, Claim
from aftercart.claims.services.filing import ClaimRefused
from aftercart.claims.services.steps import record_fact
from aftercart.domain.returns import quantize

STATUSES = tuple(CarrierClaim.Status.values)


def carrier_claim_update(
    *,
    claim: Claim,
    status: str,
    actor: str,
    reference: str | None = None,
    amount_claimed: Decimal | None = None,
    amount_recovered: Decimal | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> CarrierClaim:
    """Create or update the carrier claim of ``claim`` (``status``: ``not_filed``, ``filed``,
    ``accepted``, ``rejected``, ``paid``); fields left ``None`` keep their value (a new carrier
    claim claims the claim's value by default). Amounts are never negative, and no more is
    recovered than was claimed. Recorded as a fact of the claim."""
    now = now or timezone.now()
    if status not in STATUSES:
        raise ClaimRefused(
            "unknown_status",
            f"unknown carrier claim status {status!r}; use {', '.join(STATUSES)}",
            errors=[{"field": "status", "code": "unknown_status", "message": "unknown"}],
        )
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        found = CarrierClaim.objects.filter(claim=claim).first()
        row = found or CarrierClaim(
            claim=claim,
            carrier=claim.carrier,
            currency=claim.currency,
            amount_claimed=quantize(claim.claimed_value, claim.currency),
            updated_at=now,
        )
        row.status = status
        if reference is not None:
            row.reference = reference.strip()[:200]
        if note is not None:
            row.note = note.strip()[:1000]
        for name, value in (("amount_claimed", amount_claimed), ("amount_recovered", amount_recovered)):
            if value is None:
                continue
            if value < 0:
                raise ClaimRefused(
                    "invalid_amount",
                    f"{name.replace('_', ' ')} cannot be negative",
                    errors=[{"field": name, "code": "invalid_amount", "message": "cannot be negative"}],
                )
            setattr(row, name, quantize(Decimal(value), claim.currency))
        if row.amount_recovered > row.amount_claimed:
            raise ClaimRefused(
                "recovered_over_claimed",
                "more recovered than was claimed from the carrier",
                errors=[
                    {
                        "field": "amount_recovered",
                        "code": "recovered_over_claimed",
                        "message": "over amount_claimed",
                    }
                ],
            )
        if status != CarrierClaim.Status.NOT_FILED and row.filed_at is None:
            row.filed_at = now
        row.updated_at = now
        row.save()
        record_fact(
            claim,
            "carrier_claim",
            actor=actor,
            now=now,
            key=f"{claim.number}:carrier:{now.isoformat()}:{status}",
            payload={
                "status": row.status,
                "reference": row.reference,
                "amount_claimed": str(row.amount_claimed),
                "amount_recovered": str(row.amount_recovered),
            },
        )
    return row
