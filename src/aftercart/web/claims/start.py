"""``/claims/<token>``: report a problem with an order (the tracking page's signed token opens
it). Without a kind, what can be claimed now (and from when what cannot yet); with ``?kind=``, the
form: the affected lines and units, photos, a note and the resolution the customer prefers among
those the policy allows. ``POST /claims/<token>/submit`` files it through the claims service.

Every refusal shows the form again with the message by its field and in a summary linked to it,
and writes nothing; a request larger than the photos' limit is refused (413) before it is read."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from aftercart.claims.models import Claim
from aftercart.claims.selectors import claims_for_order
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, ClaimRefused, claim_file
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.returns.photos import MAX_BYTES
from aftercart.web.claims.offer import ClaimRow, KindOffer, claim_rows, kind_offers
from aftercart.web.claims.words import (
    CLAIM_PHOTO_ERRORS,
    KIND_HINTS,
    KIND_LABELS,
    RESOLUTION_LABELS,
    refusal,
)
from aftercart.web.pages import private, render_page, see_other
from aftercart.web.returns.access import Opened, frame, open_order
from aftercart.web.uploads import accepts_uploads

#: Photos one claim takes (the claims service keeps at most this many).
MAX_PHOTOS = 6
MAX_NOTE = 2000
MAX_ROWS = 200


def claim_list(order: Any, token: str, language: str) -> list[dict[str, Any]]:
    """The order's claims as the pages list them, each linked to its page."""
    with translation.override(language):
        return [
            {
                "reference": claim.number,
                "kind": str(KIND_LABELS.get(claim.kind, claim.kind)),
                "status": claim.status,
                "url": reverse("web:claim-status", kwargs={"token": token, "number": claim.number}),
            }
            for claim in claims_for_order(order)
        ]


def _frame(request: HttpRequest, opened: Opened, token: str, **extra: Any) -> dict[str, Any]:
    context = frame(request, opened, token, **extra)
    context["claims_url"] = reverse("web:claims", kwargs={"token": token})
    return context


def _kind_choices(
    offers: dict[str, KindOffer], token: str, language: str, opened: Opened
) -> list[dict[str, Any]]:
    assert opened.order is not None and opened.state is not None
    zone = customer_zone(opened.state, opened.order.store.timezone)
    base = reverse("web:claims", kwargs={"token": token})
    out = []
    for kind, offer in offers.items():
        why = ""
        if not offer.is_open and offer.too_early is not None and offer.too_early.step is not None:
            why = present(offer.too_early.step, zone).detail
        out.append(
            {
                "value": kind,
                "label": str(KIND_LABELS.get(kind, kind)),
                "hint": str(KIND_HINTS.get(kind, "")),
                "open": offer.is_open,
                "why": why,
                "url": f"{base}?{urlencode({'kind': kind, 'lang': language})}",
            }
        )
    return out


