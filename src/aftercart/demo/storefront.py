"""``/demo/thank-you/<store>``: a demo shop's own thank-you page, with the order-confirmation
widget embedded exactly as docs/widget.md tells a store to (the loader script, its ``<noscript>``
iframe), under the strict Content-Security-Policy a careful shop sends: scripts and frames from
Aftercart's public address only, no inline script.

It stands for the store's site, so it is a page of the demo shops only (any other slug is a 404),
for their most recent order still being prepared (``?order=<order id>`` for another one).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from aftercart.demo.services import DEMO_SLUGS
from aftercart.domain.widget import site_origin
from aftercart.kernel.csp import HEADER, policy
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.stores.models import Store

#: A thank-you page is for an order just placed: the freshest of these makes the best example.
_FRESH_STEPS = ("awaiting_fulfilment", "being_prepared")


@never_cache
@require_safe
def thank_you(request: HttpRequest, store: str) -> HttpResponse:
    """The demo shop's thank-you page for one of its orders, the widget embedded."""
    shop = Store.objects.filter(slug=store, slug__in=DEMO_SLUGS).first()
    if shop is None:
        raise Http404("Only the demo shops have a demo thank-you page.")
    orders = Order.objects.filter(store=shop)
    wanted = request.GET.get("order", "")[:128]
    order = (
        orders.filter(external_id=wanted).first()
        if wanted
        else orders.filter(next_step__in=_FRESH_STEPS).order_by("-placed_at").first()
        or orders.order_by("-placed_at").first()
    )
    if order is None:
        raise Http404("This demo shop has no orders yet: run aftercart demo.")
    base = str(settings.AFTERCART_BASE_URL).rstrip("/")
    path = reverse("web:widget", kwargs={"store": shop.slug, "token": make_tracking_token(order)})
    others = [s for s in Store.objects.filter(slug__in=DEMO_SLUGS).order_by("name") if s.pk != shop.pk]
    response = render(
        request,
        "demo/thank_you.html",
        {
            "store": shop,
            "order": order,
            "widget_path": path,
            "widget_url": base + path,
            "script_url": base + static("aftercart/widget.js"),
            "others": others,
        },
    )
    # The shop's own policy, not ours: Aftercart's address is allowed to run its loader and fill
    # the frame, nothing else is (and nothing inline but this page's nonce'd styles).
    aftercart = site_origin(base) or "'self'"
    nonce = request.csp_nonce  # type: ignore[attr-defined]
    response[HEADER] = policy(nonce, overrides={"script-src": aftercart, "frame-src": aftercart})
    return response
