"""The shoppers' returns portal.

``/returns`` finds the order (number + e-mail or postal code, the tracking page's lookup and rate
limits); ``/returns/<token>`` (the order's signed link, the same one the tracking page uses, so
revoking one revokes both) lists what can come back. The shopper picks items, quantities and a
reason per line (and another size, when one is in stock), then sees the policy's offers per line
in the policy's order — exchange, store credit with its bonus, refund — each with what they get
back, the fee and the deadline, chooses one per line and a way to send it, may add photos, and
submits. The status page ``/returns/<token>/<rma>`` shows the return's next step, its label and
QR code once issued, and its timeline.

Nothing here decides anything: eligibility, amounts and deadlines are the domain's quote
(:mod:`aftercart.returns.portal`), the request is ``return_request``, the next step is
``return_next_step``. A refused request writes nothing and says why on the page, next to the
field. Plain forms and links throughout: no JavaScript is needed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from aftercart.domain.projection import OrderState
from aftercart.domain.returns import (
    ExchangeTarget,
    LineDecision,
    Note,
    Offer,
    OfferKind,
    Reason,
    RequestedLine,
    ReturnDecision,
)
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import link_expired, make_tracking_token, read_tracking_token
from aftercart.returns import photos as return_photos
from aftercart.returns import selectors
from aftercart.returns.models import Return
from aftercart.returns.portal import (
    ExchangeOption,
    ReturnableLine,
    exchange_options,
    quote,
    return_methods,
    returnable_lines,
)
from aftercart.returns.services import LineChoice, ReturnRefused, return_request
from aftercart.web.lookup import LookupForm, lookup_post
from aftercart.web.pages import page_frame, private, rate_limited, render_page, see_other, store_param
from aftercart.web.tracking import choose_language, language_links, order_zone, supported_language

# --- words ---------------------------------------------------------------------------------------

REASON_LABELS = {
    Reason.SIZE_TOO_SMALL: _("Size too small"),
    Reason.SIZE_TOO_LARGE: _("Size too large"),
    Reason.NOT_AS_DESCRIBED: _("Not as described"),
    Reason.DAMAGED: _("Arrived damaged"),
    Reason.DEFECTIVE: _("Defective or does not work"),
    Reason.CHANGED_MIND: _("Changed my mind"),
    Reason.ARRIVED_LATE: _("Arrived too late"),
    Reason.OTHER: _("Other reason"),
}

OFFER_LABELS = {
    OfferKind.EXCHANGE: _("Exchange"),
    OfferKind.STORE_CREDIT: _("Store credit"),
    OfferKind.REFUND: _("Refund to your original payment method"),
}

#: Why a line (or the request) cannot come back as asked, by the domain's note code.
NOTE_MESSAGES = {
    "over_quantity": _("You can return at most %(left)s of this item."),
    "bad_quantity": _("Enter how many of this item to return."),
    "unknown_line": _("This item is not part of this order."),
    "duplicate_line": _("This item is listed twice."),
    "already_returned": _("This item has already been returned."),
    "not_sent": _("This item was never sent, so there is nothing to return."),
    "not_delivered": _("This item has not been delivered yet. You can return it once it arrives."),
    "window_closed": _("The return window for this item closed on %(closed_on)s."),
    "final_sale": _("This item was a final sale and cannot be returned."),
    "quantity_limit": _("At most %(limit)s of one item can be returned at a time."),
    "condition_not_accepted": _("This item can only come back unworn, with its tags."),
    "too_many_units": _("At most %(limit)s items can be returned at a time."),
    "empty_request": _("Choose at least one item to return."),
    "resolution_not_offered": _("That option is not available for this item. Choose another one."),
}

#: The return's next step (``return_next_step``'s codes), as the shopper reads it.
STEP_TEXT = {
    "return_in_review": (
        _("We're reviewing your return"),
        _("Return %(rma)s needs a quick check by our team. We'll e-mail you when it's approved."),
    ),
    "return_requested": (_("Return requested"), _("We have your return %(rma)s.")),
    "return_keep_items": (
        _("Keep the items"),
        _("No need to send anything back: we'll settle it for you."),
    ),
    "return_approved": (
        _("Return approved"),
        _("Print your label or show your QR code at a drop-off point and send the items by %(ship_by)s."),
    ),
    "return_approved/undated": (
        _("Return approved"),
        _("Print your label or show your QR code at a drop-off point and send the items."),
    ),
    "return_send_items": (
        _("Send your items back"),
        _("Pack the items with return number %(rma)s and drop them off by %(ship_by)s."),
    ),
    "return_send_items/undated": (
        _("Send your items back"),
        _("Pack the items with return number %(rma)s and drop them off."),
    ),
    "return_in_transit": (_("On its way back"), _("Your return is on its way to us.")),
    "return_received": (_("We received your return"), _("We're checking the items now.")),
    "return_inspected": (
        _("Items checked"),
        _("We're issuing what you chose: you'll hear from us shortly."),
    ),
    "return_resolved": (_("Return complete"), _("Your return is complete.")),
    "return_rejected": (_("Return not accepted"), _("We couldn't accept this return.")),
    "return_cancelled": (_("Return cancelled"), _("Return %(rma)s was cancelled.")),
}
#: A resolved return's detail, by what was issued first.
RESOLVED_TEXT = {
    "refund_issued": _("Your refund has been issued to your original payment method."),
    "credit_issued": _("Your store credit is ready to use."),
    "exchange_created": _("Your exchange is on its way."),
}

#: The return's timeline, by fact kind; kinds not listed are not shown to the shopper.
FACT_LABELS = {
    "requested": _("Return requested"),
    "approve": _("Return approved"),
    "reject": _("Return not accepted"),
    "issue_label": _("Label ready"),
    "mark_in_transit": _("On its way back"),
    "mark_received": _("Received by us"),
    "inspect": _("Items checked"),
    "resolve": _("Return complete"),
    "cancel": _("Return cancelled"),
    "photos_added": _("Photos added"),
}

STATUS_LABELS = {
    ReturnStatus.REQUESTED: _("Requested"),
    ReturnStatus.APPROVED: _("Approved"),
    ReturnStatus.LABEL_ISSUED: _("Label ready"),
    ReturnStatus.IN_TRANSIT: _("On its way back"),
    ReturnStatus.RECEIVED: _("Received"),
    ReturnStatus.INSPECTED: _("Checked"),
    ReturnStatus.RESOLVED: _("Complete"),
    ReturnStatus.REJECTED: _("Not accepted"),
    ReturnStatus.CANCELLED: _("Cancelled"),
}

PHOTO_ERRORS = {
    "too_large": _("Each photo must be 5 MB or smaller. Please choose your photos again."),
    "not_an_image": _("Photos must be JPEG, PNG or WebP images. Please choose your photos again."),
    "too_many": _("Add at most 3 photos per item. Please choose your photos again."),
}

#: Form fields per line (``<name>-<row>``): at most this many rows are read from a request.
MAX_ROWS = 200


def money(amount: Decimal, currency: str, language: str) -> str:
    """An amount in the shopper's language (``€12.50``, ``12,50 €``, ``R$ 12,50``)."""
    if not currency:
        return str(amount)
    return format_currency(amount, currency, locale=translation.to_locale(language))


