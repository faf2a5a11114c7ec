"""Making an approved claim right: a replacement parcel recorded in the order's ledger, a refund,
store credit, or (warranty) a repair or a replacement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aftercart.claims.models import Claim


def claim_resolve(
    *,
    claim: Claim,
    resolution: str,
    actor: str,
    amount: Decimal | None = None,
    reference: str = "",
    carrier: str = "",
    tracking_number: str = "",
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Claim:
    """Resolve an approved claim with ``resolution`` (one the policy offered for it).

    ``reship`` / ``replace`` records a ``shipment.created`` fact in the order's ledger — a new
    shipment with its own ``tracking_number`` (and ``carrier``) carrying the claimed units — so it
    shows on the order as a parcel of its own. ``refund`` / ``store_credit`` pay ``amount``
    (default: the claimed value), never more than was paid for the claimed units."""
    raise NotImplementedError
