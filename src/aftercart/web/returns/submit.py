"""``POST /returns/<token>/submit``: make the return, keep its photos, go to its page."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, TypedDict

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from aftercart.domain.returns import (
    OfferKind,
)
from aftercart.orders.models import Order
from aftercart.returns import photos as return_photos
from aftercart.returns.models import Return
from aftercart.returns.portal import (
    return_methods,
    returnable_lines,
)
from aftercart.returns.services import LineChoice, ReturnRefused, return_request
from aftercart.web.pages import private, see_other
from aftercart.web.returns.access import open_order
from aftercart.web.returns.offers import offers_for, render_step_two
from aftercart.web.returns.start import judge_selection, read_selection, render_step_one, requested_lines
from aftercart.web.returns.words import (
    NOTE_MESSAGES,
    PHOTO_ERRORS,
)
from aftercart.web.uploads import accepts_uploads


class _Chosen(TypedDict):
    """What the form chose, given back to ``render_step_two`` when it is shown again."""

    chosen: Mapping[int, str]
    method: str
    client_key: str


@accepts_uploads(return_photos.MAX_UPLOAD_BYTES)
@never_cache
@csrf_protect
@require_POST
def returns_submit(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /returns/<token>/submit``: make the return, keep its photos, go to its page.

    The form carries a key made when it was shown, so the same submission again (a double click, a
    reload) is the same return. Every refusal — the policy's, a missing choice, a photo that is
    not an image or too large — shows the form again with the message by the field, and writes
    nothing. A request larger than the photos' limit in all is refused (413) before it is read."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None and opened.state is not None
    order = opened.order
    lines = returnable_lines(order, opened.state, opened.now)
    client_key = str(request.POST.get("client_key", ""))[:200]
    if not client_key.startswith("portal:"):
        client_key = f"portal:{secrets.token_urlsafe(18)}"
    with translation.override(opened.language):
        selection = read_selection(request.POST, lines, order)
        existing = _existing(order, client_key)
        if existing is not None:
            return to_status(token, existing, opened.language, again=True)
        decision = judge_selection(selection, opened)
        if decision is None or not selection.ok:
            return render_step_one(request, opened, token, selection, status=400)
        chosen: dict[int, str] = {}
        errors: dict[int, str] = {}
        for row in selection.picked:
            verdict = decision.line(row.line_id)
            assert verdict is not None
            value = str(request.POST.get(f"choice-{row.index}", ""))
            offered = {o.kind.value for o in offers_for(verdict, row)}
            if value not in offered:
                errors[row.index] = str(_("Choose what you would like for this item."))
            chosen[row.index] = value
        method = str(request.POST.get("method", ""))
        method_error = (
            "" if method in return_methods(order) else str(_("Choose how you will send the items back."))
        )
        photos: dict[str, list[return_photos.PlannedPhoto]] = {}
        photo_errors: dict[int, str] = {}
        for row in selection.picked:
            uploads = [f for f in request.FILES.getlist(f"photos-{row.index}") if f.size or f.name]
            try:
                checked = return_photos.photos_check([(f.name or "", _read_upload(f)) for f in uploads])
            except return_photos.PhotoRefused as refused:
                photo_errors[row.index] = str(PHOTO_ERRORS[refused.code])
            else:
                photos[row.line_id] = return_photos.photos_plan(client_key, row.line_id, checked)
        kwargs: _Chosen = {"chosen": chosen, "method": method, "client_key": client_key}
        if errors or photo_errors or method_error:
            return render_step_two(
                request,
                opened,
                token,
                selection,
                decision,
                errors=errors,
                photo_errors=photo_errors,
                method_error=method_error,
                status=400,
                **kwargs,
            )
        choices = [
            LineChoice(
                request=asked,
                resolution=OfferKind(chosen[row.index]),
                reason_text=row.text,
                photos=tuple(p.path for p in photos.get(row.line_id, [])),
            )
            for row, asked in zip(selection.picked, requested_lines(selection), strict=True)
        ]
        try:
            result = return_request(
                store=order.store,
                order=order,
                choices=choices,
                client_key=client_key,
                source="portal",
                actor="shopper",
                method=method,
                now=opened.now,
            )
        except ReturnRefused as refused:
            if refused.existing is not None:
                return to_status(token, refused.existing, opened.language, again=True)
            by_line = {row.line_id: row.index for row in selection.picked}
            for error in refused.errors:
                field_name = error.get("field", "")
                if field_name.startswith("lines[") and "]" in field_name:
                    position = int(field_name[6 : field_name.index("]")])
                    if 0 <= position < len(choices):
                        line_id = choices[position].request.line_id
                        errors[by_line[line_id]] = str(
                            NOTE_MESSAGES.get(error.get("code", ""), _("This item cannot be returned."))
                        )
            problem = (
                ""
                if errors
                else str(_("This return cannot be made as it is. Please check it and try again."))
            )
            return render_step_two(
                request,
                opened,
                token,
                selection,
                decision,
                errors=errors,
                problem=problem,
                status=400,
                **kwargs,
            )
    if not result.created:
        return to_status(token, result.ret, opened.language, again=True)
    # The return names the photos; write them now that it exists (a refusal left no files).
    return_photos.photos_write([p for planned in photos.values() for p in planned])
    return to_status(token, result.ret, opened.language)


def _read_upload(upload: Any) -> bytes:
    # Read one byte past the limit: enough to know it is too large without reading it all.
    return upload.read(return_photos.MAX_BYTES + 1)


def _existing(order: Order, client_key: str) -> Return | None:
    return Return.objects.filter(store_id=order.store_id, order=order, client_key=client_key).first()


def to_status(token: str, ret: Return, language: str, again: bool = False) -> HttpResponse:
    url = reverse("web:returns-status", kwargs={"token": token, "rma": ret.rma})
    query = {"lang": language, **({"again": "1"} if again else {})}
    return private(see_other(f"{url}?{urlencode(query)}"))
