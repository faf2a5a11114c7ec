"""What the store's webhook receives about a claim (``claim.filed``, ``claim.evidence_requested``,
``claim.approved``, ``claim.denied``, ``claim.resolved``) and what the API shows of it: the claim
with the order's line ids, quantities and amounts, the decision, the resolution (a refund in
Shopify's shape when money goes back), the replacement parcel and the carrier claim. Documented in
docs/claims.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from aftercart.claims.models import Claim
from aftercart.domain.returns import quantize


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as the API and webhooks write it: a string in the currency's minor unit."""
    return str(quantize(amount, currency))


def carrier_claim_json(claim: Claim) -> dict[str, Any] | None:
    """The store's claim against the carrier, or ``None`` before one is recorded."""
    try:
        row = claim.carrier_claim
    except ObjectDoesNotExist:
        return None
    cur = row.currency or claim.currency
    return {
        "carrier": row.carrier,
        "status": row.status,
        "reference": row.reference,
        "amount_claimed": money_text(row.amount_claimed, cur),
        "amount_recovered": money_text(row.amount_recovered, cur),
        "currency": cur,
        "note": row.note,
        "filed_at": None if row.filed_at is None else row.filed_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def shopify_refund(claim: Claim) -> dict[str, Any] | None:
    """A money resolution as Shopify's Refund API takes it (nothing restocked: the items were
    lost or are the customer's to keep), ``None`` when no money goes back to the payment."""
    if claim.resolution != "refund" or claim.payout_amount <= 0:
        return None
    return {
        "currency": claim.currency,
        "note": f"Claim {claim.number}",
        "refund_line_items": [
            {"line_item_id": ln.line_id, "quantity": ln.quantity, "restock_type": "no_restock"}
            for ln in claim.lines.all()
        ],
        "transactions": [
            {
                "amount": money_text(claim.payout_amount, claim.currency),
                "kind": "refund",
                "gateway": "original",
            }
        ],
    }


def claim_payload(claim: Claim) -> dict[str, Any]:
    """The claim as webhook ``data`` (and the core of the API's shape)."""
    cur = claim.currency
    return {
        "number": claim.number,
        "kind": claim.kind,
        "status": claim.status,
        "order": {"id": claim.order.external_id, "number": claim.order.number},
        "email": claim.email,
        "currency": cur,
        "claimed_value": money_text(claim.claimed_value, cur),
        "shipment": {
            "key": claim.shipment_key,
            "carrier": claim.carrier,
            "tracking_number": claim.tracking_number,
        }
        if claim.shipment_key
        else None,
        "lines": [
            {
                "line_id": ln.line_id,
                "sku": ln.sku,
                "product_id": ln.product_id,
                "title": ln.title,
                "variant": ln.variant,
                "quantity": ln.quantity,
                "value": money_text(ln.value, cur),
            }
            for ln in claim.lines.all()
        ],
        "description": claim.description,
        "photos": len(claim.photos.all()),
        "needs_review": claim.needs_review,
        "review_reasons": claim.review_reasons,
        "policy_version": claim.policy.version,
        "preferred_resolution": claim.preferred_resolution,
        "resolution_options": claim.resolution_options,
        "resolution": claim.resolution,
        "payout": money_text(claim.payout_amount, cur),
        "resolution_reference": claim.resolution_reference,
        "replacement": {
            "shipment_id": claim.reship_shipment_id,
            "carrier": claim.reship_carrier,
            "tracking_number": claim.reship_tracking_number,
        }
        if claim.reship_shipment_id
        else None,
        "denial_reason": claim.denial_reason,
        "evidence_request": claim.evidence_request,
        "carrier_claim": carrier_claim_json(claim),
        "refund": shopify_refund(claim),
        "decision_due_at": None if claim.decision_due_at is None else claim.decision_due_at.isoformat(),
        "resolution_due_at": None if claim.resolution_due_at is None else claim.resolution_due_at.isoformat(),
        "decided_at": None if claim.decided_at is None else claim.decided_at.isoformat(),
        "resolved_at": None if claim.resolved_at is None else claim.resolved_at.isoformat(),
        "overdue": claim.overdue,
        "created_at": claim.created_at.isoformat(),
    }


def claim_webhook_data(number: str, store_id: int) -> dict[str, Any] | None:
    """The payload of a claim's event, read fresh when it is sent (None: the claim is gone)."""
    claim = (
        Claim.objects.filter(store_id=store_id, number=number)
        .select_related("order", "policy", "carrier_claim")
        .prefetch_related("lines", "photos")
        .first()
    )
    return None if claim is None else {"claim": claim_payload(claim)}