def day(value: date | None) -> str:
    """A date in the active language."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def note_message(note: Note) -> str:
    """The shopper's words for a domain note (call with the language active)."""
    text = NOTE_MESSAGES.get(note.code)
    if text is None:
        return str(_("This item cannot be returned."))
    params = dict(note.params)
    for key in ("closed_on", "until"):
        if key in params:
            params[key] = day(date.fromisoformat(params[key]))
    try:
        return str(text) % params
    except (KeyError, ValueError):
        return str(_("This item cannot be returned."))


# --- opening the order ---------------------------------------------------------------------------


@dataclass
class Opened:
    """The order behind a portal link, or the response to send instead."""

    order: Order | None = None
    state: OrderState | None = None
    now: datetime = field(default_factory=timezone.now)
    language: str = "en"
    problem: HttpResponse | None = None


def _open(request: HttpRequest, token: str) -> Opened:
    """Read the signed link: a forged, tampered or revoked one gets a clear page (404), an
    expired one 410, and nothing is written either way."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        page = render_page(request, "web/returns/link_problem.html", context, language, status=404)
        return Opened(problem=private(page), language=language)
    opened = Opened(order=order)
    state = order_view(order, opened.now)[0]
    opened.state = state
    opened.language = choose_language(request, state=state, store=order.store)
    if link_expired(state, opened.now):
        context = page_frame(request, order.store, opened.language, reason="expired")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=410)
        opened.problem = private(page)
    return opened


def _frame(request: HttpRequest, opened: Opened, token: str, **extra: Any) -> dict[str, Any]:
    assert opened.order is not None and opened.state is not None
    order = opened.order
    context = page_frame(request, order.store, opened.language, **extra)
    context.update(
        {
            "token": token,
            "order_number": opened.state.number or order.number,
            "tracking_url": reverse("web:track-order", kwargs={"token": token}),
            "start_url": reverse("web:returns-start", kwargs={"token": token}),
            "zone": order_zone(opened.state, order.store).key,
        }
    )
    return context


# --- the lookup ----------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def returns_lookup(request: HttpRequest) -> HttpResponse:
    """``/returns``: find the order, then go to its returns page. Every kind of miss gets the same
    answer, and lookups count against the same limits as the tracking page's."""
    store = store_param(request)
    explicit = supported_language(request.POST.get("lang") or request.GET.get("lang")) or ""
    language = choose_language(request, store=store, explicit=explicit)
    context = page_frame(request, store, language, explicit_lang=explicit, failed=False)
    context["languages"] = language_links(request, language, keep={"store": store.slug if store else ""})
    if request.method != "POST":
        context["form"] = LookupForm(initial={"number": request.GET.get("number", "")[:64]})
        return render_page(request, "web/returns/lookup.html", context, language)
    found = lookup_post(request, store)
    if found.retry_after:
        return rate_limited(request, context, language, found.retry_after)
    if found.order is not None:
        url = reverse("web:returns-start", kwargs={"token": make_tracking_token(found.order)})
        return see_other(url + (f"?{urlencode({'lang': explicit})}" if explicit else ""))
    context["form"], context["failed"] = found.form, found.failed
    return render_page(request, "web/returns/lookup.html", context, language)


