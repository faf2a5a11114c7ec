"""The team's claims queue (``/ops/claims``, staff only): claims filtered by state, kind, store,
fraud flag and service level, each with its timer; a claim's page with its evidence photos, the
fraud guard's reasons, the policy version that judged it, and its actions as buttons (approve,
deny with a reason, ask for evidence, resolve, the carrier claim, the carrier packet PDF). Every
action is one call to the claims services; a refused one says why and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from aftercart.claims.models import CarrierClaim, Claim, ClaimPhoto
from aftercart.claims.packet import claim_packet_pdf
from aftercart.claims.selectors import claim_photo_file, claim_step
from aftercart.claims.services.carrier import carrier_claim_update
from aftercart.claims.services.decide import claim_approve, claim_deny, claim_evidence_request
from aftercart.claims.services.filing import ClaimRefused
from aftercart.claims.services.resolve import claim_resolve
from aftercart.domain.claims import OPEN, ClaimIllegalTransition, ClaimKind, ClaimStatus
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.stores.models import Store
from aftercart.web.claims.words import (
    CARRIER_STATUS_LABELS,
    OPS_KIND_LABELS,
    OPS_RESOLUTION_LABELS,
    STATE_LABELS,
)
from aftercart.web.pages import see_other

PAGE_SIZE = 50
#: Review reasons that are the fraud guard's (the others are the store's limits on automatic
#: approval: a kind a person decides, a value over the automatic limit, not a first claim).
FRAUD_FLAGS = {
    "customer_claims": "Many claims by this customer",
    "address_claims": "Many claims to this address",
    "card_claims": "Many claims paid with this card",
    "repeat_not_received": "Repeated 'not received' at this address",
    "high_value": "High value",
}
LIMIT_LABELS = {
    "kind_reviewed": "Decided by a person (kind)",
    "no_auto_approval": "No automatic approval at this store",
    "over_auto_limit": "Over the automatic approval limit",
    "not_first_claim": "Not the customer's first claim",
}
#: When the timer turns amber.
DUE_SOON = timedelta(hours=12)
_OPEN = [s.value for s in OPEN]
_WAITING = {ClaimStatus.APPROVED.value}


def _due(claim: Claim) -> datetime | None:
    """The claim's next deadline: its decision while open, its resolution once approved."""
    if claim.status in _OPEN:
        return claim.decision_due_at
    if claim.status in _WAITING:
        return claim.resolution_due_at
    return None


def _fraud(claim: Claim) -> list[dict[str, str]]:
    reasons = claim.review_reasons if isinstance(claim.review_reasons, list) else []
    return [
        {
            "code": str(r.get("code", "")),
            "label": FRAUD_FLAGS[str(r.get("code"))],
            "reason": str(r.get("text", "")),
        }
        for r in reasons
        if isinstance(r, dict) and r.get("code") in FRAUD_FLAGS
    ]


def claims_filtered(filters: dict[str, str], now: datetime) -> QuerySet[Claim]:
    """The queue's claims for ``filters`` (``state``: "" open, "all", or a status; ``kind``;
    ``store`` slug; ``flagged`` "1"/"0"; ``overdue`` "1"), deadlines first."""
    claims = Claim.objects.select_related("store", "order")
    state = filters["state"]
    if state == "":
        claims = claims.filter(status__in=[*_OPEN, *_WAITING])
    elif state != "all":
        claims = claims.filter(status=state)
    if filters["kind"]:
        claims = claims.filter(kind=filters["kind"])
    if filters["store"]:
        claims = claims.filter(store__slug=filters["store"])
    flagged = Q()
    for code in FRAUD_FLAGS:  # the JSON as text: the same on SQLite and PostgreSQL
        flagged |= Q(review_reasons__icontains=f'"{code}"')
    if filters["flagged"] == "1":
        claims = claims.filter(flagged)
    elif filters["flagged"] == "0":
        claims = claims.exclude(flagged)
    if filters["overdue"] == "1":
        claims = claims.filter(
            Q(overdue=True)
            | Q(status__in=_OPEN, decision_due_at__lt=now)
            | Q(status__in=_WAITING, resolution_due_at__lt=now)
        )
    return claims.order_by("created_at", "pk")


