"""Stock for exchanges: a replacement is offered only when the store has it.

The store feeds its stock per SKU (and per product variant, for platforms whose lines name the
variant but not its SKU); :class:`StockLevels` is that feed as data. A replacement nobody fed
stock for is taken to be available: a store that sends no inventory keeps today's behaviour, and
one that does gets refusals only for what it said is out of stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["StockLevels"]


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
