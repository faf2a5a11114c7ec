"""What the widget shows: the tracking page's next step, window and branding, in brief, plus the
SMS opt-in. Nothing here decides anything: the presenter words the next step, the window comes
from the learned delivery model, the opt-in from the preference page's own channel sections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import translation

from aftercart.domain.messaging import Channel
from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.web.branding import brand_theme, store_view
from aftercart.web.language import order_zone
from aftercart.web.preferences import channel_sections, mask
from aftercart.web.tracking.step import step_view
from aftercart.web.tracking.window import window_view
from aftercart.web.widget.consent import form_stamp


def widget_context(
    order: Order, state: OrderState, step: NextStep, now: datetime, language: str
) -> dict[str, Any]:
    """Everything the widget shows for ``order`` at ``now`` in ``language``."""
    store = order.store
    zone = order_zone(state, store)
    number = state.number or order.number
    shop = store_view(store, number)
    token = make_tracking_token(order)
    with translation.override(language):
        shown = step_view(step, state, shop["support"], zone)
        window = window_view(order, state, step, now)
    return {
        "language": language,
        "store": shop,
        "theme": brand_theme(store.branding),
        "order_number": number,
        "step": shown,
        "window": window,
        "tracking_href": reverse("web:track-order", kwargs={"token": token}),
        "sms": _sms_view(order, state, token, language),
    }


def _sms_view(order: Order, state: OrderState, token: str, language: str) -> dict[str, Any] | None:
    """The opt-in, when the store texts this customer's number (the preference page's SMS
    section: a number on the order and SMS in the store's journey); ``None`` otherwise."""
    section = next((s for s in channel_sections(order, state) if s.channel is Channel.SMS), None)
    if section is None:
        return None
    return {
        "receiving": section.receiving,
        "address": mask(Channel.SMS, section.address),
        "action": reverse("web:widget-sms", kwargs={"store": order.store.slug, "token": token}),
        "stamp": form_stamp(order.public_id, language),
    }
