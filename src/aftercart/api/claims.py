"""Claims and warranties: file a claim (judged by the store's claims policy from the order's
ledger), ask whether and from when one can be filed, decide, resolve, follow the carrier claim,
download the carrier claim packet, edit the policy and the warranty periods, register purchases,
and the numbers behind claims."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Body, Query, Router, Status

from aftercart.api.claims_io import (
    CarrierClaimIn,
    ClaimIn,
    ClaimOut,
    DecisionIn,
    EvidenceIn,
    PhotoIn,
    RegistrationIn,
    ResolveIn,
    WarrantyPeriodIn,
    claim_refusal_problem,
    serialise,
    step_json,
)
from aftercart.api.openapi import refuses
from aftercart.api.problems import Problem
from aftercart.claims import selectors
from aftercart.claims.metrics import claims_metrics
from aftercart.claims.models import Claim, WarrantyPeriod, WarrantyRegistration
from aftercart.claims.packet import claim_packet_pdf
from aftercart.claims.payloads import claim_payload
from aftercart.claims.services.carrier import carrier_claim_update
from aftercart.claims.services.decide import claim_decide, claim_evidence_add
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, ClaimRefused, claim_file
from aftercart.claims.services.policy import claim_policy_save
from aftercart.claims.services.resolve import claim_resolve
from aftercart.claims.services.warranty import (
    warranty_period_delete,
    warranty_period_set,
    warranty_register,
)
from aftercart.domain.claims import ClaimKind, ClaimStatus
from aftercart.integrations.canonical.schemas import Moment
from aftercart.orders import selectors as order_selectors
from aftercart.orders.models import Order
from aftercart.stores.http import StoreRequest

router = Router(tags=["claims"])


def _order(request: StoreRequest, order_id: str) -> Order:
    order = order_selectors.order_by_external_id(request.store, order_id)
    if order is None:
        raise Problem(
            404,
            "Order not found",
            f"No order with order_id {order_id!r} in this store.",
            errors=[{"field": "order_id", "message": "not found"}],
        )
    return order


def _claim(request: StoreRequest, number: str) -> Claim:
    claim = selectors.claim_by_number(request.store, number)
    if claim is None:
        raise Problem(404, "Claim not found", f"No claim {number!r} in this store.")
    return claim


def _photos(photos: list[PhotoIn]) -> list[ClaimPhotoIn]:
    out = []
    for index, photo in enumerate(photos):
        try:
            data = base64.b64decode(photo.content_base64, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data:
            raise Problem(
                400,
                "Invalid request",
                f"photos[{index}].content_base64: not base64",
                kind="validation",
                errors=[{"field": f"photos[{index}].content_base64", "message": "not base64"}],
            )
        out.append(ClaimPhotoIn(photo.filename or f"photo-{index + 1}", data, photo.line_id))
    return out


@router.post("", response={201: ClaimOut}, summary="File a claim", openapi_extra=refuses(404, 409, 422))
def create_claim(request: StoreRequest, payload: ClaimIn) -> Status[dict[str, Any]]:
    """Judged by the store's claims policy from the order's ledger: approved at once under the
    store's limits, else queued for a person. Refused (problem+json, nothing written): too early
    (422 ``claim-too-early`` with ``open_from``), a closed window, a cancelled order, items not in
    the parcel or already claimed (409), missing, oversized or fake photos, a key already used (409)."""
    order = _order(request, payload.order_id)
    result = claim_file(
        store=request.store,
        order=order,
        kind=payload.kind.value,
        lines=[ClaimLineIn(ln.line_id, ln.quantity) for ln in payload.lines],
        shipment=payload.shipment,
        description=payload.description,
        preferred_resolution=payload.resolution.value if payload.resolution else "",
        photos=_photos(payload.photos),
        client_key=payload.client_key,
        payment_fingerprint=payload.payment_fingerprint,
        source="api",
        actor="api",
    )
    if not result.created:
        raise claim_refusal_problem(
            ClaimRefused(
                "duplicate_submission",
                "already submitted",
                errors=[{"field": "client_key", "code": "duplicate_submission", "message": "already used"}],
                existing=result.claim,
            )
        )
    return Status(201, serialise(_claim(request, result.claim.number)))


@router.get("", response=list[ClaimOut], summary="List claims (the queue)")
def list_claims(
    request: StoreRequest,
    status: ClaimStatus | None = None,
    kind: ClaimKind | None = None,
    needs_review: bool | None = None,
    overdue: bool | None = None,
    order_id: str | None = Query(None, max_length=128),
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    """Newest first. The manual queue: ``status=in_review`` (or ``needs_evidence``); overdue ones:
    ``overdue=true``."""
    qs = selectors.claims_list(
        request.store,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        needs_review=needs_review,
        overdue=overdue,
        order_id=order_id,
    )
    return [serialise(c, with_facts=False) for c in qs[:limit]]


@router.get(
    "/eligibility",
    response=list[dict[str, Any]],
    summary="Can a claim be filed, and from when?",
    openapi_extra=refuses(404),
)
def eligibility(
    request: StoreRequest, order_id: str = Query(..., min_length=1, max_length=128)
) -> list[dict[str, Any]]:
    """For each kind and each parcel (warranty: each item): ``open``, ``too_early`` (with
    ``opens_at``; ``null`` until the parcel is delivered), ``closed`` or ``not_applicable``, the
    items still claimable, whether photos are needed and the resolutions offered. Writes nothing."""
    order = _order(request, order_id)
    out = []
    for item in selectors.claim_eligibility(order, now=timezone.now()):
        out.append(
            {
                "kind": item.kind,
                "shipment": item.parcel_key or None,
                "tracking_number": item.tracking_number,
                "carrier": item.carrier,
                "line_id": item.line_id or None,
                **item.window.to_json(),
                "can_file": item.open,
                "lines": [{"line_id": line_id, "claimable": units} for line_id, units in item.lines],
                "photos_required": item.photos_required,
                "resolutions": list(item.resolutions),
                "next_step": None if item.step is None else step_json(item.step),
            }
        )
    return out


#: ``from`` and ``to`` are Python keywords: the parameters are named ``since`` and ``until`` here.
_FROM = Query(None, alias="from", description="Start of the period (inclusive), ISO 8601.")
_TO = Query(None, alias="to", description="End of the period (exclusive), ISO 8601.")


@router.get("/metrics", response=dict[str, Any], summary="Claim rates, approval, times, money")
def metrics(
    request: StoreRequest,
    since: Moment | None = _FROM,
    until: Moment | None = _TO,
) -> dict[str, Any]:
    """Orders placed and claims filed in ``[from, to)``: claims per 100 orders by kind, carrier and
    lane, the approval rate, time to decision and to resolution (p50, p90, hours), what was paid
    out (refunds, store credit) and what was recovered from carriers."""
    return claims_metrics(request.store, since=since, until=until)


@router.get("/policy", response=dict[str, Any], summary="The store's current claims policy")
def get_policy(request: StoreRequest) -> dict[str, Any]:
    """The current version (version 0: the defaults, before the store saves a policy)."""
    return selectors.policy_of(selectors.policy_current(request.store)).to_dict()


@router.put("/policy", response={201: dict[str, Any]}, summary="Save a new version of the claims policy")
def put_policy(request: StoreRequest, payload: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    """Saves the policy as the next version; claims keep the version that judged them. An invalid
    policy answers 400 naming the field."""
    data = dict(payload)
    data.pop("version", None)
    return Status(201, claim_policy_save(store=request.store, data=data, actor="api").data)


def _period_json(period: WarrantyPeriod) -> dict[str, Any]:
    return {"scope": period.scope, "key": period.key, "days": period.days, "updated_at": period.updated_at}


@router.get("/warranty-periods", response=list[dict[str, Any]], summary="Warranty periods")
def list_periods(request: StoreRequest) -> list[dict[str, Any]]:
    """Per product (id or SKU) and per category; a product's own period wins over its category's,
    and the policy's ``warranty.default_days`` covers the rest."""
    return [_period_json(p) for p in selectors.warranty_periods(request.store)]


