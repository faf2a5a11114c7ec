"""What a return's e-mail says, in the customer's language: the return's next step (headline and
detail, as the portal, the API and the ops console present it), and per milestone a subject, a note
with the news (the label attached, the amount refunded, in the customer's locale), links and
attachments. The e-mail channel renders these in its usual branded frame (and the
store's own template for the milestone, when it has one, replaces the detail as for any message).

``label_ready`` carries the label (PDF) or the drop-off QR code (PNG) as an attachment, so the
shopper has it even offline, and links to the return's page in the portal.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from aftercart.domain.milestones import Milestone
from aftercart.domain.money import Money
from aftercart.domain.returns import ReturnMethod, quantize
from aftercart.kernel.i18n import customer_zone, format_money
from aftercart.kernel.presenter import present
from aftercart.notifications.links import base_url, tracking_url
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns import selectors
from aftercart.returns.models import Return


def return_url(ret: Return, suffix: str = "") -> str:
    """The return's page in the shoppers' portal (``suffix`` ``"label.pdf"``: its label), signed with
    the order's link; the order's tracking page when the portal is not installed."""
    token = make_tracking_token(ret.order)
    name = "web:returns-label" if suffix == "label.pdf" else "web:returns-status"
    try:
        path = reverse(name, kwargs={"token": token, "rma": ret.rma})
    except NoReverseMatch:
        return tracking_url(ret.order)
    return f"{base_url()}{path}"


def returns_portal_url(order: Order) -> str:
    """Where the customer starts a return of ``order`` in the shoppers' portal, signed with the
    order's link (like :func:`return_url`); the order's tracking page when the portal is not
    installed."""
    try:
        path = reverse("web:returns-start", kwargs={"token": make_tracking_token(order)})
    except NoReverseMatch:
        return tracking_url(order)
    return f"{base_url()}{path}"


def return_email_context(ret: Return, milestone: Milestone) -> dict[str, Any]:
    """Subject, headline, detail, note, actions, lines and attachments of the e-mail for
    ``milestone`` (call with the customer's language active).

    The headline and detail are the return's next step as every touchpoint presents it; the
    subject and the note say the news the milestone brings (the label attached, the amount
    refunded), in the customer's locale."""
    rma = ret.rma
    step = present(selectors.return_step(ret), customer_zone(None, ret.store.timezone))
    actions = [{"label": gettext("View your return"), "url": return_url(ret)}]
    attachments: list[tuple[str, bytes, str]] = []
    title, note = "", ""
    if milestone == Milestone.RETURN_REQUESTED:
        # How to bring the items in store is the next step's (with the store's location), not
        # said again here.
        title = gettext("Return request received")
    elif milestone == Milestone.LABEL_READY and (ret.carrier_qr_png or ret.carrier_qr_url):
        # The carrier gave its own drop-off code (a bought label): that is what its counter
        # scans, so it is what the shopper gets, instead of ours.
        title = gettext("Your drop-off code is ready")
        note = gettext(
            "Show the carrier's QR code at one of its drop-off points with return number %(rma)s: they print the label for you."
        )
        if selectors.send_method(ret) == ReturnMethod.DROPOFF:
            # A QR drop-off is never told about printing, even the carrier's.
            note = gettext(
                "Show the carrier's QR code at one of its drop-off points with return number %(rma)s: no box needed."
            )
        if ret.carrier_qr_url:
            actions.insert(0, {"label": gettext("Show the carrier's QR code"), "url": ret.carrier_qr_url})
        if ret.carrier_qr_png:
            attachments.append((f"dropoff-code-{rma}.png", bytes(ret.carrier_qr_png), "image/png"))
        if selectors.send_method(ret) != ReturnMethod.DROPOFF and ret.label_url:
            actions.insert(1, {"label": gettext("Print the carrier's label"), "url": ret.label_url})
    elif milestone == Milestone.LABEL_READY:
        if selectors.send_method(ret) == ReturnMethod.DROPOFF:
            title = gettext("Your drop-off QR code is ready")
            note = gettext("Your drop-off QR code for return %(rma)s is attached: show it on your phone.")
            with contextlib.suppress(selectors.LabelNotIssued):
                attachments.append(
                    (f"dropoff-{rma}.png", selectors.return_dropoff_qr(ret, "png"), "image/png")
                )
        else:
            title = gettext("Your return label is ready")
            note = gettext("Your return label is attached to this e-mail.")
            actions.insert(
                0, {"label": gettext("Download your return label"), "url": return_url(ret, "label.pdf")}
            )
            if ret.label_url:  # the carrier's own label, which the store attached: print that one
                actions.insert(0, {"label": gettext("Print the carrier's label"), "url": ret.label_url})
            with contextlib.suppress(selectors.LabelNotIssued):
                attachments.append((f"return-{rma}.pdf", selectors.return_label_pdf(ret), "application/pdf"))
    elif milestone == Milestone.RETURN_RECEIVED:
        title = gettext("Your return has arrived")
    elif milestone == Milestone.REFUND_ISSUED:
        title = gettext("Your refund is on its way")
        note = gettext(
            "We've refunded %(amount)s to your original payment method. It can take a few days to appear."
        ) % {"amount": format_money(Money(quantize(ret.refund_amount, ret.currency), ret.currency))}
    elif milestone == Milestone.CREDIT_ISSUED:
        title = gettext("Your store credit is ready")
        note = gettext("%(amount)s of store credit is ready to use on your next order.") % {
            "amount": format_money(Money(quantize(ret.credit_amount, ret.currency), ret.currency)),
        }
    elif milestone == Milestone.EXCHANGE_SHIPPED:
        title = gettext("Your exchange is on its way")
        note = gettext("We're sending your replacement for return %(rma)s.")
        if ret.refund_amount > 0 and not selectors.refunds_money(ret):
            # A cheaper replacement: the difference goes back, said here rather than in a "refund"
            # e-mail about a return the shopper chose to exchange.
            note = "{} {}".format(
                note,
                gettext("The price difference, %(amount)s, goes back to your original payment method.")
                % {"amount": format_money(Money(quantize(ret.refund_amount, ret.currency), ret.currency))},
            )
    elif milestone == Milestone.RETURN_REJECTED:
        title = gettext("We couldn't accept your return")
    note = note.replace("%(rma)s", rma)
    exchanged = (ret.exchange_order or {}).get("lines") or []
    if milestone == Milestone.EXCHANGE_SHIPPED and exchanged:
        lines = [
            {
                "title": ln.get("title") or ln.get("sku") or "",
                "variant": ln.get("variant", ""),
                "quantity": ln["quantity"],
            }
            for ln in exchanged
        ]
    else:
        lines = [
            {"title": ln.title or ln.sku or ln.line_id, "variant": ln.variant, "quantity": ln.quantity}
            for ln in ret.lines.all()
            if ln.accepted is not False
        ]
    return {
        "subject": gettext("%(headline)s · return %(rma)s")
        % {"headline": title or step.headline, "rma": rma},
        "headline": step.headline,
        "detail": step.detail,
        "actions": actions,
        "lines": lines,
        # The milestone's own news, after the next step (the frame's slot for a second paragraph).
        "window_text": note,
        "attachments": attachments,
        "return_rma": rma,
    }
