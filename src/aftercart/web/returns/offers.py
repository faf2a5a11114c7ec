"""``/returns/<token>/review`` (step 2): the policy's offers for each picked line, the ways to send
the items back, and photos."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from aftercart.domain.returns import (
    LineDecision,
    Offer,
    OfferKind,
    ReturnDecision,
)
from aftercart.returns import photos as return_photos
from aftercart.returns.portal import (
    portal_offers,
    return_methods,
    returnable_lines,
)
from aftercart.web.pages import private, render_page
from aftercart.web.returns.access import Opened, frame, open_order
from aftercart.web.returns.start import Row, Selection, judge_selection, read_selection, render_step_one
from aftercart.web.returns.words import (
    METHOD_LABELS,
    OFFER_LABELS,
    REASON_LABELS,
    day,
    money,
)


def _offer_view(offer: Offer, currency: str, language: str, row: Row) -> dict[str, Any]:
    """One offer as a radio button: what comes back, the fee, the deadline (the domain's figures)."""
    cash = lambda amount: money(amount, currency, language)  # noqa: E731
    details = []
    if offer.kind is OfferKind.EXCHANGE and row.exchange is not None:
        details.append(
            str(
                _("You get: %(item)s")
                % {
                    "item": f"{row.line.title if row.line else ''} ({row.exchange.variant or row.exchange.sku})"
                }
            )
        )
        if offer.charge > 0:
            details.append(str(_("You pay the difference: %(amount)s") % {"amount": cash(offer.charge)}))
        elif offer.difference_back > 0:
            details.append(str(_("You get %(amount)s back") % {"amount": cash(offer.difference_back)}))
        else:
            details.append(str(_("Nothing to pay")))
    else:
        details.append(str(_("You get back: %(amount)s") % {"amount": cash(offer.amount)}))
    if offer.bonus > 0:
        details.append(str(_("Includes a bonus of %(amount)s") % {"amount": cash(offer.bonus)}))
    fee = offer.fee + offer.restocking_fee
    details.append(str(_("Fee: %(amount)s") % {"amount": cash(fee)}) if fee > 0 else str(_("No fee")))
    if offer.keep_item:
        details.append(str(_("No need to send it back: keep it")))
    elif offer.deadline is not None:
        details.append(str(_("Send it back by %(date)s") % {"date": day(offer.deadline)}))
    return {"kind": offer.kind.value, "label": str(OFFER_LABELS[offer.kind]), "details": details}


def offers_for(verdict: LineDecision, row: Row) -> list[Offer]:
    return portal_offers(verdict, replacement_picked=row.exchange is not None)


def render_step_two(
    request: HttpRequest,
    opened: Opened,
    token: str,
    selection: Selection,
    decision: ReturnDecision,
    *,
    errors: Mapping[int, str] | None = None,
    photo_errors: Mapping[int, str] | None = None,
    chosen: Mapping[int, str] | None = None,
    method: str = "",
    method_error: str = "",
    client_key: str = "",
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    assert opened.order is not None
    errors, chosen, photo_errors = errors or {}, chosen or {}, photo_errors or {}
    language, currency = opened.language, decision.currency
    with translation.override(language):
        rows = []
        for row in selection.picked:
            verdict = decision.line(row.line_id)
            assert verdict is not None
            rows.append(
                {
                    "index": row.index,
                    "line_id": row.line_id,
                    "title": row.line.title if row.line else row.line_id,
                    "variant": row.line.variant if row.line else "",
                    "quantity": row.quantity,
                    "reason": row.reason.value if row.reason else "",
                    "reason_label": str(REASON_LABELS[row.reason]) if row.reason else "",
                    "text": row.text,
                    "exchange": row.exchange_key,
                    "offers": [_offer_view(o, currency, language, row) for o in offers_for(verdict, row)],
                    "chosen": chosen.get(row.index, ""),
                    "error": errors.get(row.index, ""),
                    "photo_error": photo_errors.get(row.index, ""),
                }
            )
        methods = [
            {"value": m, "label": str(METHOD_LABELS[m][0]), "hint": str(METHOD_LABELS[m][1])}
            for m in return_methods(opened.order)
        ]
        context = frame(
            request,
            opened,
            token,
            rows=rows,
            methods=methods,
            method=method or (methods[0]["value"] if len(methods) == 1 else ""),
            method_error=method_error,
            client_key=client_key or f"portal:{secrets.token_urlsafe(18)}",
            problem=problem,
            has_errors=bool(errors or photo_errors or method_error or problem),
            submit_url=reverse("web:returns-submit", kwargs={"token": token}),
            max_photos=return_photos.MAX_PER_LINE,
            needs_review=decision.needs_review,
        )
    return private(render_page(request, "web/returns/review.html", context, language, status=status))


@never_cache
@require_safe
def returns_review(request: HttpRequest, token: str) -> HttpResponse:
    """``/returns/<token>/review?…``: the policy's offers for what the shopper picked (a GET: it
    writes nothing, and Back works). Anything the policy refuses goes back to step 1, by the field."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None and opened.state is not None
    lines = returnable_lines(opened.order, opened.state, opened.now)
    with translation.override(opened.language):
        selection = read_selection(request.GET, lines, opened.order)
        decision = judge_selection(selection, opened)
    if decision is None or not selection.ok:
        return render_step_one(request, opened, token, selection, status=400)
    return render_step_two(request, opened, token, selection, decision)