@staff_member_required
@require_safe
def claims_queue(request: HttpRequest) -> HttpResponse:
    """``/ops/claims``: open claims, oldest first, with their timers; GET filters ``state``,
    ``kind``, ``store``, ``flagged``, ``overdue``."""
    now = timezone.now()
    states = dict(STATE_LABELS)
    filters = {
        "state": _choice(request, "state", {*states, "all"}),
        "kind": _choice(request, "kind", set(OPS_KIND_LABELS)),
        "store": str(request.GET.get("store", "")).strip()[:64],
        "flagged": _choice(request, "flagged", {"1", "0"}),
        "overdue": _choice(request, "overdue", {"1"}),
    }
    page = Paginator(claims_filtered(filters, now), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for claim in page:
        due = _due(claim)
        rows.append(
            {
                "reference": claim.number,
                "url": reverse("web:ops-claim", kwargs={"number": claim.number}),
                "kind": claim.kind,
                "kind_label": OPS_KIND_LABELS.get(claim.kind, claim.kind),
                "state": claim.status,
                "state_label": STATE_LABELS.get(claim.status, claim.status),
                "store": claim.store.slug,
                "order_id": claim.order_id,
                "order_number": claim.order.number or claim.order.external_id,
                "created_at": claim.created_at,
                "sla_due_at": due,
                "overdue": claim.overdue or (due is not None and due < now),
                "due_soon": due is not None and now <= due < now + DUE_SOON,
                "flagged": bool(_fraud(claim)),
            }
        )
    return render(
        request,
        "web/ops/claims_queue.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "states": list(states.items()),
            "kinds": list(OPS_KIND_LABELS.items()),
            "stores": Store.objects.order_by("slug").values_list("slug", flat=True),
            "now": now,
        },
    )


def _choice(request: HttpRequest, name: str, allowed: set[str]) -> str:
    value = str(request.GET.get(name, ""))
    return value if value in allowed else ""


def _claim(number: str) -> Claim:
    if len(number) > 16:
        raise Http404("No such claim.")
    return get_object_or_404(
        Claim.objects.select_related("store", "order", "policy").prefetch_related("lines", "photos", "facts"),
        number=number.strip().upper(),
    )


def _actions(claim: Claim) -> list[str]:
    if claim.status in _OPEN:
        actions = ["approve", "deny"]
        if claim.status != ClaimStatus.NEEDS_EVIDENCE.value:
            actions.append("request_evidence")
        return actions
    if claim.status in _WAITING:
        return ["resolve"]
    return []


def _resolutions(claim: Claim) -> list[tuple[str, str]]:
    offered = claim.resolution_options if isinstance(claim.resolution_options, list) else []
    values = [str(v) for v in offered] or list(OPS_RESOLUTION_LABELS)
    return [(v, OPS_RESOLUTION_LABELS.get(v, v)) for v in values]


