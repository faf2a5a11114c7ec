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
    Offer,
    OfferKind,
    ReturnDecision,
)
from aftercart.returns import photos as return_photos
from aftercart.returns.portal import (
    ExchangeOption,
    exchange_choices,
    portal_policy,
    quote,
    return_methods,
    returnable_lines,
)
from aftercart.web.claims.from_returns import damaged_to_claim
from aftercart.web.pages import private, render_page
from aftercart.web.returns.access import Opened, frame, open_order
from aftercart.web.returns.start import (
    Row,
    Selection,
    judge_selection,
    option_key,
    read_selection,
    render_step_one,
    requested_lines,
)
from aftercart.web.returns.words import (
    METHOD_LABELS,
    OFFER_LABELS,
    REASON_LABELS,
    day,
    money,
)


def _offer_view(
    offer: Offer, currency: str, language: str, row: Row, option: ExchangeOption | None, instant: bool
) -> dict[str, Any]:
    """One offer as a radio card: what the shopper gets, when, and any fee or difference (the
    domain's figures, formatted here and never recomputed)."""
    cash = lambda amount: money(amount, currency, language)  # noqa: E731
    title = row.line.title if row.line else row.line_id
    details = []
    if offer.kind is OfferKind.EXCHANGE and option is not None:
        variant = option.variant or option.sku
        if option.other:
            # Another product: named by its title, the variant after it when it has one.
            item = f"{option.title} ({option.variant})" if option.variant else option.title
            label = str(_("Exchange for another product: %(item)s") % {"item": item})
        else:
            item = f"{title} ({variant})"
            label = str(_("Exchange for %(variant)s") % {"variant": variant})
        details.append(str(_("You get: %(item)s") % {"item": item}))
        if offer.charge > 0:
            details.append(str(_("You pay the difference: %(amount)s") % {"amount": cash(offer.charge)}))
        elif offer.difference_back > 0:
            details.append(str(_("You get %(amount)s back") % {"amount": cash(offer.difference_back)}))
        else:
            details.append(str(_("Same price: nothing to pay")))
        details.append(
            str(_("We send it as soon as your return is on its way to us."))
            if instant
            else str(_("We send it once we have received and checked your return."))
        )
    elif offer.kind is OfferKind.STORE_CREDIT:
        label = str(OFFER_LABELS[offer.kind])
        details.append(str(_("You get: %(amount)s in store credit") % {"amount": cash(offer.amount)}))
        details.append(
            str(_("Ready to use once we have settled your return."))
            if offer.keep_item
            else str(_("Ready to use once we have received and checked your return."))
        )
    else:
        label = str(OFFER_LABELS[offer.kind])
        details.append(str(_("You get back: %(amount)s") % {"amount": cash(offer.amount)}))
        details.append(
            str(_("Refunded once we have settled your return; it can take a few days to appear."))
            if offer.keep_item
            else str(
                _("Refunded once we have received and checked your return; it can take a few days to appear.")
            )
        )
    if offer.bonus > 0:
        details.append(str(_("Includes a bonus of %(amount)s") % {"amount": cash(offer.bonus)}))
    fee = offer.fee + offer.restocking_fee
    details.append(str(_("Fee: %(amount)s") % {"amount": cash(fee)}) if fee > 0 else str(_("No fee")))
    if offer.keep_item:
        details.append(str(_("No need to send it back: keep it")))
    elif offer.deadline is not None:
        details.append(str(_("Send it back by %(date)s") % {"date": day(offer.deadline)}))
    value = offer.kind.value if option is None else f"{offer.kind.value}:{option_key(option)}"
    return {"kind": offer.kind.value, "value": value, "label": label, "details": details}


def line_cards(
    selection: Selection, opened: Opened, decision: ReturnDecision
) -> dict[int, list[tuple[Offer, ExchangeOption | None]]]:
    """Each picked row's offers, in the policy's order: an exchange per variant the shopper can
    have, then per other product the store's rule allows (first, each quoted by the domain with
    that replacement), then store credit and refund.

    The k-th variant of every row is quoted together (one judgement per k, not per card): the
    per-return bonus and fee split over the lines the same way whichever variant each row names."""
    assert opened.order is not None and opened.state is not None
    options = {
        row.index: exchange_choices(opened.order, row.line, row.quantity) if row.line else []
        for row in selection.picked
    }
    cards: dict[int, list[tuple[Offer, ExchangeOption | None]]] = {row.index: [] for row in selection.picked}
    for k in range(max((len(o) for o in options.values()), default=0)):
        asked = requested_lines(selection, {i: o[k] for i, o in options.items() if len(o) > k})
        quoted = quote(opened.order, opened.state, asked, opened.now)
        for row in selection.picked:
            if len(options[row.index]) <= k:
                continue
            verdict = quoted.line(row.line_id)
            offer = verdict.offer(OfferKind.EXCHANGE) if verdict is not None else None
            if offer is not None:
                cards[row.index].append((offer, options[row.index][k]))
    for row in selection.picked:
        verdict = decision.line(row.line_id)
        assert verdict is not None
        cards[row.index].extend((o, None) for o in verdict.offers if o.kind is not OfferKind.EXCHANGE)
    return cards


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
    instant = portal_policy(opened.order).exchange.instant
    cards = line_cards(selection, opened, decision)
    with translation.override(language):
        rows = []
        for row in selection.picked:
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
                    "offers": [
                        _offer_view(o, currency, language, row, option, instant)
                        for o, option in cards[row.index]
                    ],
                    # A size picked before (a link with ``exchange-<n>``) is the card checked.
                    "chosen": chosen.get(row.index, "")
                    or (f"exchange:{row.exchange_key}" if row.exchange is not None else ""),
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
        # "Arrived damaged" is a claim, not a return: nothing to send back (web/claims/from_returns.py).
        damaged = damaged_to_claim(opened, token, selection)
        if damaged is not None:
            return damaged
        decision = judge_selection(selection, opened)
    if decision is None or not selection.ok:
        return render_step_one(request, opened, token, selection, status=400)
    return render_step_two(request, opened, token, selection, decision)
