"""The helpdesk sidebar: what a Zendesk or Gorgias agent sees beside a ticket — the requester's
orders, each one's next step and tracking link, and what is open about it (exception cases,
returns, conversations) — as an embeddable page and as JSON.

No login: the URL is signed with the store's sidebar secret (HMAC-SHA256 over the canonical query,
with an expiry), made by the helpdesk app's server side (docs/support-console.md, "Helpdesk
sidebar"). The page may be framed by the store's helpdesk origins only (its Zendesk and Gorgias
base URLs in its support settings), like the order widget is by the store's own site.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from aftercart.domain.contacts import email_key
from aftercart.domain.widget import site_origin
from aftercart.exceptions.models import OrderException
from aftercart.kernel.csp import csp_frame_ancestors
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.notifications.links import base_url, tracking_url
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.returns.models import Return
from aftercart.stores.models import Store
from aftercart.support.models import Channel, Conversation, SupportSettings

__all__ = ["MAX_LIFETIME", "sidebar_query", "sidebar_secret", "sidebar_signature"]

#: A signed URL may live at most this long (seconds): a link that leaks stops working soon.
MAX_LIFETIME = 24 * 3600
#: Most orders the sidebar lists (newest first).
MAX_ORDERS = 10
_SIGNED = ("email", "expires", "store", "ticket")


def sidebar_secret(store: Store) -> str:
    """The store's sidebar secret (hex), derived from the site's secret key and the store: shown
    to staff on ``/ops/support/sidebar-setup``, pasted into the helpdesk app's secure settings."""
    return salted_hmac(
        "aftercart.support.sidebar", f"store:{store.pk}:{store.slug}", algorithm="sha256"
    ).hexdigest()


def _canonical(params: dict[str, str]) -> str:
    return urlencode(sorted((k, params.get(k, "")) for k in _SIGNED))


def sidebar_signature(secret: str, params: dict[str, str]) -> str:
    """HMAC-SHA256 (hex) of the canonical query: ``email``, ``expires``, ``store``, ``ticket``
    sorted by name and form-encoded (missing ones empty)."""
    return hmac.new(secret.encode(), _canonical(params).encode(), hashlib.sha256).hexdigest()


def sidebar_query(store: Store, *, email: str = "", ticket: str = "", lifetime: int = 3600) -> str:
    """A signed query string for ``store`` (what the helpdesk app's server makes)."""
    params = {
        "store": store.slug,
        "email": email,
        "ticket": ticket,
        "expires": str(int(time.time()) + lifetime),
    }
    params["sig"] = sidebar_signature(sidebar_secret(store), params)
    return urlencode(params)


def _bearer(request: HttpRequest, store: Store) -> bool | None:
    """``None`` without an ``Authorization: Bearer`` header; else whether it is the store's secret
    (a helpdesk's server-side proxy sends it: Zendesk's secure settings, a Gorgias HTTP integration)."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return hmac.compare_digest(header[7:].strip().encode(), sidebar_secret(store).encode())


def _verified(request: HttpRequest, slug: str) -> tuple[Store | None, str]:
    store = Store.objects.filter(slug=slug).first()
    if store is not None:
        bearer = _bearer(request, store)
        if bearer is not None:
            return (store, "") if bearer else (None, "bad key")
    params = {k: str(request.GET.get(k, ""))[:300] for k in (*_SIGNED, "sig")}
    if store is None or params["store"] != slug:
        return None, "unknown store"
    expected = sidebar_signature(sidebar_secret(store), params)
    if not hmac.compare_digest(expected, params["sig"].lower()):
        return None, "bad signature"
    try:
        expires = int(params["expires"])
    except ValueError:
        return None, "bad expiry"
    now = int(time.time())
    if expires < now:
        return None, "expired"
    if expires > now + MAX_LIFETIME:
        return None, "expiry too far ahead"
    return store, ""


def _open_items(order: Order) -> list[dict[str, str]]:
    items = [
        {"kind": "case", "label": case.kind.replace("_", " "), "since": case.opened_at.isoformat()}
        for case in OrderException.objects.filter(order=order, resolved_at__isnull=True).order_by("opened_at")
    ]
    items += [
        {
            "kind": "return",
            "label": f"return {ret.rma} {ret.status.replace('_', ' ')}",
            "since": ret.created_at.isoformat(),
        }
        for ret in Return.objects.filter(order=order).exclude(
            status__in=("resolved", "rejected", "cancelled")
        )
    ]
    items += [
        {
            "kind": "conversation",
            "label": f"{c.get_channel_display()}: {c.get_state_display()}",
            "since": c.created_at.isoformat(),
        }
        for c in Conversation.objects.filter(order=order).exclude(state=Conversation.State.RESOLVED)
    ]
    return items


def sidebar_data(store: Store, *, email: str, ticket: str) -> dict[str, Any]:
    """The requester's orders in ``store`` with their next step, tracking link and open items."""
    now = timezone.now()
    orders: list[Order] = []
    if ticket:
        thread = (
            Conversation.objects.filter(
                store=store, channel__in=(Channel.ZENDESK, Channel.GORGIAS), external_id=ticket
            )
            .select_related("order")
            .first()
        )
        if thread is not None and thread.order is not None:
            orders.append(thread.order)
            email = email or thread.customer_email
    key = email_key(email)
    if key:
        orders += list(
            Order.objects.filter(store=store, email=key).order_by("-placed_at", "-pk")[:MAX_ORDERS]
        )
    seen: set[int] = set()
    out = []
    for order in orders:
        if order.pk in seen:
            continue
        seen.add(order.pk)
        order.store = store
        state, step = order_view(order, now)
        shown = present(step, customer_zone(state, store.timezone))
        out.append(
            {
                "number": order.number or order.external_id,
                "id": order.external_id,
                "placed_at": order.placed_at.isoformat() if order.placed_at else None,
                "stage": state.stage.value,
                "next_step": {"code": shown.code, "headline": shown.headline, "detail": shown.detail},
                "tracking_url": tracking_url(order),
                "console_url": f"{base_url()}/ops/support/orders/{order.pk}",
                "open": _open_items(order),
            }
        )
    return {"store": store.slug, "email": key, "ticket": ticket, "orders": out[:MAX_ORDERS]}


