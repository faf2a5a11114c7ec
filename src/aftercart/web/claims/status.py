"""``/claims/<token>/<number>``: a claim's page — its next step (the domain's, through the
presenter), what was claimed, and, when the store asked for more, a form to send photos
(``POST /claims/<token>/<number>/evidence``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from aftercart.claims.models import Claim
from aftercart.claims.selectors import claim_by_number, claim_step
from aftercart.claims.services.decide import claim_evidence_add
from aftercart.claims.services.filing import ClaimRefused
from aftercart.domain.claims import ClaimIllegalTransition, ClaimStatus
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.returns.photos import MAX_BYTES, PhotoRefused
from aftercart.web.claims.start import MAX_NOTE, MAX_PHOTOS, _frame, read_photos
from aftercart.web.claims.words import KIND_LABELS, RESOLUTION_LABELS, refusal
from aftercart.web.pages import page_frame, private, render_page, see_other
from aftercart.web.returns.access import Opened, open_order
from aftercart.web.tracking.step import support_href
from aftercart.web.uploads import accepts_uploads


def claim_of(opened: Opened, number: str) -> Claim | None:
    """The claim ``number`` of the link's order; a claim of any other order is not found."""
    assert opened.order is not None
    if not number or len(number) > 16:
        return None
    claim = claim_by_number(opened.order.store, number)
    return claim if claim is not None and claim.order_id == opened.order.pk else None


def _not_found(request: HttpRequest, opened: Opened) -> HttpResponse:
    assert opened.order is not None
    context = page_frame(request, opened.order.store, opened.language, reason="invalid")
    return private(
        render_page(request, "web/returns/link_problem.html", context, opened.language, status=404)
    )


def render_claim(
    request: HttpRequest,
    opened: Opened,
    token: str,
    claim: Claim,
    *,
    photo_error: str = "",
    status: int = 200,
) -> HttpResponse:
    assert opened.order is not None and opened.state is not None
    order, language = opened.order, opened.language
    zone = customer_zone(opened.state, order.store.timezone)
    with translation.override(language):
        context = _frame(request, opened, token)
        shown = present(claim_step(claim), zone)
        # The step's actions, worded by the presenter, each linked to where it leads here.
        labels = {a.code: a.label for a in shown.actions}
        actions = list(labels)
        context.update(
            {
                "step": {"code": shown.code, "headline": shown.headline, "detail": shown.detail},
                "claim": {
                    "reference": claim.number,
                    "kind": claim.kind,
                    "kind_label": str(KIND_LABELS.get(claim.kind, claim.kind)),
                    "resolution": claim.preferred_resolution,
                    "resolution_label": str(RESOLUTION_LABELS.get(claim.preferred_resolution, ""))
                    if claim.preferred_resolution
                    else "",
                    "created_at": claim.created_at,
                    "lines": [
                        {"title": ln.title or ln.sku or ln.line_id, "quantity": ln.quantity}
                        for ln in claim.lines.all()
                    ],
                    "photos": len(claim.photos.all()),
                },
                "again": request.GET.get("again") == "1",
                "added": request.GET.get("added") == "1",
                "photo_error": photo_error,
                "max_photos": MAX_PHOTOS,
            }
        )
        if claim.status == ClaimStatus.NEEDS_EVIDENCE.value:
            context["evidence_url"] = reverse(
                "web:claim-evidence", kwargs={"token": token, "number": claim.number}
            )
        if "track_replacement" in actions:
            # The replacement is a parcel of its own on the order: its tracking page shows it.
            context["reship_url"] = reverse("web:track-order", kwargs={"token": token})
            context["reship_label"] = labels["track_replacement"]
        if "contact_us" in actions:
            support = context["store"].get("support") or {}
            subject = f"{claim.number} ({opened.state.number or order.number})"
            context["contact_url"] = support_href(support, subject)
            context["contact_label"] = labels["contact_us"]
    return private(render_page(request, "web/claims/status.html", context, language, status=status))


@never_cache
@require_safe
def claim_status(request: HttpRequest, token: str, number: str) -> HttpResponse:
    """``/claims/<token>/<number>``: the claim's next step and what was claimed."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    claim = claim_of(opened, number)
    if claim is None:
        return _not_found(request, opened)
    return render_claim(request, opened, token, claim)


@accepts_uploads(MAX_PHOTOS * MAX_BYTES)
@never_cache
@csrf_protect
@require_POST
def claim_evidence(request: HttpRequest, token: str, number: str) -> HttpResponse:
    """``POST /claims/<token>/<number>/evidence``: the photos (and a note) the store asked for.
    A refused photo shows the page again with the message by the field, and writes nothing."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    claim = claim_of(opened, number)
    if claim is None:
        return _not_found(request, opened)
    with translation.override(opened.language):
        photos, error = read_photos(request)
        note = str(request.POST.get("note", "")).strip()[:MAX_NOTE]
        if not error and not photos and not note:
            error = refusal("photos_required")[0]
        if error:
            return render_claim(request, opened, token, claim, photo_error=error, status=400)
        try:
            claim_evidence_add(claim=claim, photos=photos, note=note, actor="customer", now=opened.now)
        except PhotoRefused as refused:
            return render_claim(
                request, opened, token, claim, photo_error=_photo_text(refused.code), status=400
            )
        except ClaimRefused as refused:
            return render_claim(
                request, opened, token, claim, photo_error=_photo_text(refused.code), status=400
            )
        except ClaimIllegalTransition:
            # Decided meanwhile: the page says where the claim is now.
            return render_claim(request, opened, token, claim_of(opened, number) or claim, status=409)
    url = reverse("web:claim-status", kwargs={"token": token, "number": claim.number})
    return private(see_other(f"{url}?{urlencode({'lang': opened.language, 'added': '1'})}"))


def _photo_text(code: str) -> str:
    text, _field = refusal(code)
    return text % {"limit": MAX_PHOTOS} if "%(limit)s" in text else text


def claim_status_url(token: str, claim: Claim, **query: Any) -> str:
    url = reverse("web:claim-status", kwargs={"token": token, "number": claim.number})
    return f"{url}?{urlencode(query)}" if query else url
