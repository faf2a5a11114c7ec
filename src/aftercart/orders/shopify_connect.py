"""Connecting a store's Shopify shop by its Admin API access token: register the webhooks the
ingest understands (pointing at this Aftercart), then backfill the recent orders and their
fulfillments through the ledger, one page at a time.

The backfill's progress lives in the store's :class:`~aftercart.stores.models.ShopifyConnection`
(total, done, the next page's URL): :func:`shopify_backfill_step` fetches and records one page and
moves the cursor, so the CLI loops it with a progress bar and the back office calls it once per
poll of its progress bar; stopped anywhere, it resumes at the page it was on. Facts are idempotent
(``shopify:order:<id>:placed`` ...): a page recorded twice, or an order a webhook already brought,
adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from aftercart.integrations.shopify.admin_api import ShopifyAdmin, ShopifyApiError, shop_base
from aftercart.integrations.shopify.parse import TOPICS, ShopifyError, parse_rest
from aftercart.orders.services import facts_record
from aftercart.stores.models import ShopifyConnection, Store

#: How far back a backfill reaches unless told otherwise.
DEFAULT_BACKFILL_DAYS = 60

#: Makes the client; tests and the CLI may pass another (a stand-in's base URL is a shop too).
ClientFactory = Callable[[ShopifyConnection], ShopifyAdmin]


def client_for(connection: ShopifyConnection) -> ShopifyAdmin:
    return ShopifyAdmin(connection.shop, connection.access_token, connection.api_version)


class ConnectRefused(ValueError):
    """The shop or token was not accepted (nothing saved)."""


def webhook_address(store: Store) -> str:
    """Where Shopify posts this store's webhooks."""
    return settings.AFTERCART_BASE_URL.rstrip("/") + reverse("webhook-shopify", args=[store.slug])


@dataclass(frozen=True)
class ConnectResult:
    connection: ShopifyConnection
    created: list[str]
    existing: list[str]


def shopify_connect(
    *,
    store: Store,
    shop: str,
    access_token: str,
    webhook_secret: str = "",
    now: datetime,
    client: ClientFactory = client_for,
) -> ConnectResult:
    """Save the shop and token, and subscribe every topic the ingest understands (those already
    subscribed at the same address are kept, not duplicated). ``webhook_secret`` is the app's API
    secret key Shopify signs webhooks with (saved as the store's Shopify webhook secret).
    :class:`ConnectRefused` when the shop is not a shop or Shopify refuses the token."""
    try:
        shop_base(shop)
    except ValueError as wrong:
        raise ConnectRefused(str(wrong)) from None
    if not access_token.strip():
        raise ConnectRefused("the Admin API access token is required (shpat_...)")
    connection = ShopifyConnection.objects.filter(store=store).first() or ShopifyConnection(store=store)
    connection.shop = shop.strip().lower().rstrip("/")
    connection.access_token = access_token.strip()
    api = client(connection)
    address = webhook_address(store)
    try:
        existing = {(w.get("topic"), w.get("address")): w for w in api.webhooks()}
        created: list[str] = []
        kept: list[str] = []
        hooks = []
        for topic in sorted(TOPICS):
            hook = existing.get((topic, address))
            if hook is None:
                hook = api.webhook_create(topic=topic, address=address)
                created.append(topic)
            else:
                kept.append(topic)
            hooks.append({"id": hook.get("id"), "topic": topic, "address": address})
    except ShopifyApiError as refused:
        raise ConnectRefused(str(refused)) from None
    with transaction.atomic():
        connection.webhooks = hooks
        connection.connected_at = now
        connection.save()
        if webhook_secret.strip():
            store.shopify_webhook_secret = webhook_secret.strip()[:200]
            store.save(update_fields=["shopify_webhook_secret"])
    return ConnectResult(connection, created, kept)


def shopify_backfill_start(
    *, store: Store, now: datetime, days: int = DEFAULT_BACKFILL_DAYS, client: ClientFactory = client_for
) -> ShopifyConnection:
    """Start (or restart) the backfill of the orders of the last ``days`` days: counts them and
    sets the cursor at the first page. ``ShopifyApiError`` if Shopify cannot count."""
    connection = ShopifyConnection.objects.get(store=store)
    since = now - timedelta(days=max(1, min(days, 3650)))
    api = client(connection)
    total = api.orders_count(since=since)
    connection.backfill_status = ShopifyConnection.Status.RUNNING
    connection.backfill_since = since
    connection.backfill_total = total
    connection.backfill_done = 0
    connection.backfill_facts = 0
    connection.backfill_cursor = api.orders_first_url(since=since)
    connection.backfill_error = ""
    connection.backfill_started_at = now
    connection.backfill_finished_at = None
    connection.save()
    return connection


def shopify_backfill_step(
    *, store: Store, now: datetime, client: ClientFactory = client_for
) -> ShopifyConnection:
    """Fetch and record the next page of the running backfill, then move the cursor (or finish).
    A failure is kept on the record (``failed``, with the error) and the cursor stays, so a
    restart of the step retries the same page."""
    connection = ShopifyConnection.objects.select_related("store").get(store=store)
    if connection.backfill_status != ShopifyConnection.Status.RUNNING or not connection.backfill_cursor:
        return connection
    api = client(connection)
    try:
        page = api.page(connection.backfill_cursor)
        facts = parse_rest(page.body)
    except (ShopifyApiError, ShopifyError) as failed:
        connection.backfill_status = ShopifyConnection.Status.FAILED
        connection.backfill_error = str(failed)[:500]
        connection.save(update_fields=["backfill_status", "backfill_error"])
        return connection
    orders = page.body.get("orders")
    with transaction.atomic():
        result = facts_record(store=connection.store, facts=facts, now=now) if facts else None
        connection.backfill_done += len(orders) if isinstance(orders, list) else 0
        connection.backfill_facts += result.accepted if result else 0
        connection.backfill_cursor = page.next_url
        if not page.next_url:
            connection.backfill_status = ShopifyConnection.Status.DONE
            connection.backfill_finished_at = now
            connection.backfill_total = max(connection.backfill_total, connection.backfill_done)
        connection.save()
    return connection


def shopify_backfill_resume(*, store: Store) -> ShopifyConnection:
    """Put a failed backfill back to running at the page it failed on."""
    connection = ShopifyConnection.objects.get(store=store)
    if connection.backfill_status == ShopifyConnection.Status.FAILED and connection.backfill_cursor:
        connection.backfill_status = ShopifyConnection.Status.RUNNING
        connection.backfill_error = ""
        connection.save(update_fields=["backfill_status", "backfill_error"])
    return connection
