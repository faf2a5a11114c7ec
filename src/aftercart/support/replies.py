"""The words of automated replies, in the customer's language.

The order's situation is never worded here: it is the order's :class:`~aftercart.domain.next_step.
NextStep` rendered by the presenter (:func:`aftercart.kernel.presenter.render_next_step`), the very
sentence the tracking page, the e-mails, the SMS and the API show, followed by the order's signed
tracking link. Only the frame (greeting, "which order?", "cancelled", sign-off) is this module's,
through gettext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.domain.support.triage import Reply
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step
from aftercart.notifications import links
from aftercart.orders.models import Order
from aftercart.returns.messages import returns_portal_url
from aftercart.stores.models import Store

_SUPPORTED = {code for code, _ in settings.LANGUAGES}


def reply_language(*candidates: str) -> str:
    """The first of ``candidates`` the catalogues speak (``pt`` → ``pt-br``), else English."""
    for raw in candidates:
        tag = (raw or "").lower().replace("_", "-")
        if not tag:
            continue
        if tag in _SUPPORTED:
            return tag
        base = tag.split("-")[0]
        for code in sorted(_SUPPORTED):
            if code == base or code.split("-")[0] == base:
                return code
    return "en"


@dataclass(frozen=True)
class Composed:
    """An automated reply: its text (plain, for every channel), a subject for e-mail, and the
    order's headline and tracking link as they appear in it (for checks and the API)."""

    text: str
    subject: str
    headline: str = ""
    tracking_url: str = ""
    language: str = "en"


def compose(
    kind: Reply,
    *,
    store: Store,
    language: str,
    name: str = "",
    order: Order | None = None,
    state: OrderState | None = None,
    step: NextStep | None = None,
    candidates: Sequence[Order] = (),
    address: str = "",
    short: bool = False,
) -> Composed:
    """The reply ``kind`` in ``language``; ``short`` for SMS (no greeting, no sign-off)."""
    with translation.override(language):
        lang = translation.get_language() or "en"
        lines: list[str] = []
        headline = url = ""
        number = (order.number or order.external_id) if order is not None else ""
        if kind is Reply.WHICH_ORDER:
            lines.append(gettext("You have more than one order with us. Which one is your message about?"))
            for candidate in candidates[:10]:
                placed = candidate.placed_at.date().isoformat() if candidate.placed_at else ""
                lines.append(f"- {candidate.number or candidate.external_id} {placed}".rstrip())
            lines.append(gettext("Reply with the order number and we will answer at once."))
        elif kind is Reply.ASK_NUMBER:
            lines.append(
                gettext(
                    "We could not find an order from this address. Reply with your order number "
                    "and we will answer at once."
                )
            )
        else:
            if kind is Reply.CANCELLED:
                lines.append(
                    gettext("Your order %(number)s is cancelled, as you asked.") % {"number": number}
                )
            elif kind is Reply.CANNOT_CANCEL:
                lines.append(
                    gettext("Order %(number)s can no longer be cancelled: it has already shipped.")
                    % {"number": number}
                )
            elif kind is Reply.ADDRESS_CHANGED:
                lines.append(
                    gettext("We have changed the delivery address of order %(number)s to: %(address)s")
                    % {"number": number, "address": address}
                )
            elif kind is Reply.CANNOT_CHANGE_ADDRESS:
                lines.append(
                    gettext(
                        "The delivery address of order %(number)s can no longer be changed: "
                        "the parcel is already with the carrier."
                    )
                    % {"number": number}
                )
            elif kind is Reply.RETURNS and order is not None:
                lines.append(
                    gettext("You can start a return or ask for a refund of order %(number)s here: %(url)s")
                    % {"number": number, "url": returns_portal_url(order)}
                )
            if order is not None and step is not None and state is not None:
                headline, detail = render_next_step(step, customer_zone(state, store.timezone))
                url = links.tracking_url(order)
                if kind is not Reply.RETURNS:
                    lines.append(gettext("Order %(number)s:") % {"number": number})
                    lines.append(headline)
                    if detail and not short:
                        lines.append(detail)
                lines.append(gettext("Follow your order at any time: %(url)s") % {"url": url})
        if short:
            text = f"{store.name}: " + " ".join(lines)
        else:
            greeting = gettext("Hello %(name)s,") % {"name": name} if name else gettext("Hello,")
            text = "\n\n".join([greeting, "\n".join(lines), gettext("Best regards,") + "\n" + store.name])
        subject = (
            gettext("Re: your order %(number)s") % {"number": number}
            if number
            else gettext("Re: your message")
        )
    return Composed(text=text, subject=subject, headline=headline, tracking_url=url, language=lang)
