"""Server-rendered pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from aftercart.domain.arrival import arrived_at
from aftercart.domain.next_step import ActionCode
from aftercart.domain.options import ChoiceRefused, Situation
from aftercart.domain.projection.state import OrderState
from aftercart.feedback.selectors import tracking_feedback
from aftercart.orders.customer_choices import customer_choice_record
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import (
    link_days_after_delivery,
    link_expired,
    read_tracking_token,
)
from aftercart.returns.portal import order_returnable
from aftercart.stores.models import Store
from aftercart.web.claims.tracking import claims_on_tracking_page
from aftercart.web.language import choose_language, language_links
from aftercart.web.lookup import lookup_page
from aftercart.web.pages import page_frame, private, render_page, see_other
from aftercart.web.returns.status import returns_for_tracking
from aftercart.web.tracking.choices import REFUSALS
from aftercart.web.tracking.page import tracking_context


def home(request: HttpRequest) -> HttpResponse:
    """The front door of an installation: what is here and where to go."""
    return render(request, "web/home.html", {"stores": Store.objects.all()[:20]})


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """``/track``: find an order by its number and the e-mail address or postal code it was placed
    with, then go to its signed tracking link. Every kind of miss gets the same answer."""
    return lookup_page(request, template="web/track/lookup.html", destination="web:track-order")


@never_cache
@require_safe
def track_order(request: HttpRequest, token: str) -> HttpResponse:
    """``/t/<token>``: one order's tracking page; 404 for a forged or revoked link, 410 once the
    link has expired."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        return private(render_page(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state, step = order_view(order, now)
    language = choose_language(request, state=state, store=order.store)
    if link_expired(order, state, now):
        context = page_frame(
            request, order.store, language, reason="expired", days=link_days_after_delivery()
        )
        return private(render_page(request, "web/track/link_problem.html", context, language, status=410))
    context = tracking_context(order, now, language, state=state, step=step)
    context["languages"] = language_links(request, language)
    _returns_on_tracking_page(context, order, state, token, language, now)
    claims_on_tracking_page(context, order, token, language, now)
    context["choice_url"] = reverse("web:track-choice", kwargs={"token": token})
    context["contact_url"] = reverse("web:track-contact", kwargs={"token": token})
    with translation.override(language):  # after delivery: the survey and the store's placements
        context.update(
            tracking_feedback(order, state, now=now, action=reverse("web:feedback", kwargs={"token": token}))
        )
    answered = request.GET.get("answered", "")
    context["answered"] = answered in ("1", *(s.value for s in Situation))
    context["answered_line"] = answered in ("1", Situation.ITEM_UNAVAILABLE.value)
    return private(render_page(request, "web/track/order.html", context, language))


@never_cache
@csrf_protect
@require_POST
def track_choice(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /t/<token>/choices``: the customer's answer to an exception on their order (an
    unavailable item, a pickup not collected in time, an order late and not yet shipped).

    ``subject`` names what the answer is about (``line:<id>``, a shipment, or "" for the order;
    ``line`` is accepted for a line) and ``choice`` the answer. The domain checks it against what is
    on offer now; a valid one is a ``customer.choice`` fact in the ledger (keyed so that a double
    submit changes nothing), then back to the page (303), which shows the answer and the next step
    that follows from it. A stale or invalid answer writes nothing and says why (400).
    """
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        return private(render_page(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state = order_view(order, now)[0]
    language = choose_language(request, state=state, store=order.store)
    if link_expired(order, state, now):
        context = page_frame(
            request, order.store, language, reason="expired", days=link_days_after_delivery()
        )
        return private(render_page(request, "web/track/link_problem.html", context, language, status=410))
    page_url = reverse("web:track-order", kwargs={"token": token})
    subject = str(request.POST.get("subject", ""))[:200]
    if "line" in request.POST:
        subject = f"line:{str(request.POST.get('line', ''))[:128]}"
    choice = str(request.POST.get("choice", ""))[:32]
    try:
        recorded = customer_choice_record(
            order=order, state=state, subject=subject, choice=choice, source="tracking_page", now=now
        )
    except ChoiceRefused as refused:
        context = page_frame(request, order.store, language, page_url=page_url)
        with translation.override(language):
            context["problem"] = str(REFUSALS[refused.reason])
        return private(render_page(request, "web/track/choice_problem.html", context, language, status=400))
    situation = recorded.offer.situation
    answered = "1" if situation is Situation.ITEM_UNAVAILABLE else situation.value
    return private(see_other(f"{page_url}?{urlencode({'answered': answered})}"))


def _returns_on_tracking_page(
    context: dict[str, Any], order: Order, state: OrderState, token: str, language: str, now: datetime
) -> None:
    """The order's returns (linked to their pages) and, while anything can still come back, the
    way into the returns portal: the next step's "start a return" goes there instead of e-mail."""
    context["returns"] = returns_for_tracking(order, token, language)
    if arrived_at(state) is None or not order_returnable(order, state, now):
        return
    url = reverse("web:returns-start", kwargs={"token": token})
    offered = False
    for action in context["step"]["actions"]:
        if action["code"] == ActionCode.START_RETURN.value:
            action["href"], offered = url, True
    if not offered:  # the next step is about something else (another parcel): a link of its own
        context["returns_url"] = url
