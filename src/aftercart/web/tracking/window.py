"""The tracking page's delivery window, learned from the store's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext

from aftercart.domain.next_step import NextStep, StepCode
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.orders.windows import delivery_window

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
        return None
    return {
        "earliest": window.earliest,
        "latest": window.latest,
        "text": gettext("Expected between %(earliest)s and %(latest)s")
        % {
            "earliest": formats.date_format(window.earliest, "DATE_FORMAT"),
            "latest": formats.date_format(window.latest, "DATE_FORMAT"),
        },
        "share": round(window.share * 100),
    }