def render_claim_form(
    request: HttpRequest,
    opened: Opened,
    token: str,
    *,
    kind: str = "",
    rows: list[ClaimRow] | None = None,
    errors: dict[str, str] | None = None,
    note: str = "",
    resolution: str = "",
    client_key: str = "",
    status: int = 200,
) -> HttpResponse:
    """The claim page: the kinds on offer, or the form for ``kind`` (with what was sent and the
    errors by field after a refusal)."""
    assert opened.order is not None and opened.state is not None
    order, language = opened.order, opened.language
    errors = errors or {}
    offers = kind_offers(order, opened.now)
    offer = offers.get(kind)
    with translation.override(language):
        context = _frame(request, opened, token, claims=claim_list(order, token, language))
        if offer is None:
            context["kinds"] = _kind_choices(offers, token, language, opened)
            context["nothing_reason"] = _("There is nothing to report on this order right now.")
            if kind:  # a kind that does not apply (any more): say so rather than a blank page
                context["problem"] = errors.get("") or _("This does not apply to your order as it is now.")
            return private(render_page(request, "web/claims/start.html", context, language, status=status))
        context["kind"] = {"value": kind, "label": str(KIND_LABELS[kind]), "hint": str(KIND_HINTS[kind])}
        if not offer.is_open:
            zone = customer_zone(opened.state, order.store.timezone)
            step = offer.too_early.step if offer.too_early else None
            context["too_early"] = present(step, zone).detail if step else _("It's too early to report this.")
            return private(render_page(request, "web/claims/start.html", context, language, status=status))
        shown = claim_rows(offer, opened.state)
        if rows is not None:  # what was sent: keep the customer's choices on the rows shown
            picked = {(r.line_id, r.parcel): r for r in rows}
            for row in shown:
                sent = picked.get((row.line_id, row.parcel))
                if sent is not None:
                    row.picked, row.error = sent.picked, sent.error
            # A row the form no longer shows (claimed meanwhile, another order's item, a tampered
            # form): its problem is said for the list rather than dropped.
            offered = {(r.line_id, r.parcel) for r in shown}
            stray = [r.error for r in rows if r.error and (r.line_id, r.parcel) not in offered]
            if stray and "lines" not in errors:
                errors = {**errors, "lines": stray[0]}
        elif len(shown) == 1:
            shown[0].picked = 1  # one item: already chosen
        if rows is None:
            _preselect(shown, request.GET.getlist("line"))
            note = note or str(request.GET.get("note", "")).strip()[:MAX_NOTE]
        resolutions = [{"value": r, "label": str(RESOLUTION_LABELS.get(r, r))} for r in offer.resolutions]
        context.update(
            {
                "lines": [_row_view(r) for r in shown],
                "first_line_field": f"qty-{shown[0].index}" if shown else "lines",
                "several_parcels": len({r.parcel for r in shown}) > 1,
                "resolutions": resolutions,
                "resolution": resolution or (resolutions[0]["value"] if len(resolutions) == 1 else ""),
                "note": note,
                "photos_wanted": True,
                "photos_required": offer.photos_required,
                "max_photos": MAX_PHOTOS,
                "client_key": client_key or f"claimpage:{secrets.token_urlsafe(18)}",
                "submit_url": reverse("web:claims-submit", kwargs={"token": token}),
                "problem": errors.get(""),
                "lines_error": errors.get("lines", ""),
                "photo_error": errors.get("photos", ""),
                "resolution_error": errors.get("resolution", ""),
                "note_error": errors.get("note", ""),
                "from_returns": request.GET.get("from") == "returns",
            }
        )
        context["has_errors"] = bool(errors) or any(r.error for r in shown)
    return private(render_page(request, "web/claims/start.html", context, language, status=status))


def _preselect(rows: list[ClaimRow], wanted: list[str]) -> None:
    """Check the lines a link names (``line=<id>`` or ``line=<id>:<units>``, e.g. from the returns
    portal's "arrived damaged"), never more units than can be claimed."""
    for item in wanted[:MAX_ROWS]:
        line_id, _sep, units = str(item).partition(":")
        count = int(units) if units.isdigit() else 1
        for row in rows:
            if row.line_id == line_id[:128]:
                row.picked = max(0, min(row.units, count))
                break


def _row_view(row: ClaimRow) -> dict[str, Any]:
    return {
        "index": row.index,
        "line_id": row.line_id,
        "parcel": row.parcel,
        "title": row.title,
        "variant": row.variant,
        "quantity": row.units,
        "choices": row.choices,
        "picked": row.picked,
        "error": row.error,
        "tracking_number": row.tracking_number,
    }