@router.put(
    "/warranty-periods/{scope}/{key}",
    response=dict[str, Any],
    summary="Set the warranty of a product or category",
    openapi_extra=refuses(422),
)
def put_period(
    request: StoreRequest, scope: Literal["product", "category"], key: str, payload: WarrantyPeriodIn
) -> dict[str, Any]:
    return _period_json(warranty_period_set(store=request.store, scope=scope, key=key, days=payload.days))


@router.delete("/warranty-periods/{scope}/{key}", response={204: None}, summary="Remove a warranty period")
def delete_period(request: StoreRequest, scope: Literal["product", "category"], key: str) -> Status[None]:
    if not warranty_period_delete(store=request.store, scope=scope, key=key):
        raise Problem(404, "Warranty period not found", f"No {scope} period for {key!r}.")
    return Status(204, None)


def _registration_json(row: WarrantyRegistration) -> dict[str, Any]:
    return {
        "order_id": row.order.external_id,
        "line_id": row.line_id,
        "product_id": row.product_id,
        "sku": row.sku,
        "title": row.title,
        "serial_number": row.serial_number,
        "days": row.days,
        "covered_from": row.covered_from,
        "expires_at": row.expires_at,
        "registered_at": row.registered_at,
        "source": row.source,
    }


@router.post(
    "/warranty-registrations",
    response={200: dict[str, Any], 201: dict[str, Any]},
    summary="Register a purchase for its warranty",
    openapi_extra=refuses(404, 422),
)
def register(request: StoreRequest, payload: RegistrationIn) -> Status[dict[str, Any]]:
    """201 for a new registration (with the period that applies and its end; ``days`` null: the
    product has no warranty at this store), 200 when the item was registered before (its serial
    number updated when given)."""
    order = _order(request, payload.order_id)
    result = warranty_register(
        store=request.store,
        order=order,
        line_id=payload.line_id,
        serial_number=payload.serial_number,
        source="api",
    )
    return Status(201 if result.created else 200, _registration_json(result.registration))


