"""``/ops/settings/shopify``: connect the store's Shopify shop with an Admin API access token
(webhooks registered on submit) and watch the backfill of its recent orders. The progress bar is a
fragment that posts back to ``.../step`` while the backfill runs: each post records one page (up to
250 orders) and answers the fragment again, so the progress is the record's, and closing the tab
pauses a backfill that the next visit (or ``aftercart shopify backfill --resume``) continues."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercart.integrations.shopify.admin_api import ShopifyApiError
from aftercart.orders.shopify_connect import (
    DEFAULT_BACKFILL_DAYS,
    ConnectRefused,
    shopify_backfill_resume,
    shopify_backfill_start,
    shopify_backfill_step,
    shopify_connect,
    webhook_address,
)
from aftercart.stores.models import ShopifyConnection
from aftercart.web.ops.common import chosen_store


def _back(slug: str) -> HttpResponse:
    return redirect(f"{reverse('web:ops-shopify')}?store={slug}")


@staff_member_required
def shopify_page(request: HttpRequest) -> HttpResponse:
    stores, store = chosen_store(request)
    connection = ShopifyConnection.objects.filter(store=store).first() if store else None
    return render(
        request,
        "web/ops/shopify.html",
        {
            "stores": stores,
            "store": store,
            "connection": connection,
            "address": webhook_address(store) if store else "",
            "days": DEFAULT_BACKFILL_DAYS,
        },
    )


@require_POST
@staff_member_required
def shopify_connect_view(request: HttpRequest) -> HttpResponse:
    _, store = chosen_store(request)
    if store is None:
        return redirect("web:ops-settings")
    now = timezone.now()
    try:
        result = shopify_connect(
            store=store,
            shop=request.POST.get("shop", ""),
            access_token=request.POST.get("token", ""),
            webhook_secret=request.POST.get("secret", ""),
            now=now,
        )
    except ConnectRefused as refused:
        messages.error(request, f"Not connected: {refused}")
        return _back(store.slug)
    messages.success(
        request,
        f"Connected {result.connection.shop}: {len(result.created)} webhook(s) registered, "
        f"{len(result.existing)} already there.",
    )
    if request.POST.get("backfill", "on") == "on":
        try:
            days = int(request.POST.get("days", DEFAULT_BACKFILL_DAYS))
        except ValueError:
            days = DEFAULT_BACKFILL_DAYS
        try:
            shopify_backfill_start(store=store, now=now, days=days)
        except ShopifyApiError as failed:
            messages.error(request, f"Backfill not started: {failed}")
    return _back(store.slug)


@require_POST
@staff_member_required
def shopify_backfill_view(request: HttpRequest) -> HttpResponse:
    """Start again (``days``) or resume a failed backfill (``resume``)."""
    _, store = chosen_store(request)
    if store is None or not ShopifyConnection.objects.filter(store=store).exists():
        return redirect("web:ops-settings")
    try:
        if request.POST.get("resume"):
            shopify_backfill_resume(store=store)
        else:
            days = int(request.POST.get("days", DEFAULT_BACKFILL_DAYS) or DEFAULT_BACKFILL_DAYS)
            shopify_backfill_start(store=store, now=timezone.now(), days=days)
    except (ShopifyApiError, ValueError) as failed:
        messages.error(request, f"Backfill not started: {failed}")
    return _back(store.slug)


@require_POST
@staff_member_required
def shopify_step(request: HttpRequest) -> HttpResponse:
    """One page of the running backfill; answers the progress fragment."""
    _, store = chosen_store(request)
    connection = ShopifyConnection.objects.filter(store=store).first() if store else None
    if connection is None or store is None:
        return HttpResponse(status=404)
    connection = shopify_backfill_step(store=store, now=timezone.now())
    return render(request, "web/ops/_shopify_progress.html", {"connection": connection, "store": store})
