"""Opening an order from the portal's signed link (the tracking page's token), and the frame
every portal page shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import link_expired, read_tracking_token
from aftercart.web.language import choose_language, order_zone
from aftercart.web.pages import page_frame, private, render_page


@dataclass
class Opened:
    """The order behind a portal link, or the response to send instead."""

    order: Order | None = None
    state: OrderState | None = None
    # Looked up at each call (not bound once), so that tests can set the clock.
    now: datetime = field(default_factory=lambda: timezone.now())
    language: str = "en"
    problem: HttpResponse | None = None


def open_order(request: HttpRequest, token: str) -> Opened:
    """Read the signed link: a forged, tampered or revoked one gets a clear page (404), an
    expired one 410, and nothing is written either way."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        page = render_page(request, "web/returns/link_problem.html", context, language, status=404)
        return Opened(problem=private(page), language=language)
    opened = Opened(order=order)
    state = order_view(order, opened.now)[0]
    opened.state = state
    opened.language = choose_language(request, state=state, store=order.store)
    if link_expired(order, state, opened.now):
        context = page_frame(request, order.store, opened.language, reason="expired")
        page = render_page(request, "web/returns/link_problem.html", context, opened.language, status=410)
        opened.problem = private(page)
    return opened


def frame(request: HttpRequest, opened: Opened, token: str, **extra: Any) -> dict[str, Any]:
    assert opened.order is not None and opened.state is not None
    order = opened.order
    context = page_frame(request, order.store, opened.language, **extra)
    context.update(
        {
            "token": token,
            "order_number": opened.state.number or order.number,
            "tracking_url": reverse("web:track-order", kwargs={"token": token}),
            "start_url": reverse("web:returns-start", kwargs={"token": token}),
            "zone": order_zone(opened.state, order.store).key,
        }
    )
    return context
