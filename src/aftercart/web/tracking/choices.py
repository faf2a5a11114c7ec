"""The tracking page's choice forms: the question and buttons of each offer the domain makes, and
what the page says when a choice cannot be recorded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftercart.domain.facts import CustomerChoice
from aftercart.domain.options import Offer, Refusal, Situation
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.i18n import format_when
from aftercart.web.tracking.step import _title

#: The buttons for each choice (``{substitute}`` and ``{date}`` are filled in per offer).
CHOICE_LABELS = {
    CustomerChoice.WAIT: _("I will wait for it"),
    CustomerChoice.REFUND: _("Refund it"),
    CustomerChoice.SUBSTITUTE: _("Send me %(substitute)s instead"),
    CustomerChoice.EXTEND_PICKUP: _("Keep it for me until %(date)s"),
    CustomerChoice.SWITCH_TO_DELIVERY: _("Deliver it to me instead"),
    CustomerChoice.KEEP_WAITING: _("I will keep waiting"),
    CustomerChoice.CANCEL: _("Cancel my order"),
}

#: How a line the customer has answered for shows its answer.
ANSWER_LABELS = {
    CustomerChoice.WAIT: _("You chose to wait"),
    CustomerChoice.REFUND: _("You chose a refund"),
    CustomerChoice.SUBSTITUTE: _("You chose a substitute"),
}

#: What the page says when a choice cannot be recorded, by the domain's reason.
REFUSALS = {
    Refusal.NOT_OFFERED: _(
        "This item does not need an answer from you, or that choice is not available for it. "
        "Your order page shows what happens next."
    ),
    Refusal.ALREADY_ANSWERED: _(
        "We already have your answer to this. Your order page shows what happens next."
    ),
    Refusal.ALREADY_EXTENDED: _(
        "The pickup deadline can be extended only once, and it already was. You can still ask us to "
        "deliver it instead."
    ),
    Refusal.ALREADY_SHIPPED: _(
        "Your order can no longer be cancelled: part of it has already left us. Your order page shows "
        "where it is."
    ),
}


def _choice_label(choice: CustomerChoice, offer: Offer, zone: ZoneInfo) -> str:
    label = str(CHOICE_LABELS[choice])
    if choice is CustomerChoice.SUBSTITUTE:
        return label % {"substitute": offer.substitute}
    if choice is CustomerChoice.EXTEND_PICKUP and offer.new_deadline is not None:
        return label % {"date": format_when(offer.new_deadline, zone)}
    return label


def _legend(offer: Offer, state: OrderState, zone: ZoneInfo) -> str:
    line = state.lines.get(offer.line_id) if offer.line_id else None
    if offer.situation is Situation.ITEM_UNAVAILABLE:
        title = _title(line, offer.line_id) if line is not None else offer.line_id
        return gettext("What would you like us to do about %(item)s?") % {"item": title}
    if offer.situation is Situation.PICKUP_NOT_COLLECTED and offer.deadline is not None:
        # Named: an order with two items waiting shows one form per item, and they must differ.
        title = _title(line, offer.line_id) if line is not None else offer.line_id
        return gettext("Cannot collect %(item)s by %(deadline)s?") % {
            "item": title,
            "deadline": format_when(offer.deadline, zone),
        }
    return gettext(
        "Your order is taking longer than we promised. Would you like to keep waiting or cancel it?"
    )


def choice_views(offers: Sequence[Offer], state: OrderState, zone: ZoneInfo) -> list[dict[str, Any]]:
    """One form per offer the domain makes now: its question and buttons (call with the language
    active)."""
    return [
        {
            "subject": offer.subject,
            "situation": offer.situation.value,
            "legend": _legend(offer, state, zone),
            "options": [
                {"value": choice.value, "label": _choice_label(choice, offer, zone)}
                for choice in offer.choices
            ],
        }
        for offer in offers
    ]
