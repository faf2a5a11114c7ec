"""What a return's e-mail says: headline, detail, links and attachments per return milestone, in
the customer's language. The e-mail channel renders these in its usual branded frame (and the
store's own template for the milestone, when it has one, replaces the detail as for any message).

``label_ready`` carries the label (PDF) or the drop-off QR code (PNG) as an attachment, so the
shopper has it even offline, and links to the return's page in the portal.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from aftercart.domain.milestones import Milestone
from aftercart.domain.returns import format_day, quantize
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.notifications.links import base_url, tracking_url
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


def _money(amount: Decimal, currency: str) -> str:
    return f"{quantize(amount, currency)} {currency}".strip()


def return_email_context(ret: Return, milestone: Milestone) -> dict[str, Any]:
    """Subject, headline, detail, actions, lines and attachments of the e-mail for ``milestone``
    (call with the customer's language active)."""
    rma = ret.rma
    send_by = (
        gettext("Please send the items by %(date)s.") % {"date": format_day(ret.ship_by)}
        if ret.ship_by
        else ""
    )
    actions = [{"label": gettext("View your return"), "url": return_url(ret)}]
    attachments: list[tuple[str, bytes, str]] = []
    headline, detail = "", ""
    if milestone == Milestone.RETURN_REQUESTED:
        headline = gettext("Return request received")
        if ret.status == ReturnStatus.REQUESTED:
            detail = gettext("We're checking return %(rma)s and will e-mail you as soon as it's approved.")
        elif ret.keep_items:
            detail = gettext("No need to send anything back: we'll settle return %(rma)s for you.")
        elif ret.method == "in_store":
            detail = (
                f"{gettext('Bring the items to one of our stores with return number %(rma)s.')} {send_by}"
            )
        else:
            detail = gettext("Your return %(rma)s is registered.")
    elif milestone == Milestone.LABEL_READY:
        if ret.method == "dropoff":
            headline = gettext("Your drop-off QR code is ready")
            detail = gettext(
                "Show the attached QR code at the drop-off point with return number %(rma)s: no box or printer needed."
            )
            with contextlib.suppress(selectors.LabelNotIssued):
                attachments.append(
                    (f"dropoff-{rma}.png", selectors.return_dropoff_qr(ret, "png"), "image/png")
                )
        else:
            headline = gettext("Your return label is ready")
            detail = gettext("Print the attached label, put it on the parcel with the items and drop it off.")
            actions.insert(
                0, {"label": gettext("Download your return label"), "url": return_url(ret, "label.pdf")}
            )
            if ret.label_url:  # the carrier's own label, which the store attached: print that one
                actions.insert(0, {"label": gettext("Print the carrier's label"), "url": ret.label_url})
            with contextlib.suppress(selectors.LabelNotIssued):
                attachments.append((f"return-{rma}.pdf", selectors.return_label_pdf(ret), "application/pdf"))
        detail = f"{detail} {send_by}".strip()
    elif milestone == Milestone.RETURN_RECEIVED:
        headline = gettext("Your return has arrived")
        detail = gettext("We're checking the items of return %(rma)s now.")
    elif milestone == Milestone.REFUND_ISSUED:
        headline = gettext("Your refund is on its way")
        detail = gettext(
            "We've refunded %(amount)s to your original payment method. It can take a few days to appear."
        ) % {"amount": _money(ret.refund_amount, ret.currency), "rma": rma}
    elif milestone == Milestone.CREDIT_ISSUED:
        headline = gettext("Your store credit is ready")
        detail = gettext("%(amount)s of store credit is ready to use on your next order.") % {
            "amount": _money(ret.credit_amount, ret.currency),
            "rma": rma,
        }
    elif milestone == Milestone.EXCHANGE_SHIPPED:
        headline = gettext("Your exchange is on its way")
        detail = gettext("We're sending your replacement for return %(rma)s.")
    elif milestone == Milestone.RETURN_REJECTED:
        headline = gettext("We couldn't accept your return")
        detail = gettext("Return %(rma)s was not accepted.")
        if ret.rejection_reason:
            detail = f"{detail} {ret.rejection_reason}"
    detail = detail.replace("%(rma)s", rma)
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
        "subject": gettext("%(headline)s · return %(rma)s") % {"headline": headline, "rma": rma},
        "headline": headline,
        "detail": detail,
        "actions": actions,
        "lines": lines,
        "window_text": "",
        "attachments": attachments,
        "return_rma": rma,
    }
