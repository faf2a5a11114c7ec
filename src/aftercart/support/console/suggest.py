"""The reply the console suggests: the order's next step as the tracking page words it, and its
signed tracking link, in the customer's language.

Customer-facing words: the greeting, the framing sentences and the sign-off are gettext messages
(translated in ``locale/``); the step itself comes from the presenter, the one wording every
touchpoint shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.notifications.links import tracking_url
from aftercart.orders.models import Order

__all__ = ["Suggestion", "reply_language", "suggest_reply"]


@dataclass(frozen=True)
class Suggestion:
    """A drafted reply, its language and the link it carries."""

    text: str
    language: str
    link: str


def _supported(code: str | None) -> str | None:
    if not code or len(code) > 32:
        return None
    try:
        return translation.get_supported_language_variant(translation.to_language(code.strip()))
    except (LookupError, ValueError):
        return None


def reply_language(*candidates: str | None) -> str:
    """The first of ``candidates`` (the conversation's language, the order's locale, the store's
    default) that the site speaks, else the site's default."""
    for code in candidates:
        language = _supported(code)
        if language:
            return language
    return str(settings.LANGUAGE_CODE)


def suggest_reply(
    *, order: Order, state: OrderState, step: NextStep, language: str, customer_name: str = ""
) -> Suggestion:
    """A reply about ``order`` in ``language``: greeting, the next step (headline and detail, as
    the tracking page shows them), the tracking link, the store's sign-off."""
    link = tracking_url(order)
    zone = customer_zone(state, order.store.timezone)
    name = (customer_name or state.customer_name or "").strip().split(" ")[0]
    number = order.number or order.external_id
    with translation.override(language):
        shown = present(step, zone)
        greeting = gettext("Hello %(name)s,") % {"name": name} if name else gettext("Hello,")
        parts = [
            greeting,
            gettext("Thank you for your message about order %(number)s.") % {"number": number},
            " ".join(x for x in (shown.headline, shown.detail) if x),
            gettext("You can follow your order at any time here: %(link)s") % {"link": link},
            gettext("Kind regards,") + "\n" + order.store.name,
        ]
    return Suggestion("\n\n".join(parts), language, link)
