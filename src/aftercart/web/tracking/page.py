"""The tracking page's whole context (:func:`tracking_context`) and its next-step block as HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import FulfilmentStatus
from aftercart.kernel.i18n import zone_name
from aftercart.orders.customer_choices import order_options
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.web.branding import brand_theme, store_view
from aftercart.web.language import order_zone, supported_language
from aftercart.web.tracking.choices import choice_views
from aftercart.web.tracking.parcels import _shipment_order, line_views, shipment_view
from aftercart.web.tracking.step import _title, step_view
from aftercart.web.tracking.window import window_view


def tracking_context(
    order: Order,
    now: datetime,
    language: str,
    *,
    state: OrderState | None = None,
    step: NextStep | None = None,
) -> dict[str, Any]:
    """Everything the tracking page shows for ``order`` at ``now`` in ``language``.

    Projects the order fresh from its facts unless ``state`` and ``step`` are given. Strings are
    translated here; datetimes stay aware and the template shows them in ``zone``.
    """
    if state is None or step is None:
        state, step = order_view(order, now)
    store = order.store
    zone = order_zone(state, store)
    shop = store_view(store, state.number or order.number)
    with translation.override(language):
        step_ctx = step_view(step, state, shop["support"], zone)
        shipments = sorted(state.shipments.values(), key=_shipment_order)
        views = [shipment_view(s, state, now, f"parcel-{i}", zone) for i, s in enumerate(shipments, start=1)]
        for index, view in enumerate(views, start=1):
            view["position"], view["total"] = index, len(views)
        focus_index = next((i for i, s in enumerate(shipments) if s.key == step.shipment_key), None)
        focus = views.pop(focus_index) if focus_index is not None else None
        lines = [row for ln in state.lines.values() for row in line_views(ln)]
        # Items waiting at a pickup point have left the warehouse: not "not shipped yet".
        pickup_lines = [row for row in lines if row["pickup"]]
        lines = [row for row in lines if not row["pickup"]]
        choices = choice_views(order_options(order=order, state=state, now=now), state, zone)
        window = window_view(order, state, step, now)
        zone_label = zone_name(zone)
        cancelled = [
            {"title": _title(ln, ln.line_id), "variant": ln.variant, "quantity": ln.quantity}
            for ln in state.lines.values()
            if ln.status is FulfilmentStatus.CANCELLED
        ]
    return {
        "language": language,
        "zone": zone.key,
        "zone_name": zone_label,
        "store": shop,
        "theme": brand_theme(store.branding),
        "order_number": state.number or order.number,
        "placed_at": state.placed_at,
        "cancelled_at": state.cancelled_at,
        "step": step_ctx,
        "focus_shipment": focus,
        "other_shipments": views,
        "open_lines": lines,
        "pickup_lines": pickup_lines,
        "choices": choices,
        "window": window,
        "cancelled_lines": cancelled,
    }


def render_next_step_html(order: Order, now: datetime | None = None, language: str = "") -> str:
    """The next-step block of the tracking page as HTML, for cross-channel consistency tests."""
    now = now or timezone.now()
    state, step = order_view(order, now)
    language = supported_language(language or state.locale or order.store.default_locale) or "en"
    context = tracking_context(order, now, language, state=state, step=step)
    with translation.override(language):
        return render_to_string("web/track/_next_step.html", context)