@router.get("/{number}", response=ClaimOut, summary="Get a claim")
def get_claim(request: StoreRequest, number: str) -> dict[str, Any]:
    """The claim with its lines, photos, the policy's decision, its facts and the next step."""
    return serialise(_claim(request, number))


@router.post(
    "/{number}/decision",
    response=ClaimOut,
    summary="Approve, deny or ask for evidence",
    openapi_extra=refuses(409, 422),
)
def decide(request: StoreRequest, number: str, payload: DecisionIn) -> dict[str, Any]:
    """A denial needs a ``reason`` (the customer is told it), and so does a request for evidence
    (what to send). 409 when the claim is not waiting for a decision."""
    claim = _claim(request, number)
    claim_decide(
        claim=claim,
        decision=payload.decision,
        actor="api",
        reason=payload.reason,
        resolution=payload.resolution.value if payload.resolution else "",
        idempotency_key=payload.idempotency_key,
    )
    return serialise(_claim(request, number))


@router.post(
    "/{number}/evidence",
    response=ClaimOut,
    summary="Add the customer's photos or note",
    openapi_extra=refuses(409, 422),
)
def evidence(request: StoreRequest, number: str, payload: EvidenceIn) -> dict[str, Any]:
    """A claim that needed evidence goes back to review. Photos are checked like at filing."""
    claim = _claim(request, number)
    claim_evidence_add(claim=claim, photos=_photos(payload.photos), note=payload.note, actor="api")
    return serialise(_claim(request, number))


@router.post(
    "/{number}/resolve",
    response=ClaimOut,
    summary="Resolve an approved claim",
    openapi_extra=refuses(409, 422),
)
def resolve(request: StoreRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    """A reship or replacement becomes a new shipment of the order (its tracking number is
    tracked like any parcel); a refund or store credit never exceeds what was paid for the claimed
    items (422 ``claim-amount-too-high``)."""
    claim = _claim(request, number)
    claim_resolve(
        claim=claim,
        resolution=payload.resolution.value,
        actor="api",
        amount=Decimal(payload.amount) if payload.amount is not None else None,
        reference=payload.reference,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        idempotency_key=payload.idempotency_key,
    )
    return serialise(_claim(request, number))


@router.put(
    "/{number}/carrier-claim",
    response=dict[str, Any],
    summary="Record your claim against the carrier",
    openapi_extra=refuses(422),
)
def carrier_claim(request: StoreRequest, number: str, payload: CarrierClaimIn) -> dict[str, Any]:
    """Its status, the carrier's reference, what was claimed (default: the claim's value) and what
    was recovered (never more than claimed)."""
    claim = _claim(request, number)
    carrier_claim_update(
        claim=claim,
        status=payload.status,
        actor="api",
        reference=payload.reference,
        amount_claimed=payload.amount_claimed,
        amount_recovered=payload.amount_recovered,
        note=payload.note,
    )
    fresh = _claim(request, number)
    return claim_payload(fresh)["carrier_claim"] or {}


@router.get(
    "/{number}/packet.pdf",
    summary="The carrier claim packet (PDF)",
    response={200: bytes},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def packet(request: StoreRequest, number: str) -> HttpResponse:
    """Order and shipment identifiers, the declared value, the tracking history with every scan
    and place, the customer's account and photos: what a carrier's claims desk asks for."""
    claim = _claim(request, number)
    response = HttpResponse(claim_packet_pdf(claim), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="claim-{claim.number}.pdf"'
    return response
