"""``POST /returns/<token>/submit``: make the return, keep its photos, go to its page."""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from aftercart.orders.models import Order
from aftercart.returns import photos as return_photos
from aftercart.returns.models import Return
from aftercart.returns.portal import returnable_lines
from aftercart.returns.services.request import ReturnRefused
from aftercart.returns.submission import SubmissionRefused, SubmittedLine, return_submit
from aftercart.web.pages import private, see_other
from aftercart.web.returns.access import open_order
from aftercart.web.returns.offers import render_step_two
from aftercart.web.returns.start import judge_selection, read_selection, render_step_one, requested_lines
from aftercart.web.returns.words import (
    NOTE_MESSAGES,
    PHOTO_ERRORS,
)
from aftercart.web.uploads import accepts_uploads


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
        chosen = {row.index: str(request.POST.get(f"choice-{row.index}", "")) for row in selection.picked}
        method = str(request.POST.get("method", ""))
        submitted = [
            SubmittedLine(
                request=asked,
                # An exchange card names its replacement ("exchange:<variant>"), read into the row.
                resolution=chosen[row.index].partition(":")[0],
                reason_text=row.text,
                photos=[(f.name or "", _read_upload(f)) for f in _uploads(request, row.index)],
            )
            for row, asked in zip(selection.picked, requested_lines(selection), strict=True)
        ]
        # The form again, with what was chosen and a message by each field to correct.
        again = partial(
            render_step_two,
            request,
            opened,
            token,
            selection,
            decision,
            status=400,
            chosen=chosen,
            method=method,
            client_key=client_key,
        )
        try:
            result = return_submit(
                order=order,
                state=opened.state,
                lines=submitted,
                method=method,
                client_key=client_key,
                now=opened.now,
            )
        except SubmissionRefused as refused:
            return again(
                errors={
                    selection.picked[i].index: str(_("Choose what you would like for this item."))
                    for i in refused.choices
                },
                photo_errors={
                    selection.picked[i].index: str(PHOTO_ERRORS[code]) for i, code in refused.photos.items()
                },
                method_error=str(_("Choose how you will send the items back.")) if refused.method else "",
            )
        except ReturnRefused as refused:
            if refused.existing is not None:
                return to_status(token, refused.existing, opened.language, again=True)
            errors: dict[int, str] = {}
            for error in refused.errors:  # "lines[<position in the submission>]..." names a line
                field_name = error.get("field", "")
                if field_name.startswith("lines[") and "]" in field_name:
                    position = int(field_name[6 : field_name.index("]")])
                    if 0 <= position < len(submitted):
                        errors[selection.picked[position].index] = str(
                            NOTE_MESSAGES.get(error.get("code", ""), _("This item cannot be returned."))
                        )
            problem = (
                ""
                if errors
                else str(_("This return cannot be made as it is. Please check it and try again."))
            )
            return again(errors=errors, problem=problem)
    return to_status(token, result.ret, opened.language, again=not result.created)


def _uploads(request: HttpRequest, index: int) -> list[Any]:
    return [f for f in request.FILES.getlist(f"photos-{index}") if f.size or f.name]


def _read_upload(upload: Any) -> bytes:
    # Read one byte past the limit: enough to know it is too large without reading it all.
    return upload.read(return_photos.MAX_BYTES + 1)


def _existing(order: Order, client_key: str) -> Return | None:
    return Return.objects.filter(store_id=order.store_id, order=order, client_key=client_key).first()


def to_status(token: str, ret: Return, language: str, again: bool = False) -> HttpResponse:
    url = reverse("web:returns-status", kwargs={"token": token, "rma": ret.rma})
    query = {"lang": language, **({"again": "1"} if again else {})}
    return private(see_other(f"{url}?{urlencode(query)}"))
