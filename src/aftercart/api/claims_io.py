"""The claims API's documents (what it takes and gives) and its refusals as problem+json."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.utils import translation
from ninja import Field, Schema

from aftercart.api.problems import Problem
from aftercart.claims import selectors
from aftercart.claims.models import Claim
from aftercart.claims.payloads import claim_payload
from aftercart.claims.photos import MAX_PER_CLAIM
from aftercart.claims.services.filing import ClaimRefused
from aftercart.claims.services.warranty import WarrantyRefused
from aftercart.domain.claims import ClaimIllegalTransition, ClaimKind, ResolutionKind
from aftercart.integrations.canonical.schemas import Money
from aftercart.kernel.presenter import params_json, present

#: An id with something besides white space in it, by every regex engine's idea of white space
#: (Python's, the JSON Schema document's and pydantic's differ on U+0085, U+FEFF and U+001C-1F).
Ref = Annotated[str, Field(min_length=1, max_length=128, pattern=r"[^\s\u001c-\u001f\u0085\ufeff]")]


class PhotoIn(Schema):
    """A photo as base64 (JPEG, PNG or WebP; at most 5 MB decoded, within the API's body limit).
    It is checked by its content and kept re-encoded, without its EXIF metadata."""

    filename: str = Field("photo.jpg", max_length=200)
    content_base64: str = Field(..., min_length=1, description="The image file, base64-encoded.")
    line_id: str = Field("", max_length=128, description='The item it shows ("": the parcel).')


class ClaimLineSchema(Schema):
    line_id: Ref
    quantity: int = Field(1, ge=1, le=100_000)


class ClaimIn(Schema):
    """A claim. ``order_id`` is the store's order id; ``shipment`` names the parcel (its shipment
    id or tracking number; leave it out when one parcel carries the items). ``client_key`` is your
    id for this submission: sending it again never makes a second claim."""

    order_id: Ref
    kind: ClaimKind
    lines: list[ClaimLineSchema] = Field(..., min_length=1, max_length=200)
    shipment: str = Field("", max_length=160)
    description: str = Field("", max_length=2000)
    resolution: ResolutionKind | None = Field(None, description="What the customer would like.")
    client_key: str = Field("", max_length=200)
    payment_fingerprint: str = Field(
        "",
        max_length=128,
        description="The payment card's fingerprint, for the fraud guard's count per card.",
    )
    photos: list[PhotoIn] = Field(default_factory=list, max_length=MAX_PER_CLAIM)


class DecisionIn(Schema):
    """``approve`` (``reason``: a note; ``resolution``: which option, when you choose), ``deny``
    (``reason`` required: the customer is told it) or ``request_evidence`` (``reason``: what to send)."""

    decision: Literal["approve", "deny", "request_evidence"]
    reason: str = Field("", max_length=500)
    resolution: ResolutionKind | None = None
    idempotency_key: str = Field("", max_length=120)


class EvidenceIn(Schema):
    photos: list[PhotoIn] = Field(default_factory=list, max_length=MAX_PER_CLAIM)
    note: str = Field("", max_length=2000)


class ResolveIn(Schema):
    """``refund`` / ``store_credit``: ``amount`` (default: what was paid for the claimed items,
    never more); ``reship`` / ``replace``: the replacement's ``carrier`` and ``tracking_number``
    (it becomes a shipment of the order); ``reference``: your id of the refund, credit or order."""

    resolution: ResolutionKind
    amount: Money | None = None
    reference: str = Field("", max_length=200)
    carrier: str = Field("", max_length=64)
    tracking_number: str = Field("", max_length=64)
    idempotency_key: str = Field("", max_length=120)


class CarrierClaimIn(Schema):
    """Your claim against the carrier; fields left out keep their value."""

    status: Literal["not_filed", "filed", "accepted", "rejected", "paid"]
    reference: str | None = Field(None, max_length=200)
    amount_claimed: Money | None = None
    amount_recovered: Money | None = None
    note: str | None = Field(None, max_length=1000)


class WarrantyPeriodIn(Schema):
    days: int = Field(..., ge=1, le=30 * 366, description="Days from delivery (730: two years).")


class RegistrationIn(Schema):
    """A purchase registered for its warranty (from the tracking page or the packing insert)."""

    order_id: Ref
    line_id: Ref
    serial_number: str = Field("", max_length=128)


class ClaimOut(Schema):
    number: str
    kind: str
    status: str
    order: dict[str, Any]
    email: str
    currency: str
    claimed_value: str
    shipment: dict[str, Any] | None
    lines: list[dict[str, Any]]
    description: str
    photos: list[dict[str, Any]]
    needs_review: bool
    review_reasons: list[dict[str, Any]]
    policy_version: int
    preferred_resolution: str
    resolution_options: list[str]
    resolution: str
    payout: str
    resolution_reference: str
    replacement: dict[str, Any] | None
    denial_reason: str
    evidence_request: str
    carrier_claim: dict[str, Any] | None
    refund: dict[str, Any] | None
    decision_due_at: str | None
    resolution_due_at: str | None
    decided_at: str | None
    resolved_at: str | None
    overdue: bool
    created_at: str
    next_step: dict[str, Any]
    decision: dict[str, Any]
    facts: list[dict[str, Any]]


def step_json(step: Any) -> dict[str, Any]:
    with translation.override("en"):
        shown = present(step, ZoneInfo("UTC"))
    return {
        "code": shown.code,
        "headline": shown.headline,
        "detail": shown.detail,
        "action": step.action,
        "params": params_json(step.params),
        "actions": [{"code": a.code, "label": a.label, "params": dict(a.params)} for a in shown.actions],
    }


def serialise(claim: Claim, *, with_facts: bool = True) -> dict[str, Any]:
    """The API's claim: the webhook's payload, its photos, next step, decision and facts."""
    return {
        **claim_payload(claim),
        "photos": [
            {
                "id": p.pk,
                "line_id": p.line_id,
                "content_type": p.content_type,
                "size": p.size,
                "uploaded_at": p.uploaded_at,
            }
            for p in claim.photos.all()
        ],
        "next_step": step_json(selectors.claim_step(claim)),
        "decision": claim.decision,
        "facts": [
            {
                "kind": f.kind,
                "status": f.status,
                "actor": f.actor,
                "occurred_at": f.occurred_at,
                "payload": f.payload,
            }
            for f in claim.facts.all()
        ]
        if with_facts
        else [],
    }


#: Conflicts with what exists are 409; everything else the policy or the input refuses is 422.
_CONFLICTS = {"duplicate_submission", "already_claimed"}
_TITLES = {
    "too_early": "Too early to claim",
    "duplicate_submission": "Already submitted",
    "already_claimed": "Already claimed",
    "order_cancelled": "Order cancelled",
    "order_not_placed": "Order has no lines yet",
    "window_closed": "Claim window closed",
    "warranty_expired": "Warranty expired",
    "not_covered": "No warranty",
    "photos_required": "Photos required",
    "resolution_not_offered": "Resolution not offered",
    "amount_too_high": "More than was paid",
}


def claim_refusal_problem(refused: ClaimRefused) -> Problem:
    """A refused claim request as problem+json (registered in :mod:`aftercart.api.v1`). Too early
    names the moment it can be filed in its error's ``open_from`` (``null``: once delivered)."""
    errors: list[dict[str, Any]] = [
        {
            "field": e.get("field", "body"),
            "message": e.get("message", ""),
            "code": e.get("code", refused.code),
        }
        for e in refused.errors
    ]
    if refused.code == "too_early" and errors:
        errors[0]["open_from"] = refused.open_from.isoformat() if refused.open_from else None
    detail = refused.text
    if refused.existing is not None:
        detail = f"This submission was already made: claim {refused.existing.number}."
    status = 409 if refused.code in _CONFLICTS else 422
    title = _TITLES.get(refused.code) or (
        "Photo refused" if refused.code.startswith("photo_") else "Claim not possible"
    )
    return Problem(status, title, detail, kind=f"claim-{refused.code.replace('_', '-')}", errors=errors)


def claim_transition_problem(refused: ClaimIllegalTransition) -> Problem:
    """A move the claim's lifecycle does not allow now: 409."""
    return Problem(
        409,
        "Not possible now",
        refused.reason,
        kind="claim-illegal-transition",
        errors=[{"field": "status", "message": refused.reason}],
    )


def warranty_problem(refused: WarrantyRefused) -> Problem:
    """A warranty registration or period refused: 422 naming the field."""
    return Problem(
        422,
        "Warranty not possible",
        refused.text,
        kind=f"warranty-{refused.code.replace('_', '-')}",
        errors=[{"field": refused.field, "message": refused.text, "code": refused.code}],
    )
