"""Stock for exchanges: a replacement is offered only when the store has it.

The store feeds its stock per SKU (and per product variant, for platforms whose lines name the
variant but not its SKU); :class:`StockLevels` is that feed as data. A replacement nobody fed
stock for is taken to be available: a store that sends no inventory keeps today's behaviour, and
one that does gets refusals only for what it said is out of stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["KnownVariant", "StockLevels", "exchange_variants"]


@dataclass(frozen=True)
class StockLevels:
    """Units available, by SKU and by (product id, variant)."""

    by_sku: Mapping[str, int] = field(default_factory=dict)
    by_variant: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def available(self, *, product_id: str, variant: str, sku: str = "") -> int | None:
        """Units available of the item (``None``: the store never said). The SKU wins over the
        variant when both are known, since it is what warehouses count."""
        if sku and sku in self.by_sku:
            return max(0, self.by_sku[sku])
        if (product_id, variant) in self.by_variant:
            return max(0, self.by_variant[(product_id, variant)])
        return None

    def has(self, *, product_id: str, variant: str, sku: str = "", quantity: int = 1) -> bool:
        """Whether ``quantity`` units can be promised."""
        units = self.available(product_id=product_id, variant=variant, sku=sku)
        return units is None or units >= quantity


@dataclass(frozen=True)
class KnownVariant:
    """A variant of a product the store is known to sell (from its stock feed or its orders)."""

    product_id: str
    variant: str
    sku: str = ""


def exchange_variants(
    known: Iterable[KnownVariant],
    stock: StockLevels,
    *,
    product_id: str,
    variant: str,
    quantity: int = 1,
) -> list[KnownVariant]:
    """The other variants of the line's product (``product_id``, its own ``variant``)
    a shopper may exchange ``quantity`` units for: one per variant name, in name order, leaving out
    the line's own and those the store said it lacks (variants are told apart by name, never by
    SKU: some shops give all of a product's variants one SKU). Unknown stock counts as available — the
    rule :meth:`StockLevels.has` applies, the one the inventory API documents and the judgement
    uses — so a store that sends no feed still offers every variant it has sold."""
    by_name: dict[str, list[KnownVariant]] = {}
    for item in sorted(set(known), key=lambda k: (k.variant, k.sku)):
        # Another variant of the same product, as the judgement has it: a shop whose SKUs name
        # the product rather than the size (one SKU, several variants) still offers its sizes.
        if item.product_id == product_id and item.variant and item.variant != variant:
            by_name.setdefault(item.variant, []).append(item)
    offered = []
    for items in by_name.values():
        # A variant known both from the feed and from orders that did not name its SKU: the
        # figure the store gave decides, then a SKU (what warehouses count).
        counted = [
            i
            for i in items
            if stock.available(product_id=i.product_id, variant=i.variant, sku=i.sku) is not None
        ]
        item = (counted or [i for i in items if i.sku] or items)[0]
        if stock.has(product_id=item.product_id, variant=item.variant, sku=item.sku, quantity=quantity):
            offered.append(item)
    return offered
