"""Exchanges for another product: the store's rule (:class:`OtherProducts`, the policy's
``exchange.other_products``), the one check of a replacement against it
(:func:`other_product_note`, which the judgement applies) and the candidates the portal offers
(:func:`exchange_products`), chosen from what the store is known to sell.

Kept apart from :mod:`~.policy` (which holds the rule as data) so that the policy module stays the
policy's shape; this module reads the policy only through its methods, and imports it for types
only (the policy imports :class:`OtherProducts` from here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from aftercart.domain.returns.decision import Note
from aftercart.domain.returns.stock import StockLevels

if TYPE_CHECKING:
    from aftercart.domain.returns.policy import ReturnPolicy

__all__ = ["KnownProduct", "OtherProducts", "exchange_products", "other_product_note"]


@dataclass(frozen=True)
class OtherProducts:
    """Which other products a line may be exchanged for: of its own category (``same_category``;
    categories as :meth:`ReturnPolicy.category_of` has them), priced within ``price_band`` percent
    of the line's unit price either way (0: the same price). The difference is the exchange's
    charge or difference back, as for any replacement."""

    same_category: bool = True
    price_band: Decimal = Decimal(0)


@dataclass(frozen=True)
class KnownProduct:
    """A product (one variant of it) the store is known to sell, at the price it last sold for."""

    product_id: str
    variant: str
    unit_price: Decimal
    sku: str = ""
    title: str = ""


def other_product_note(
    policy: ReturnPolicy,
    *,
    category: str,
    unit_price: Decimal | None,
    product_id: str,
    sku: str,
    price: Decimal,
) -> Note | None:
    """Why the store's rule refuses another product (``product_id``/``sku`` at ``price`` each) as
    the replacement of a line of ``category`` sold at ``unit_price``, or ``None`` when it allows
    it. Without a rule (``exchange.other_products`` unset) any product is allowed. An unknown
    category or line price never matches a rule that asks for them: the rule cannot be shown to
    hold."""
    rule = policy.exchange.other_products
    if rule is None:
        return None
    theirs = policy.category_of(product_id=product_id, sku=sku)
    if theirs and theirs in policy.exchange.excluded_categories:
        return Note("no_exchange", "this item cannot be exchanged")
    if rule.same_category and (not category or theirs != category):
        return Note("other_category", "exchanges are only for products of the same category")
    if unit_price is None or abs(price - unit_price) > unit_price * rule.price_band / 100:
        return Note("price_band", "the replacement's price is outside the store's range")
    return None


def exchange_products(
    known: Iterable[KnownProduct],
    stock: StockLevels,
    *,
    policy: ReturnPolicy,
    product_id: str,
    category: str,
    unit_price: Decimal | None,
    quantity: int = 1,
    limit: int = 4,
) -> list[KnownProduct]:
    """The other products a line (of ``product_id`` and ``category``, sold at ``unit_price``) may
    be exchanged for ``quantity`` units of, by the store's rule (:func:`other_product_note`, the
    judgement's check): at most ``limit``, closest in price first, then by title. One per product
    variant; those the stock feed says it lacks are left out, unknown stock counting as available
    (:meth:`StockLevels.has`, as for variants). None without a rule or when exchanges are off."""
    rules = policy.exchange
    if not (rules.enabled and rules.other_product) or rules.other_products is None:
        return []
    if category and category in rules.excluded_categories:
        return []
    chosen: dict[tuple[str, str], KnownProduct] = {}
    for item in known:
        if not item.product_id or item.product_id == product_id:
            continue  # the line's own product: its variants are another card
        key = (item.product_id, item.variant)
        if key in chosen:
            continue
        refused = other_product_note(
            policy,
            category=category,
            unit_price=unit_price,
            product_id=item.product_id,
            sku=item.sku,
            price=item.unit_price,
        )
        if refused is None and stock.has(
            product_id=item.product_id, variant=item.variant, sku=item.sku, quantity=quantity
        ):
            chosen[key] = item
    near = unit_price if unit_price is not None else Decimal(0)
    ranked = sorted(
        chosen.values(), key=lambda p: (abs(p.unit_price - near), p.title, p.product_id, p.variant)
    )
    return ranked[:limit]
