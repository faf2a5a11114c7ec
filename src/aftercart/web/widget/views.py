"""``/w/<store>/…``: the order-confirmation widget, framed by the store's own site.

- ``GET /w/<store>/<token>``: the widget for the order the signed tracking token names;
- ``GET /w/<store>/shopify/<order id>/<hmac>``: the same, from Shopify's order status page;
- ``POST /w/<store>/<token>/sms``: the SMS opt-in (no JavaScript needed), then back (303).

A link that names no order of this store gets a short page saying why (404; 410 once the order's
links have expired) and nothing is written. Every answer about a known store may be framed by
that store's site origins and no other; an unknown store's answer by nobody.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from aftercart.domain.messaging import Channel
from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.domain.widget import site_origin
from aftercart.kernel.csp import csp_frame_ancestors
from aftercart.notifications.models import PreferenceSource
from aftercart.notifications.preferences import ChannelWish, preferences_save
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import link_expired
from aftercart.orders.widget_links import (
    WidgetMiss,
    WidgetRead,
    widget_order_by_shopify,
    widget_order_by_token,
)
from aftercart.stores.models import Store
from aftercart.stores.selectors import store_by_slug
from aftercart.web.branding import brand_theme, store_view
from aftercart.web.language import choose_language
from aftercart.web.pages import private, render_page, see_other
from aftercart.web.preferences import channel_sections
from aftercart.web.widget.consent import form_read
from aftercart.web.widget.context import widget_context

#: What the widget says when a link names no order of the store (and its status code).
PROBLEMS: dict[str, tuple[Any, int]] = {
    WidgetMiss.INVALID: (
        _("This order link is not valid. Your order confirmation e-mail has a link to your order."),
        404,
    ),
    WidgetMiss.OTHER_STORE: (_("This order was not placed with %(store)s."), 404),
    WidgetMiss.UNKNOWN: (
        _("We have not received this order yet. Reload this page in a minute or two to follow it."),
        404,
    ),
    "expired": (_("This order link has expired. Please contact us if you need help with this order."), 410),
    "no_store": (_("There is no such store."), 404),
}
SMS_PROBLEMS = {
    "consent": _("Tick the box to agree to text messages, then sign up."),
    "stale": _("This form has expired. Please tick the box and sign up again."),
}


@never_cache
@require_safe
def widget_page(request: HttpRequest, store: str, token: str) -> HttpResponse:
    """The widget for the order a signed tracking token names."""
    shop = store_by_slug(store)
    if shop is None:
        return _problem(request, None, "no_store")
    return _widget(request, shop, widget_order_by_token(shop, token))


@never_cache
@require_safe
def widget_shopify(request: HttpRequest, store: str, order_id: str, digest: str) -> HttpResponse:
    """The widget from Shopify's order status page: the order id and Liquid's ``hmac_sha256`` of
    it under the store's widget secret."""
    shop = store_by_slug(store)
    if shop is None:
        return _problem(request, None, "no_store")
    return _widget(request, shop, widget_order_by_shopify(shop, order_id, digest))


@never_cache
@csrf_exempt  # bound to the order by its token and a signed field instead: see widget/consent.py
@require_POST
def widget_sms(request: HttpRequest, store: str, token: str) -> HttpResponse:
    """The SMS opt-in: an explicit tick recorded as the customer's consent (source ``widget``,
    with the language of the wording they read), then back to the widget, which says so."""
    shop = store_by_slug(store)
    if shop is None:
        return _problem(request, None, "no_store")
    read = widget_order_by_token(shop, token)
    order = read.order
    if order is None:
        return _problem(request, shop, read.miss or WidgetMiss.INVALID)
    now = timezone.now()
    state, step = order_view(order, now)
    language = choose_language(request, state=state, store=shop, explicit=request.POST.get("lang", ""))
    if link_expired(order, state, now):
        return _problem(request, shop, "expired", language)
    section = next((s for s in channel_sections(order, state) if s.channel is Channel.SMS), None)
    shown = form_read(str(request.POST.get("form", "")), order.public_id)
    if section is None or shown is None:
        # The form is old, forged or another order's (or the store stopped texting): ask again.
        return _sms_refused(request, shop, order, (state, step), language, "stale")
    if request.POST.get("consent") != "yes":
        return _sms_refused(request, shop, order, (state, step), language, "consent")
    preferences_save(
        store_id=shop.pk,
        order_id=order.pk,
        state=state,
        wishes=[ChannelWish(channel=Channel.SMS, address=section.address, receiving=True)],
        source=PreferenceSource.WIDGET,
        detail=f"order confirmation widget, wording in {shown.language}",
        now=now,
    )
    page = reverse("web:widget", kwargs={"store": shop.slug, "token": token})
    return _framed(see_other(f"{page}?{urlencode({'lang': language, 'sms': 'on'})}"), shop)


def _sms_refused(
    request: HttpRequest,
    store: Store,
    order: Order,
    view: tuple[OrderState, NextStep],
    language: str,
    problem: str,
) -> HttpResponse:
    """The widget again (400), its form saying what to do; nothing was written."""
    context = widget_context(order, view[0], view[1], timezone.now(), language)
    with translation.override(language):
        context["sms_problem"] = str(SMS_PROBLEMS[problem])
    return _framed(render_page(request, "web/widget/frame.html", context, language, status=400), store)


def _widget(request: HttpRequest, store: Store, read: WidgetRead) -> HttpResponse:
    order = read.order
    if order is None:
        return _problem(request, store, read.miss or WidgetMiss.INVALID)
    now = timezone.now()
    state, step = order_view(order, now)
    language = choose_language(request, state=state, store=store)
    if link_expired(order, state, now):
        return _problem(request, store, "expired", language)
    context = widget_context(order, state, step, now, language)
    context["sms_saved"] = request.GET.get("sms") == "on"
    return _framed(render_page(request, "web/widget/frame.html", context, language), store)


def _problem(request: HttpRequest, store: Store | None, reason: str, language: str = "") -> HttpResponse:
    language = language or choose_language(request, store=store)
    text, status = PROBLEMS[reason]
    with translation.override(language):
        message = (
            str(text) % {"store": store.name} if reason == WidgetMiss.OTHER_STORE and store else str(text)
        )
    context = {
        "language": language,
        "store": store_view(store),
        "theme": brand_theme(store.branding if store else None),
        "problem": message,
        "reason": str(reason),
    }
    return _framed(render_page(request, "web/widget/problem.html", context, language, status=status), store)


def _framed(response: HttpResponse, store: Store | None) -> HttpResponse:
    """Private (the URL is a key), and frameable by the store's own site alone."""
    # Checked again here: a value typed into the database by hand must not widen the policy.
    origins = [o for o in (site_origin(str(v)) for v in (store.widget_origins or [] if store else [])) if o]
    return private(csp_frame_ancestors(response, origins))