@never_cache
@require_safe
def claim_start(request: HttpRequest, token: str) -> HttpResponse:
    """``/claims/<token>[?kind=<kind>&line=<line id>]``: the kinds on offer, or one kind's form."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    kind = str(request.GET.get("kind", ""))[:32]
    return render_claim_form(request, opened, token, kind=kind)


def read_rows(data: QueryDict, offered: list[ClaimRow]) -> tuple[list[ClaimRow], str]:
    """The rows the customer picked (units > 0), and an error for the whole list ("" if none).
    Only the form's shape is checked here: whether the lines can be claimed is the service's."""
    by_key = {(r.line_id, r.parcel): r for r in offered}
    rows: list[ClaimRow] = []
    indexes = sorted(
        int(key[5:]) for key in data if key.startswith("line-") and key[5:].isdigit() and len(key) < 10
    )
    for index in indexes[:MAX_ROWS]:
        line_id = str(data.get(f"line-{index}", ""))[:128]
        if not line_id:
            continue
        parcel = str(data.get(f"parcel-{index}", ""))[:160]
        known = by_key.get((line_id, parcel))
        row = ClaimRow(
            index=index,
            line_id=line_id,
            parcel=parcel if known else "",
            title=known.title if known else line_id,
            variant=known.variant if known else "",
            units=known.units if known else 0,
        )
        raw = str(data.get(f"qty-{index}", "0")).strip() or "0"
        try:
            row.picked = int(raw)
        except ValueError:
            row.picked, row.error = 0, refusal("bad_quantity")[0]
        if row.picked < 0 or row.picked > 100_000:
            row.picked, row.error = 0, refusal("bad_quantity")[0]
        rows.append(row)
    picked = [r for r in rows if r.picked > 0]
    if any(r.error for r in rows):
        return rows, ""
    if not picked:
        return rows, refusal("empty_request")[0]
    if len({r.parcel for r in picked}) > 1:
        return rows, refusal("mixed_parcels")[0]
    return rows, ""


def _uploads(request: HttpRequest) -> list[Any]:
    return [f for f in request.FILES.getlist("photos") if f.size or f.name]


def read_photos(request: HttpRequest) -> tuple[list[ClaimPhotoIn], str]:
    """The uploaded photos (each read one byte past the limit: enough to know it is too large)
    and an error when there are more than a claim takes."""
    files = _uploads(request)
    if len(files) > MAX_PHOTOS:
        return [], str(CLAIM_PHOTO_ERRORS["too_many"]) % {"limit": MAX_PHOTOS}
    return [ClaimPhotoIn(name=(f.name or "")[:200], data=f.read(MAX_BYTES + 1)) for f in files], ""


def refusal_errors(refused: ClaimRefused, rows: list[ClaimRow]) -> dict[str, str]:
    """The service's refusal as messages by form field; a line's own problem goes on its row."""
    errors: dict[str, str] = {}
    picked = [r for r in rows if r.picked > 0]
    for error in refused.errors:
        code = error.get("code", "") or refused.code
        text, field = refusal(code)
        if code in ("too_many", "photo_too_many"):
            text = text % {"limit": MAX_PHOTOS}
        name = error.get("field", "")
        if name.startswith("lines[") and "]" in name:
            try:
                position = int(name[6 : name.index("]")])
            except ValueError:
                position = -1
            if 0 <= position < len(picked):
                picked[position].error = text
                continue
        errors.setdefault(field, text)
    return errors


def _existing(opened: Opened, client_key: str) -> Claim | None:
    assert opened.order is not None
    return Claim.objects.filter(
        store_id=opened.order.store_id, order=opened.order, client_key=client_key
    ).first()


@accepts_uploads(MAX_PHOTOS * MAX_BYTES)
@never_cache
@csrf_protect
@require_POST
def claim_submit(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /claims/<token>/submit``: file the claim, then its page (303). The form carries a
    key made when it was shown: the same submission again (a double click, a reload) is the same
    claim."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None and opened.state is not None
    order = opened.order
    kind = str(request.POST.get("kind", ""))[:32]
    note = str(request.POST.get("note", "")).strip()[:MAX_NOTE]
    resolution = str(request.POST.get("resolution", ""))[:32]
    client_key = str(request.POST.get("client_key", ""))[:200]
    if not client_key.startswith("claimpage:"):
        client_key = f"claimpage:{secrets.token_urlsafe(18)}"
    existing = _existing(opened, client_key)
    if existing is not None:
        return to_claim(token, existing, opened.language, again=True)
    offer = kind_offers(order, opened.now).get(kind)
    again = {"kind": kind, "note": note, "resolution": resolution, "client_key": client_key, "status": 400}
    with translation.override(opened.language):
        if offer is None or not offer.is_open:
            return render_claim_form(request, opened, token, **again)  # type: ignore[arg-type]
        rows, lines_error = read_rows(request.POST, claim_rows(offer, opened.state))
        photos, photo_error = read_photos(request)
        errors = {k: v for k, v in {"lines": lines_error, "photos": photo_error}.items() if v}
        if not resolution:
            errors["resolution"] = refusal("resolution_not_offered")[0]
        if errors or any(r.error for r in rows):
            return render_claim_form(request, opened, token, rows=rows, errors=errors, **again)  # type: ignore[arg-type]
        picked = [r for r in rows if r.picked > 0]
        try:
            result = claim_file(
                store=order.store,
                order=order,
                kind=kind,
                lines=[ClaimLineIn(line_id=r.line_id, quantity=r.picked) for r in picked],
                shipment=picked[0].parcel,
                description=note,
                preferred_resolution=resolution,
                photos=photos,
                client_key=client_key,
                source="tracking_page",
                actor="customer",
                now=opened.now,
            )
        except ClaimRefused as refused:
            if refused.existing is not None and refused.code == "duplicate_submission":
                return to_claim(token, refused.existing, opened.language, again=True)
            errors = refusal_errors(refused, rows)
            return render_claim_form(request, opened, token, rows=rows, errors=errors, **again)  # type: ignore[arg-type]
    return to_claim(token, result.claim, opened.language, again=not result.created)


def to_claim(token: str, claim: Claim, language: str, again: bool = False) -> HttpResponse:
    url = reverse("web:claim-status", kwargs={"token": token, "number": claim.number})
    query = {"lang": language, **({"again": "1"} if again else {})}
    return private(see_other(f"{url}?{urlencode(query)}"))