def render_detail(request: HttpRequest, claim: Claim, *, error: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    due = _due(claim)
    zone = customer_zone(None, claim.store.timezone)
    reasons = claim.review_reasons if isinstance(claim.review_reasons, list) else []
    limits = [
        {
            "code": str(r.get("code")),
            "label": LIMIT_LABELS.get(str(r.get("code")), str(r.get("code"))),
            "reason": str(r.get("text", "")),
        }
        for r in reasons
        if isinstance(r, dict) and r.get("code") not in FRAUD_FLAGS
    ]
    carrier: dict[str, Any] | None = None
    if claim.kind != ClaimKind.WARRANTY.value:
        record = CarrierClaim.objects.filter(claim=claim).first()
        carrier = {
            "status": record.status if record else "not_filed",
            "reference": record.reference if record else "",
            "recovered": record.amount_recovered if record and record.amount_recovered else None,
            "currency": (record.currency if record and record.currency else claim.currency) or "",
        }
    done = {
        "approve": "Approved.",
        "deny": "Denied: the customer is told the reason.",
        "request_evidence": "Asked the customer for evidence.",
        "resolve": "Resolved: the customer is told.",
        "carrier": "Carrier claim saved.",
    }.get(str(request.GET.get("done", "")), "")
    context = {
        "claim": {
            "reference": claim.number,
            "kind": claim.kind,
            "kind_label": OPS_KIND_LABELS.get(claim.kind, claim.kind),
            "state": claim.status,
            "state_label": STATE_LABELS.get(claim.status, claim.status),
            "store": claim.store.name,
            "order_id": claim.order_id,
            "order_number": claim.order.number or claim.order.external_id,
            "created_at": claim.created_at,
            "sla_due_at": due,
            "overdue": claim.overdue or (due is not None and due < now),
            "preferred": claim.preferred_resolution,
            "preferred_label": OPS_RESOLUTION_LABELS.get(claim.preferred_resolution, ""),
            "resolution": claim.resolution,
            "resolution_label": OPS_RESOLUTION_LABELS.get(claim.resolution, ""),
            "policy_version": claim.policy.version if claim.policy_id else "",
            "decision_reason": claim.denial_reason or claim.evidence_request,
            "flags": _fraud(claim),
            "limits": limits,
            "lines": [
                {"title": ln.title or ln.line_id, "sku": ln.sku, "quantity": ln.quantity}
                for ln in claim.lines.all()
            ],
            "note": claim.description,
            "photos": [
                {"url": reverse("web:ops-claim-photo", kwargs={"number": claim.number, "photo_id": p.pk})}
                for p in claim.photos.all()
            ],
            "reship": claim.reship_tracking_number,
            "reship_carrier": claim.reship_carrier,
            "value": claim.claimed_value,
            "currency": claim.currency,
        },
        "step": present(claim_step(claim), zone),
        "history": [
            {
                "at": f.occurred_at,
                "label": f.kind.replace("_", " ").capitalize(),
                "actor": f.actor,
                "detail": _fact_detail(f.payload),
            }
            for f in claim.facts.all()
        ],
        "actions": _actions(claim),
        "action_url": reverse("web:ops-claim-act", kwargs={"number": claim.number}),
        "resolutions": _resolutions(claim),
        "carrier": carrier,
        "carrier_statuses": list(CARRIER_STATUS_LABELS.items()),
        "packet_url": reverse("web:ops-claim-packet", kwargs={"number": claim.number}) if carrier else "",
        "done": done,
        "error": error,
        "now": now,
    }
    return render(request, "web/ops/claims_detail.html", context, status=status)


def _fact_detail(payload: Any) -> str:
    if not isinstance(payload, dict):
        return ""
    for key in ("reason", "request", "resolution", "note", "status"):
        if payload.get(key):
            return str(payload[key])[:300]
    return ""


@staff_member_required
@require_safe
def claim_detail(request: HttpRequest, number: str) -> HttpResponse:
    """``/ops/claims/<number>``: one claim, its evidence and its actions."""
    return render_detail(request, _claim(number))


@staff_member_required
@require_POST
def claim_act(request: HttpRequest, number: str) -> HttpResponse:
    """``POST /ops/claims/<number>/act``: one action (``action``: approve, deny, request_evidence,
    resolve, carrier) through its service, then back to the claim (303); a refusal shows the page
    with why (400) and changes nothing."""
    claim = _claim(number)
    action = str(request.POST.get("action", ""))
    actor = f"staff:{request.user.get_username()}"
    now = timezone.now()
    try:
        if action == "approve":
            resolution = str(request.POST.get("resolution", ""))[:16]
            claim_approve(claim=claim, actor=actor, resolution=resolution, now=now)
        elif action == "deny":
            reason = str(request.POST.get("reason", "")).strip()[:500]
            if not reason:
                raise ValueError("Say why the claim is denied: the customer is told.")
            claim_deny(claim=claim, actor=actor, reason=reason, now=now)
        elif action == "request_evidence":
            message = str(request.POST.get("message", "")).strip()[:500]
            if not message:
                raise ValueError("Say what the customer should send.")
            claim_evidence_request(claim=claim, actor=actor, request=message, now=now)
        elif action == "resolve":
            claim_resolve(
                claim=claim,
                resolution=str(request.POST.get("resolution", ""))[:16],
                actor=actor,
                amount=_amount(request.POST.get("amount")),
                carrier=str(request.POST.get("carrier", "")).strip()[:64],
                tracking_number=str(request.POST.get("tracking_number", "")).strip()[:64],
                now=now,
            )
        elif action == "carrier":
            status = str(request.POST.get("carrier_status", ""))
            if status not in CARRIER_STATUS_LABELS:
                raise ValueError("Choose the carrier claim's status.")
            carrier_claim_update(
                claim=claim,
                status=status,
                actor=actor,
                reference=str(request.POST.get("carrier_reference", "")).strip()[:200],
                amount_recovered=_amount(request.POST.get("recovered")),
                now=now,
            )
        else:
            raise ValueError("Unknown action.")
    except ClaimIllegalTransition as refused:
        return render_detail(request, _claim(number), error=f"Not done: {refused.reason}.", status=409)
    except ClaimRefused as refused:
        return render_detail(request, _claim(number), error=f"Not done: {refused.text}", status=400)
    except ValueError as refused:
        return render_detail(request, _claim(number), error=f"Not done: {refused}", status=400)
    url = reverse("web:ops-claim", kwargs={"number": claim.number})
    return see_other(f"{url}?{urlencode({'done': action})}")


def _amount(raw: object) -> Decimal | None:
    text = str(raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount.") from None
    if not value.is_finite() or value < 0 or value > Decimal("1e9"):
        raise ValueError(f"{text!r} is not an amount.")
    return value


@staff_member_required
@require_safe
def claim_photo(request: HttpRequest, number: str, photo_id: int) -> FileResponse:
    """One evidence photo of a claim (staff only: photos are the customer's personal data)."""
    photo = get_object_or_404(ClaimPhoto, pk=photo_id, claim__number=number.strip().upper()[:16])
    path = claim_photo_file(photo)
    if not path.is_file():
        raise Http404("The photo is no longer kept.")
    response = FileResponse(path.open("rb"), content_type=photo.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_member_required
@require_safe
def claim_packet(request: HttpRequest, number: str) -> HttpResponse:
    """The carrier claim packet (PDF): the parcel, its scans, what was in it and the evidence."""
    claim = _claim(number)
    response = HttpResponse(claim_packet_pdf(claim), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="carrier-claim-{claim.number}.pdf"'
    return response
