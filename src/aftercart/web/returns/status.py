"""``/returns/<token>/<rma>``: a return's page (next step, choices, label, QR code, history), its
label PDF, and the order's returns as the tracking page and step 1 list them."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from aftercart.domain.carriers import carrier_info
from aftercart.domain.returns import (
    OfferKind,
    Reason,
    ReturnMethod,
)
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.orders.models import Order
from aftercart.returns import selectors
from aftercart.returns.models import LabelPurchase, Return
from aftercart.web.pages import page_frame, private, render_page
from aftercart.web.returns.access import frame, open_order
from aftercart.web.returns.words import (
    FACT_LABELS,
    METHOD_LABELS,
    OFFER_LABELS,
    REASON_LABELS,
    fact_label,
    money,
    status_label,
)


def return_step_view(ret: Return, language: str, store_timezone: str = "") -> dict[str, Any]:
    """The return's next step (the domain's, through the presenter), in the shopper's language."""
    step = selectors.return_step(ret)
    with translation.override(language):
        shown = present(step, customer_zone(None, store_timezone))
    return {
        "code": shown.code,
        "headline": shown.headline,
        "detail": shown.detail,
        "action": step.action,
        "shows_amounts": step.shows_amounts,
    }


def return_list(order: Order, token: str, language: str) -> list[dict[str, Any]]:
    with translation.override(language):
        return [
            {
                "rma": ret.rma,
                "status": status_label(ret.status, ret.method),
                "created_at": ret.created_at,
                "items": sum(line.quantity for line in ret.lines.all()),
                "url": reverse("web:returns-status", kwargs={"token": token, "rma": ret.rma}),
            }
            for ret in selectors.returns_for_order(order)
        ]


def returns_for_tracking(order: Order, token: str, language: str) -> list[dict[str, Any]]:
    """The order's returns as the tracking page lists them (with links to their pages)."""
    return return_list(order, token, language)


def return_of(order: Order, rma: str) -> Return | None:
    if not rma or len(rma) > 16:
        return None
    ret = selectors.return_by_rma(order.store, rma)
    # The link names the order; a return of any other order is not found, whatever its number.
    return ret if ret is not None and ret.order_id == order.pk else None


def _resolution_lines(ret: Return, language: str, *, shows_amounts: bool = True) -> list[dict[str, Any]]:
    """What each line is and what it settles; no amounts where the step says the return pays
    nothing (rejected, cancelled) or for a line inspection turned down."""
    cur = ret.currency
    rows = []
    for line in ret.lines.all():
        kind = OfferKind(line.resolution)
        amounts = []
        if not shows_amounts or line.accepted is False:
            pass
        elif kind is OfferKind.EXCHANGE:
            target = line.exchange_for or {}
            amounts.append(
                str(_("You get: %(item)s") % {"item": _item(target.get("title") or line.title, target)})
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
        if amounts and line.bonus_amount > 0:
            amounts.append(
                str(_("Includes a bonus of %(amount)s") % {"amount": money(line.bonus_amount, cur, language)})
            )
        if amounts and line.fee_amount > 0:
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


def _item(title: str, target: dict[str, Any]) -> str:
    """The replacement as the shopper reads it: its title and, when it has one, its variant."""
    variant = target.get("variant") or target.get("sku", "")
    return f"{title} ({variant})" if variant else title


@never_cache
@require_safe
def return_status(request: HttpRequest, token: str, rma: str) -> HttpResponse:
    """``/returns/<token>/<rma>``: the return's next step, what was chosen, its label and QR code
    once issued, and its timeline."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None
    ret = return_of(opened.order, rma)
    if ret is None:
        context = page_frame(request, opened.order.store, opened.language, reason="unknown_return")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=404)
        return private(page)
    language = opened.language
    step = return_step_view(ret, language, opened.order.store.timezone)
    # The label and QR code are shown while the next step is to send the items (the domain's
    # "get_label" / "show_qr" action); once they are on their way they would only confuse. A QR
    # drop-off offers no label to download: its instructions never ask the shopper to print.
    sending = step["action"] in ("get_label", "show_qr") and ret.label_issued_at is not None
    printing = sending and selectors.send_method(ret) != ReturnMethod.DROPOFF
    with translation.override(language):
        facts = [f for f in ret.facts.all() if f.kind in FACT_LABELS]
        context = frame(
            request,
            opened,
            token,
            ret={"rma": ret.rma, "status": status_label(ret.status, ret.method)},
            step=step,
            lines=_resolution_lines(ret, language, shows_amounts=step["shows_amounts"]),
            timeline=[
                {"at": f.occurred_at, "label": fact_label(f.kind, ret.method)} for f in reversed(facts)
            ],
            again=request.GET.get("again") == "1",
            photos=sum(len(line.photos or []) for line in ret.lines.all()),
            # Nothing goes back from a keep-it return: no way of sending to name.
            method=str(METHOD_LABELS[ret.method][0])
            if ret.method in METHOD_LABELS and not ret.keep_items
            else "",
            label_url=reverse("web:returns-label", kwargs={"token": token, "rma": ret.rma})
            if printing
            else "",
            # The carrier's own drop-off code, when it gave one, replaces ours.
            qr_svg=_qr_svg(ret) if sending and not printing and not _has_carrier_qr(ret) else "",
            carrier_qr=_carrier_qr(ret) if sending else "",
            carrier_qr_url=ret.carrier_qr_url if sending else "",
            carrier=carrier_info(ret.carrier).name if ret.carrier else "",
            # The carrier's own label: bought (EasyPost) or attached by the store (manual); never
            # for a QR drop-off, which has nothing to print.
            carrier_label_url=ret.label_url if printing else "",
            label_pending=_label_pending(ret),
        )
    return private(render_page(request, "web/returns/status.html", context, language))


def _has_carrier_qr(ret: Return) -> bool:
    return bool(ret.carrier_qr_url or ret.carrier_qr_png)


def _carrier_qr(ret: Return) -> str:
    """The carrier's drop-off code as a ``data:`` URI of the PNG the worker fetched (the page
    loads nothing from the carrier's host), or "" when there is none."""
    if not ret.carrier_qr_png:
        return ""
    return "data:image/png;base64," + base64.b64encode(bytes(ret.carrier_qr_png)).decode("ascii")


def _label_pending(ret: Return) -> bool:
    """Whether a prepaid label is being bought for the approved return (a purchase that failed for
    good is not: the next step says the label is delayed)."""
    purchase = selectors.label_purchase_of(ret) if ret.label_issued_at is None else None
    return (
        purchase is not None
        and purchase.status != LabelPurchase.Status.FAILED
        and ret.status == ReturnStatus.APPROVED.value
    )


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
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    assert opened.order is not None
    ret = return_of(opened.order, rma)
    if ret is None or ret.label_issued_at is None:
        context = page_frame(request, opened.order.store, opened.language, reason="unknown_return")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=404)
        return private(page)
    response = HttpResponse(selectors.return_label_pdf(ret), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-{ret.rma}.pdf"'
    return private(response)
