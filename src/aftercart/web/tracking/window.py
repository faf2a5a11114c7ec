"""The tracking page's delivery window, learned from the store's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext

from aftercart.domain.next_step import NextStep, StepCode
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.orders.windows import delivery_window, learning_from, learning_text, share_text

#: Steps that show the learned delivery window: the order or its parcel is still on its way.
_WINDOW_STEPS = frozenset(
    {
        StepCode.AWAITING_FULFILMENT,
        StepCode.BEING_PREPARED,
        StepCode.PARTIALLY_SHIPPED,
        StepCode.SHIPPED,
        StepCode.STALLED,
        StepCode.DELAYED,
        StepCode.LATE_TO_SHIP,
    }
)


def window_view(order: Order, state: OrderState, step: NextStep, now: datetime) -> dict[str, Any] | None:
    """The delivery window learned from the store's history, as the page shows it (call with the
    language active), or ``None``."""
    if step.code not in _WINDOW_STEPS:
        return None
    window = delivery_window(order, state, now)
    if window is None:
        learned = learning_from(order.store)
        if learned is None:
            return None
        # A young store says why it shows no window rather than passing a carrier's date off as
        # exact; the worker switches it to learned windows once it has enough deliveries.
        return {"learning": True, "text": learning_text(learned)}
    return {
        "earliest": window.earliest,
        "latest": window.latest,
        "text": gettext("Expected between %(earliest)s and %(latest)s")
        % {
            "earliest": formats.date_format(window.earliest, "DATE_FORMAT"),
            "latest": formats.date_format(window.latest, "DATE_FORMAT"),
        },
        "share": round(window.share * 100),
        "explanation": share_text(window),
    }