# --- step 1: what comes back ---------------------------------------------------------------------


@dataclass
class Row:
    """One line as the shopper filled it in (``index`` is its place in the form)."""

    index: int
    line_id: str
    line: ReturnableLine | None
    quantity: int = 0
    reason: Reason | None = None
    text: str = ""
    exchange: ExchangeOption | None = None
    exchange_key: str = ""
    error: str = ""


@dataclass
class Selection:
    """What the shopper picked, with the problems found (per row and for the whole request)."""

    rows: list[Row]
    problems: list[str] = field(default_factory=list)

    @property
    def picked(self) -> list[Row]:
        return [r for r in self.rows if r.quantity > 0]

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.error for r in self.rows)


def _option_key(option: ExchangeOption) -> str:
    return option.sku or option.variant


def _read_selection(data: QueryDict, lines: list[ReturnableLine], order: Order) -> Selection:
    """Parse the line fields. Only the form's shape is checked here; whether the lines can come
    back (quantity, window, final sale, another order's line) is the domain's to say."""
    by_id = {line.line_id: line for line in lines}
    rows = []
    # Rows are numbered by their place on the page; lines that cannot come back have no fields,
    # so the numbers have gaps.
    indexes = sorted(
        int(key[5:]) for key in data if key.startswith("line-") and key[5:].isdigit() and len(key) < 10
    )
    for index in indexes[:MAX_ROWS]:
        line_id = str(data.get(f"line-{index}", ""))[:128]
        if not line_id:
            continue
        row = Row(index=index, line_id=line_id, line=by_id.get(line_id))
        raw_quantity = str(data.get(f"qty-{index}", "0")).strip() or "0"
        try:
            row.quantity = int(raw_quantity)
        except ValueError:
            row.quantity, row.error = 0, str(NOTE_MESSAGES["bad_quantity"])
        if row.quantity < 0 or row.quantity > 100_000:
            row.quantity, row.error = 0, str(NOTE_MESSAGES["bad_quantity"])
        reason = str(data.get(f"reason-{index}", ""))
        row.reason = Reason(reason) if reason in Reason.__members__.values() else None
        row.text = str(data.get(f"text-{index}", "")).strip()[:1000]
        row.exchange_key = str(data.get(f"exchange-{index}", ""))[:200]
        if row.quantity > 0 and not row.error:
            if row.reason is None:
                row.error = str(_("Choose why you are returning this item."))
            elif row.exchange_key and row.line is not None:
                options = {_option_key(o): o for o in exchange_options(order, row.line)}
                row.exchange = options.get(row.exchange_key)
                if row.exchange is None:
                    row.error = str(_("That size is no longer available. Choose another one."))
        rows.append(row)
    return Selection(rows=rows)


