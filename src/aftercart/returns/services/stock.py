"""Stock for exchanges: the store's inventory feed (through the API) and Shopify's stock
webhooks set the levels that exchanges are judged against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aftercart.integrations.shopify.inventory import LocationLevel, VariantStock
from aftercart.orders.services import inbound_delivery_record
from aftercart.returns.models import StockLevel
from aftercart.stores.models import Store


@dataclass(frozen=True)
class StockItem:
    """One stock figure from a feed: by ``sku``, or by ``product_id`` and ``variant``."""

    available: int
    sku: str = ""
    product_id: str = ""
    variant: str = ""


@transaction.atomic
def stock_set(*, store: Store, items: Sequence[StockItem], now: datetime | None = None) -> int:
    """Set the store's stock of each item (a batch from its inventory feed); the last figure for an
    item wins. Returns how many items were set."""
    now = now or timezone.now()
    latest: dict[tuple[str, str, str], StockItem] = {}
    for item in items:
        key = (item.sku, "", "") if item.sku else ("", item.product_id, item.variant)
        latest[key] = item
    for (sku, product_id, variant), item in latest.items():
        lookup: dict = {"sku": sku} if sku else {"sku": "", "product_id": product_id, "variant": variant}
        extra = {"product_id": item.product_id, "variant": item.variant} if sku else {}
        StockLevel.objects.update_or_create(
            store=store, **lookup, defaults={"available": item.available, "updated_at": now, **extra}
        )
    return len(latest)


@dataclass(frozen=True)
class StockFeedResult:
    """What one Shopify stock webhook changed: rows ``updated``; levels older than the stored one
    of their location (``stale``); items counted by nobody (``untracked``: Shopify does not track
    them, or a new variant came without a count); levels of ``unknown_items`` (no product webhook
    named them yet)."""

    updated: int = 0
    stale: int = 0
    untracked: int = 0
    unknown_items: tuple[str, ...] = ()


@transaction.atomic
def stock_shopify_webhook_record(
    *,
    store: Store,
    delivery_id: str,
    topic: str,
    variants: Sequence[VariantStock] = (),
    level: LocationLevel | None = None,
) -> tuple[bool, StockFeedResult]:
    """Record a Shopify stock webhook (a product's variants, or one location's level) and its
    delivery together. Returns (is_new, result); a delivery id seen before changes nothing."""
    is_new, _ = inbound_delivery_record(
        store=store, source="shopify", delivery_id=delivery_id, topic=topic, facts=()
    )
    if not is_new:
        return False, StockFeedResult()
    if level is not None:
        return True, _stock_level_set(store, level)
    return True, _stock_variants_set(store, variants)


def _stock_variants_set(store: Store, variants: Sequence[VariantStock]) -> StockFeedResult:
    """Name each variant's row (SKU, product, variant title, inventory item). Its count comes from
    ``inventory_quantity`` only while no location has reported a level for it: once one has, the
    per-location levels are the finer figure and the product's total would undo them."""
    updated = untracked = 0
    for v in variants:
        key = {"sku": v.sku} if v.sku else {"sku": "", "product_id": v.product_id, "variant": v.variant}
        row = StockLevel.objects.filter(store=store, inventory_item_id=v.inventory_item_id).first()
        keyed = StockLevel.objects.filter(store=store, **key).first()
        if row is None:
            row = keyed
        elif keyed is not None and keyed.pk != row.pk:
            # Another row holds the name this item now has (set through the API, or a renamed
            # SKU): the shop says the name is this item's, so one row keeps it.
            keyed.delete()
        if row is None:
            if v.available is None:
                untracked += 1  # never counted: left unknown, so exchanges for it stay possible
                continue
            row = StockLevel(store=store, available=v.available, updated_at=v.updated_at)
        elif v.available is not None and not row.by_location and v.updated_at >= row.updated_at:
            row.available, row.updated_at = v.available, v.updated_at
        row.sku, row.product_id, row.variant = v.sku, v.product_id, v.variant
        row.inventory_item_id = v.inventory_item_id
        row.save()
        updated += 1
    return StockFeedResult(updated=updated, untracked=untracked)


def _stock_level_set(store: Store, level: LocationLevel) -> StockFeedResult:
    """Set one location's count of an item; ``available`` becomes the sum over its locations. A
    level older than the one stored for its location is ignored (webhooks arrive out of order)."""
    row = (
        StockLevel.objects.select_for_update()
        .filter(store=store, inventory_item_id=level.inventory_item_id)
        .first()
    )
    if row is None:
        # Nothing to attach it to; the product webhook that names the item brings its total.
        return StockFeedResult(unknown_items=(level.inventory_item_id,))
    if level.available is None:
        return StockFeedResult(untracked=1)
    stored = row.by_location.get(level.location_id)
    if stored and datetime.fromisoformat(stored["updated_at"]) > level.updated_at:
        return StockFeedResult(stale=1)
    row.by_location = {
        **row.by_location,
        level.location_id: {"available": level.available, "updated_at": level.updated_at.isoformat()},
    }
    row.available = sum(int(loc["available"]) for loc in row.by_location.values())
    row.updated_at = max(row.updated_at, level.updated_at)
    row.save(update_fields=["by_location", "available", "updated_at"])
    return StockFeedResult(updated=1)
