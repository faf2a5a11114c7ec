"""What a return request is judged on: the order's paid lines (:class:`PaidLine`, with their
allocated :class:`LineAmounts`), the lines asked for (:class:`RequestedLine`, perhaps with an
:class:`ExchangeTarget`) and the customer's :class:`CustomerHistory`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from aftercart.domain.returns.money import ZERO, allocate, quantize
from aftercart.domain.returns.policy import Condition, Reason


@dataclass(frozen=True)
class LineAmounts:
    """What one order line cost in all, after allocation: ``merchandise`` (after discounts),
    ``tax`` and ``shipping``."""

    merchandise: Decimal
    tax: Decimal = ZERO
    shipping: Decimal = ZERO

    @property
    def paid(self) -> Decimal:
        """Everything paid for the line."""
        return self.merchandise + self.tax + self.shipping


def allocate_order_amounts(
    gross: Sequence[Decimal],
    *,
    currency: str,
    discount: Decimal = ZERO,
    tax: Decimal = ZERO,
    shipping: Decimal = ZERO,
) -> list[LineAmounts]:
    """Spread order-level discount, tax and shipping over lines whose ``gross`` (unit price ×
    quantity) is known. The discount goes by gross, tax and shipping by the discounted value, each
    with the largest remainder so every column adds up exactly to the order's figure."""
    gross = [quantize(g, currency) for g in gross]
    discounts = allocate(min(discount, sum(gross, ZERO)), gross, currency)
    merchandise = [g - d for g, d in zip(gross, discounts, strict=True)]
    taxes = allocate(tax, merchandise, currency)
    shippings = allocate(shipping, merchandise, currency)
    return [
        LineAmounts(merchandise=m, tax=t, shipping=s)
        for m, t, s in zip(merchandise, taxes, shippings, strict=True)
    ]


@dataclass(frozen=True)
class PaidLine:
    """One order line as the policy sees it."""

    line_id: str
    quantity: int
    amounts: LineAmounts
    sku: str = ""
    product_id: str = ""
    variant: str = ""
    title: str = ""
    category: str = ""
    tags: frozenset[str] = frozenset()
    #: Units already in earlier (not cancelled or rejected) returns.
    returned_quantity: int = 0
    #: Units never sent (unavailable, cancelled): they cannot come back.
    unsent_quantity: int = 0
    delivered_at: datetime | None = None
    #: The price one unit sold for (before discounts): what another product's price is compared
    #: with under the store's rule for other-product exchanges. ``None``: not known.
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class OrderForReturn:
    """The order a return is requested on."""

    currency: str
    placed_at: datetime
    lines: tuple[PaidLine, ...]


@dataclass(frozen=True)
class ExchangeTarget:
    """What the shopper wants instead: a variant of the same product or another product, at
    ``unit_price`` each."""

    product_id: str
    variant: str
    unit_price: Decimal
    sku: str = ""
    #: What the replacement is called (another product's title), kept with the return for the
    #: shopper's page and the exchange order; "" for another variant of the line's own product.
    title: str = ""


@dataclass(frozen=True)
class RequestedLine:
    """One line the shopper wants to send back."""

    line_id: str
    quantity: int
    reason: Reason
    condition: Condition = Condition.NEW_WITH_TAGS
    exchange_for: ExchangeTarget | None = None


@dataclass(frozen=True)
class CustomerHistory:
    """What the customer did before: when they returned, and how many of their orders they
    returned something from."""

    return_times: tuple[datetime, ...] = ()
    orders: int = 0
    orders_with_returns: int = 0
