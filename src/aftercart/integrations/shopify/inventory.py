"""Shopify stock webhooks → stock figures for exchanges. Pure: no Django, no I/O.

Topics handled (``X-Shopify-Topic``), none of them a fact of the order ledger:

``products/create``, ``products/update``
    One :class:`VariantStock` per variant: how the store names it (SKU, product id, variant
    title as order lines spell it), its ``inventory_item_id`` and, when Shopify tracks it, the
    total ``inventory_quantity`` over all locations.
``inventory_levels/update``
    One :class:`LocationLevel`: units ``available`` of an inventory item at one location. The
    body names no SKU; the item is known from an earlier product webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aftercart.integrations.shopify.parse import (
    ShopifyPayloadError,
    _id,
    _list,
    _mapping,
    _text,
    _time,
)

__all__ = [
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCT_TOPICS",
    "STOCK_TOPICS",
    "LocationLevel",
    "VariantStock",
    "parse_inventory_level",
    "parse_product",
]

PRODUCTS_CREATE = "products/create"
PRODUCTS_UPDATE = "products/update"
INVENTORY_LEVELS_UPDATE = "inventory_levels/update"

PRODUCT_TOPICS = frozenset({PRODUCTS_CREATE, PRODUCTS_UPDATE})
#: The webhook topics that feed the store's stock rather than the order ledger.
STOCK_TOPICS = PRODUCT_TOPICS | {INVENTORY_LEVELS_UPDATE}

#: The title Shopify gives the only variant of a product without options; order lines of such a
#: product carry no ``variant_title``, so the variant is stored as "" to match them.
DEFAULT_VARIANT_TITLE = "Default Title"


@dataclass(frozen=True)
class VariantStock:
    """One product variant as a product webhook describes it. ``available`` is ``None`` when the
    body gives no count: Shopify does not track the variant's stock, or leaves the field out."""

    inventory_item_id: str
    product_id: str
    variant: str
    sku: str
    available: int | None
    updated_at: datetime


@dataclass(frozen=True)
class LocationLevel:
    """Units of one inventory item available at one location, as of ``updated_at``. ``available``
    is ``None`` when Shopify does not track the item (its documented value then)."""

    inventory_item_id: str
    location_id: str
    available: int | None
    updated_at: datetime


def parse_product(payload: Any) -> list[VariantStock]:
    """The variants of a ``products/create`` or ``products/update`` body."""
    product = _mapping(payload, "body")
    product_id = _id(product, "id", "id")
    updated_at = _time(product, ("updated_at", "created_at"), "")
    variants = []
    for index, raw in enumerate(_list(product, "variants", "variants")):
        path = f"variants[{index}]"
        variant = _mapping(raw, path)
        title = _text(variant, "title", f"{path}.title")
        variants.append(
            VariantStock(
                inventory_item_id=_id(variant, "inventory_item_id", f"{path}.inventory_item_id"),
                product_id=product_id,
                # Order lines name a variant by its title (``variant_title``): the same string
                # here is what lets the portal offer this variant in exchange for that line.
                variant="" if title == DEFAULT_VARIANT_TITLE else title,
                sku=_text(variant, "sku", f"{path}.sku"),
                available=_tracked_quantity(variant, path),
                updated_at=updated_at,
            )
        )
    return variants


def parse_inventory_level(payload: Any) -> LocationLevel:
    """The level in an ``inventory_levels/update`` body."""
    level = _mapping(payload, "body")
    return LocationLevel(
        inventory_item_id=_id(level, "inventory_item_id", "inventory_item_id"),
        location_id=_id(level, "location_id", "location_id"),
        available=_count(level.get("available"), "available"),
        updated_at=_time(level, ("updated_at",), ""),
    )


def _tracked_quantity(variant: Mapping[str, Any], path: str) -> int | None:
    # ``inventory_management: null`` means Shopify does not count this variant: its
    # ``inventory_quantity`` (0) says nothing about the shelf, and must not read as "sold out".
    if "inventory_management" in variant and not variant["inventory_management"]:
        return None
    return _count(variant.get("inventory_quantity"), f"{path}.inventory_quantity")


def _count(value: Any, path: str) -> int | None:
    """A unit count; negative is allowed (Shopify oversells a variant that continues selling)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShopifyPayloadError(path, "must be an integer")
    return value
