"""Making an approved claim right: a replacement parcel recorded in the order's ledger, a refund,
store credit, or (warranty) a repair or a replacement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from aftercart.claims.models import Claim
from aftercart.claims.services.filing import ClaimRefused
from aftercart.claims.services.steps import fact_exists, move
from aftercart.domain.claims import (
    MONEY_RESOLUTIONS,
    ClaimEvent,
    ClaimIllegalTransition,
    ClaimStatus,
    ResolutionKind,
)
from aftercart.domain.facts import Fact, FactKind, normalise_tracking_number
from aftercart.domain.returns import quantize
from aftercart.orders.services import facts_record

#: Resolutions that send something: a parcel in the order's ledger.
SHIPPING = frozenset({ResolutionKind.RESHIP, ResolutionKind.REPLACE})


def reship_shipment_id(claim: Claim) -> str:
    """The shipment id of a claim's replacement parcel in the order's ledger."""
    return f"claim-{claim.number}"


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
    shipment with its own ``tracking_number`` (and ``carrier``, both required) carrying the
    claimed units — so it shows on the order as a parcel of its own, tracked and messaged like
    any other. ``refund`` / ``store_credit`` pay ``amount`` (default: the claimed value), never
    more than was paid for the claimed units (``ClaimRefused`` ``amount_too_high``). ``reference``
    is the store's id of the refund, credit or replacement order."""
    now = now or timezone.now()
    try:
        chosen = ResolutionKind(resolution)
    except ValueError:
        raise ClaimRefused(
            "unknown_resolution",
            f"unknown resolution {resolution!r}",
            errors=[{"field": "resolution", "code": "unknown_resolution", "message": "unknown"}],
        ) from None
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("order", "store").get(pk=claim.pk)
        key = f"{claim.number}:resolve:{idempotency_key}" if idempotency_key else f"{claim.number}:resolve"
        if claim.status == ClaimStatus.RESOLVED.value and fact_exists(claim, key):
            return claim  # the same resolution again
        if claim.status != ClaimStatus.APPROVED.value:
            raise ClaimIllegalTransition(
                ClaimStatus(claim.status),
                ClaimEvent.RESOLVE,
                f"only an approved claim can be resolved; this one is {claim.status.replace('_', ' ')}",
            )
        if chosen.value not in claim.resolution_options:
            raise ClaimRefused(
                "resolution_not_offered",
                f"{chosen.value.replace('_', ' ')} is not offered for this claim "
                f"(offered: {', '.join(claim.resolution_options)})",
                errors=[{"field": "resolution", "code": "resolution_not_offered", "message": "not offered"}],
            )
        payload: dict[str, object] = {"resolution": chosen.value, "reference": reference[:200]}
        if chosen in MONEY_RESOLUTIONS:
            paid = _amount(claim, amount)
            claim.payout_amount = paid
            payload["amount"] = str(paid)
        if chosen in SHIPPING or (chosen is ResolutionKind.REPAIR and tracking_number.strip()):
            _ship(claim, carrier=carrier, tracking_number=tracking_number, now=now)
            payload.update(
                shipment_id=claim.reship_shipment_id,
                carrier=claim.reship_carrier,
                tracking_number=claim.reship_tracking_number,
            )
        claim.resolution = chosen.value
        claim.resolution_reference = reference.strip()[:200]
        claim.resolved_at = now
        move(claim, ClaimEvent.RESOLVE, actor=actor, now=now, key=key, payload=payload)
    return claim


def _amount(claim: Claim, amount: Decimal | None) -> Decimal:
    cap = quantize(claim.claimed_value, claim.currency)
    if amount is None:
        return cap
    try:
        given = quantize(Decimal(amount), claim.currency)
    except (InvalidOperation, TypeError, ValueError):
        given = Decimal(-1)
    if given <= 0:
        raise ClaimRefused(
            "invalid_amount",
            "the amount must be more than zero",
            errors=[{"field": "amount", "code": "invalid_amount", "message": "must be more than zero"}],
        )
    if given > cap:
        raise ClaimRefused(
            "amount_too_high",
            f"at most {cap} {claim.currency} was paid for the claimed items",
            errors=[{"field": "amount", "code": "amount_too_high", "message": f"at most {cap}"}],
        )
    return given


def _ship(claim: Claim, *, carrier: str, tracking_number: str, now: datetime) -> None:
    number = normalise_tracking_number(tracking_number)
    errors = []
    if not carrier.strip():
        errors.append(
            {"field": "carrier", "code": "carrier_required", "message": "the replacement's carrier"}
        )
    if not number:
        errors.append(
            {
                "field": "tracking_number",
                "code": "tracking_required",
                "message": "the replacement's tracking number",
            }
        )
    if errors:
        raise ClaimRefused(
            errors[0]["code"], "a replacement parcel needs its carrier and tracking number", errors=errors
        )
    claim.reship_shipment_id = reship_shipment_id(claim)
    claim.reship_carrier = carrier.strip()[:64]
    claim.reship_tracking_number = str(number)[:64]
    fact = Fact(
        kind=FactKind.SHIPMENT_CREATED,
        occurred_at=now,
        idempotency_key=f"claim:{claim.number}:shipment",
        source="claims",
        order_ref=claim.order.external_id,
        tracking_number=claim.reship_tracking_number,
        payload={
            "shipment_id": claim.reship_shipment_id,
            "carrier": claim.reship_carrier,
            "tracking_number": claim.reship_tracking_number,
            "lines": [{"line_id": ln.line_id, "quantity": ln.quantity} for ln in claim.lines.all()],
            "claim": claim.number,
        },
    )
    facts_record(store=claim.store, facts=[fact], now=now)