def _requested(selection: Selection) -> list[RequestedLine]:
    return [
        RequestedLine(
            line_id=row.line_id,
            quantity=row.quantity,
            reason=row.reason or Reason.OTHER,
            exchange_for=None
            if row.exchange is None
            else ExchangeTarget(
                product_id=row.exchange.product_id,
                variant=row.exchange.variant,
                sku=row.exchange.sku,
                unit_price=row.exchange.unit_price,
            ),
        )
        for row in selection.picked
    ]


def _judge(selection: Selection, opened: Opened) -> ReturnDecision | None:
    """The domain's verdict on the picked rows, its refusals written onto the rows."""
    assert opened.order is not None and opened.state is not None
    if not selection.ok:
        return None
    if not selection.picked:
        selection.problems.append(str(NOTE_MESSAGES["empty_request"]))
        return None
    decision = quote(opened.order, opened.state, _requested(selection), opened.now)
    for row in selection.picked:
        verdict = decision.line(row.line_id)
        if verdict is not None and not verdict.eligible:
            row.error = " ".join(dict.fromkeys(note_message(n) for n in verdict.reasons))
    selection.problems.extend(note_message(n) for n in decision.problems)
    return decision


def _line_views(
    lines: list[ReturnableLine], selection: Selection | None, order: Order, language: str
) -> list[dict[str, Any]]:
    """Step 1's rows: every line of the order, returnable or with why not."""
    filled = {r.line_id: r for r in selection.rows} if selection else {}
    views = []
    for index, line in enumerate(lines):
        row = filled.get(line.line_id)
        blocked = ""
        if line.blocked:
            blocked = note_message(Note(line.blocked, "", dict(line.blocked_params)))
        views.append(
            {
                "index": index,
                "line_id": line.line_id,
                "title": line.title,
                "variant": line.variant,
                "quantity": line.quantity,
                "left": line.left,
                "choices": list(range(0, line.left + 1)),
                "until": day(line.returnable_until),
                "blocked": blocked,
                "picked_quantity": row.quantity if row else 0,
                "reason": row.reason.value if row and row.reason else "",
                "text": row.text if row else "",
                "exchange": row.exchange_key if row else "",
                "exchange_options": [
                    {"key": _option_key(o), "label": o.variant or o.sku}
                    for o in (exchange_options(order, line) if line.left else [])
                ],
                "error": row.error if row else "",
            }
        )
    # Rows the form was sent with that are not lines of this order (a tampered form): show them
    # with the domain's answer rather than dropping them silently.
    known = {line.line_id for line in lines}
    for row in selection.rows if selection else []:
        if row.line_id not in known and row.error:
            views.append(
                {
                    "index": len(lines) + row.index,
                    "line_id": row.line_id,
                    "title": row.line_id,
                    "stray": True,
                    "error": row.error,
                }
            )
    return views


