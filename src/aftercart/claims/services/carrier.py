"""The store's own claim against the carrier: filed, accepted, rejected, paid; what was claimed
and what was recovered."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aftercart.claims.models import CarrierClaim, Claim


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
    ``accepted``, ``rejected``, ``paid``); fields left ``None`` keep their value. Recorded as a
    fact of the claim."""
    raise NotImplementedError