def _origins(store: Store) -> list[str]:
    settings = SupportSettings.objects.filter(store=store).first()
    if settings is None:
        return []
    found = (site_origin(settings.zendesk_base_url), site_origin(settings.gorgias_base_url))
    return [o for o in found if o]


def _refused(reason: str, as_json: bool) -> HttpResponse:
    if as_json:
        return JsonResponse(
            {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": reason},
            status=403,
            content_type="application/problem+json",
        )
    return HttpResponse(f"This sidebar link is not valid ({reason}).", status=403, content_type="text/plain")


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_safe
def sidebar_page(request: HttpRequest, store: str) -> HttpResponse:
    """The sidebar as a page the helpdesk frames."""
    shop, reason = _verified(request, store)
    if shop is None:
        return _private(_refused(reason, as_json=False))
    data = sidebar_data(shop, email=request.GET.get("email", ""), ticket=request.GET.get("ticket", ""))
    response = render(request, "support/console/sidebar.html", {"data": data, "store": shop})
    return _private(csp_frame_ancestors(response, _origins(shop)))


@never_cache
@require_safe
def sidebar_json(request: HttpRequest, store: str) -> HttpResponse:
    """The sidebar's data as JSON (a helpdesk app that draws its own)."""
    shop, reason = _verified(request, store)
    if shop is None:
        return _private(_refused(reason, as_json=True))
    data = sidebar_data(shop, email=request.GET.get("email", ""), ticket=request.GET.get("ticket", ""))
    return _private(JsonResponse(data))


@never_cache
@require_safe
def sidebar_sign(request: HttpRequest, store: str) -> HttpResponse:
    """For a helpdesk app whose code runs in the agent's browser (Zendesk): its server-side proxy
    sends the store's secret as a bearer key with the requester's ``email`` and ``ticket``, and gets
    back the sidebar's URLs signed for ten minutes, for its iframe — the secret never reaches the
    browser."""
    shop = Store.objects.filter(slug=store).first()
    if shop is None or not _bearer(request, shop):
        return _private(
            _refused("send the store's sidebar secret as 'Authorization: Bearer <secret>'", as_json=True)
        )
    query = sidebar_query(
        shop,
        email=str(request.GET.get("email", ""))[:254],
        ticket=str(request.GET.get("ticket", ""))[:100],
        lifetime=600,
    )
    page = f"{base_url()}/ops/support/sidebar/{shop.slug}?{query}"
    return _private(
        JsonResponse({"url": page, "json_url": f"{base_url()}/ops/support/sidebar/{shop.slug}.json?{query}"})
    )


@staff_member_required
def sidebar_setup(request: HttpRequest) -> HttpResponse:
    """Staff: each store's sidebar secret, the origins that may frame it, and a link signed now."""
    rows = [
        {
            "store": s,
            "secret": sidebar_secret(s),
            "origins": _origins(s),
            "sample": f"{base_url()}/ops/support/sidebar/{s.slug}?{sidebar_query(s, email='customer@example.com')}",
        }
        for s in Store.objects.order_by("slug")
    ]
    return render(request, "support/console/sidebar_setup.html", {"rows": rows})