def _step_one(
    request: HttpRequest, opened: Opened, token: str, selection: Selection | None, status: int = 200
) -> HttpResponse:
    assert opened.order is not None and opened.state is not None
    lines = returnable_lines(opened.order, opened.state, opened.now)
    with translation.override(opened.language):
        context = _frame(
            request,
            opened,
            token,
            lines=_line_views(lines, selection, opened.order, opened.language),
            reasons=[{"value": r.value, "label": str(label)} for r, label in REASON_LABELS.items()],
            problems=selection.problems if selection else [],
            has_errors=bool(selection and not selection.ok),
            returnable=any(line.left for line in lines),
            returns=_return_list(opened.order, token, opened.language),
        )
    return private(render_page(request, "web/returns/start.html", context, opened.language, status=status))


@never_cache
@require_safe
def returns_start(request: HttpRequest, token: str) -> HttpResponse:
    """``/returns/<token>``: the order's lines, what can come back, and the order's returns."""
    opened = _open(request, token)
    if opened.problem is not None:
        return opened.problem
    return _step_one(request, opened, token, None)


# --- step 2: the offers --------------------------------------------------------------------------


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


def _offers_for(verdict: LineDecision, row: Row) -> list[Offer]:
    # An exchange is offered on the page only for a replacement the shopper picked (in stock).
    return [o for o in verdict.offers if o.kind is not OfferKind.EXCHANGE or row.exchange is not None]


#: How the items can travel back; ``label`` always, the others where the store offers them.
METHOD_LABELS = {
    "label": (_("Print a label"), _("We give you a label to print and stick on the parcel.")),
    "dropoff": (
        _("Drop-off with a QR code"),
        _("No printer or box needed: show the QR code at a drop-off point."),
    ),
    "in_store": (_("Return in store"), _("Bring the items to one of our stores.")),
}


def _step_two(
    request: HttpRequest,
    opened: Opened,
    token: str,
    selection: Selection,
    decision: ReturnDecision,
    *,
    errors: Mapping[int, str] | None = None,
    chosen: Mapping[int, str] | None = None,
    method: str = "",
    method_error: str = "",
    client_key: str = "",
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    assert opened.order is not None
    errors, chosen = errors or {}, chosen or {}
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
                    "offers": [_offer_view(o, currency, language, row) for o in _offers_for(verdict, row)],
                    "chosen": chosen.get(row.index, ""),
                    "error": errors.get(row.index, ""),
                }
            )
        methods = [
            {"value": m, "label": str(METHOD_LABELS[m][0]), "hint": str(METHOD_LABELS[m][1])}
            for m in return_methods(opened.order)
        ]
        context = _frame(
            request,
            opened,
            token,
            rows=rows,
            methods=methods,
            method=method or (methods[0]["value"] if len(methods) == 1 else ""),
            method_error=method_error,
            client_key=client_key or f"portal:{secrets.token_urlsafe(18)}",
            problem=problem,
            has_errors=bool(errors or method_error or problem),
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
    opened = _open(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None and opened.state is not None
    lines = returnable_lines(opened.order, opened.state, opened.now)
    with translation.override(opened.language):
        selection = _read_selection(request.GET, lines, opened.order)
        decision = _judge(selection, opened)
    if decision is None or not selection.ok:
        return _step_one(request, opened, token, selection, status=400)
    return _step_two(request, opened, token, selection, decision)


# --- submit --------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_POST
def returns_submit(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /returns/<token>/submit``: make the return, keep its photos, go to its page.

    The form carries a key made when it was shown, so the same submission again (a double click, a
    reload) is the same return. Every refusal — the policy's, a missing choice, a photo that is
    not an image or too large — shows the form again with the message by the field, and writes
    nothing."""
    opened = _open(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None and opened.state is not None
    order = opened.order
    lines = returnable_lines(order, opened.state, opened.now)
    client_key = str(request.POST.get("client_key", ""))[:200]
    if not client_key.startswith("portal:"):
        client_key = f"portal:{secrets.token_urlsafe(18)}"
    with translation.override(opened.language):
        selection = _read_selection(request.POST, lines, order)
        existing = _existing(order, client_key)
        if existing is not None:
            return _to_status(token, existing, opened.language, again=True)
        decision = _judge(selection, opened)
        if decision is None or not selection.ok:
            return _step_one(request, opened, token, selection, status=400)
        chosen: dict[int, str] = {}
        errors: dict[int, str] = {}
        for row in selection.picked:
            verdict = decision.line(row.line_id)
            assert verdict is not None
            value = str(request.POST.get(f"choice-{row.index}", ""))
            offered = {o.kind.value for o in _offers_for(verdict, row)}
            if value not in offered:
                errors[row.index] = str(_("Choose what you would like for this item."))
            chosen[row.index] = value
        method = str(request.POST.get("method", ""))
        method_error = (
            "" if method in return_methods(order) else str(_("Choose how you will send the items back."))
        )
        photos: dict[str, list[return_photos.PlannedPhoto]] = {}
        for row in selection.picked:
            uploads = [f for f in request.FILES.getlist(f"photos-{row.index}") if f.size or f.name]
            try:
                checked = return_photos.photos_check([(f.name or "", _read_upload(f)) for f in uploads])
            except return_photos.PhotoRefused as refused:
                errors[row.index] = str(PHOTO_ERRORS[refused.code])
            else:
                photos[row.line_id] = return_photos.photos_plan(client_key, row.line_id, checked)
        kwargs = {"chosen": chosen, "method": method, "client_key": client_key}
        if errors or method_error:
            return _step_two(
                request,
                opened,
                token,
                selection,
                decision,
                errors=errors,
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
            for row, asked in zip(selection.picked, _requested(selection), strict=True)
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
                return _to_status(token, refused.existing, opened.language, again=True)
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
            return _step_two(
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
        return _to_status(token, result.ret, opened.language, again=True)
    # The return names the photos; write them now that it exists (a refusal left no files).
    return_photos.photos_write([p for planned in photos.values() for p in planned])
    return _to_status(token, result.ret, opened.language)


def _read_upload(upload: Any) -> bytes:
    # Read one byte past the limit: enough to know it is too large without reading it all.
    return upload.read(return_photos.MAX_BYTES + 1)


def _existing(order: Order, client_key: str) -> Return | None:
    return Return.objects.filter(store_id=order.store_id, order=order, client_key=client_key).first()


def _to_status(token: str, ret: Return, language: str, again: bool = False) -> HttpResponse:
    url = reverse("web:returns-status", kwargs={"token": token, "rma": ret.rma})
    query = {"lang": language, **({"again": "1"} if again else {})}
    return private(see_other(f"{url}?{urlencode(query)}"))


# --- the return's page ---------------------------------------------------------------------------


def return_step_view(ret: Return, language: str) -> dict[str, str]:
    """The return's next step (``return_next_step``), in the shopper's language."""
    step = selectors.return_step(ret)
    key = step.code if ret.ship_by or f"{step.code}/undated" not in STEP_TEXT else f"{step.code}/undated"
    headline, detail = STEP_TEXT.get(key, (_("Your return"), _("We have your return %(rma)s.")))
    with translation.override(language):
        params = {"rma": ret.rma, "ship_by": day(ret.ship_by)}
        text = str(detail)
        if step.code == "return_resolved":
            first = ret.resolution.split(",")[0] if ret.resolution else ""
            text = str(RESOLVED_TEXT.get(first, detail))
        return {"code": step.code, "headline": str(headline), "detail": text % params, "action": step.action}


def _return_list(order: Order, token: str, language: str) -> list[dict[str, Any]]:
    with translation.override(language):
        return [
            {
                "rma": ret.rma,
                "status": str(STATUS_LABELS.get(ReturnStatus(ret.status), ret.status)),
                "created_at": ret.created_at,
                "items": sum(line.quantity for line in ret.lines.all()),
                "url": reverse("web:returns-status", kwargs={"token": token, "rma": ret.rma}),
            }
            for ret in selectors.returns_for_order(order)
        ]


def returns_for_tracking(order: Order, token: str, language: str) -> list[dict[str, Any]]:
    """The order's returns as the tracking page lists them (with links to their pages)."""
    return _return_list(order, token, language)


def _return_of(order: Order, rma: str) -> Return | None:
    if not rma or len(rma) > 16:
        return None
    ret = selectors.return_by_rma(order.store, rma)
    # The link names the order; a return of any other order is not found, whatever its number.
    return ret if ret is not None and ret.order_id == order.pk else None


def _resolution_lines(ret: Return, language: str) -> list[dict[str, Any]]:
    cur = ret.currency
    rows = []
    for line in ret.lines.all():
        kind = OfferKind(line.resolution)
        amounts = []
        if kind is OfferKind.EXCHANGE:
            target = line.exchange_for or {}
            amounts.append(
                str(
                    _("You get: %(item)s")
                    % {"item": f"{line.title} ({target.get('variant') or target.get('sku', '')})"}
                )
            )
            if line.charge_amount > 0:
                amounts.append(
                    str(
                        _("You pay the difference: %(amount)s")
                        % {"amount": money(line.charge_amount, cur, language)}
                    )
                )
        elif kind is OfferKind.STORE_CREDIT:
            amounts.append(
                str(_("You get back: %(amount)s") % {"amount": money(line.credit_amount, cur, language)})
            )
        else:
            amounts.append(
                str(_("You get back: %(amount)s") % {"amount": money(line.refund_amount, cur, language)})
            )
        if line.bonus_amount > 0:
            amounts.append(
                str(_("Includes a bonus of %(amount)s") % {"amount": money(line.bonus_amount, cur, language)})
            )
        if line.fee_amount > 0:
            amounts.append(str(_("Fee: %(amount)s") % {"amount": money(line.fee_amount, cur, language)}))
        rows.append(
            {
                "title": line.title or line.sku or line.line_id,
                "variant": line.variant,
                "quantity": line.quantity,
                "reason": str(REASON_LABELS.get(Reason(line.reason), line.reason)),
                "resolution": str(OFFER_LABELS[kind]),
                "amounts": amounts,
                "accepted": line.accepted,
            }
        )
    return rows


@never_cache
@require_safe
def return_status(request: HttpRequest, token: str, rma: str) -> HttpResponse:
    """``/returns/<token>/<rma>``: the return's next step, what was chosen, its label and QR code
    once issued, and its timeline."""
    opened = _open(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None
    ret = _return_of(opened.order, rma)
    if ret is None:
        context = page_frame(request, opened.order.store, opened.language, reason="unknown_return")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=404)
        return private(page)
    language = opened.language
    with translation.override(language):
        facts = [f for f in ret.facts.all() if f.kind in FACT_LABELS]
        context = _frame(
            request,
            opened,
            token,
            ret={"rma": ret.rma, "status": str(STATUS_LABELS.get(ReturnStatus(ret.status), ret.status))},
            step=return_step_view(ret, language),
            lines=_resolution_lines(ret, language),
            timeline=[{"at": f.occurred_at, "label": str(FACT_LABELS[f.kind])} for f in reversed(facts)],
            again=request.GET.get("again") == "1",
            photos=sum(len(line.photos or []) for line in ret.lines.all()),
            method=str(METHOD_LABELS[ret.method][0]) if ret.method in METHOD_LABELS else "",
            label_url=reverse("web:returns-label", kwargs={"token": token, "rma": ret.rma})
            if ret.label_issued_at
            else "",
            qr_svg=_qr_svg(ret),
        )
    return private(render_page(request, "web/returns/status.html", context, language))


def _qr_svg(ret: Return) -> str:
    """The drop-off QR code as inline SVG (segno's markup of our own code, nothing the shopper
    typed), or "" when the return has none."""
    if not ret.dropoff_code or ret.label_issued_at is None:
        return ""
    return selectors.return_dropoff_qr(ret, fmt="svg").decode()


@never_cache
@require_safe
def return_label(request: HttpRequest, token: str, rma: str) -> HttpResponse:
    """``/returns/<token>/<rma>/label.pdf``: the printable label once issued (404 before)."""
    opened = _open(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None
    ret = _return_of(opened.order, rma)
    if ret is None or ret.label_issued_at is None:
        context = page_frame(request, opened.order.store, opened.language, reason="unknown_return")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=404)
        return private(page)
    response = HttpResponse(selectors.return_label_pdf(ret), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-{ret.rma}.pdf"'
    return private(response)
