"""Money for returns: ``Decimal`` in the order's currency, rounded to its minor unit, and exact
allocation of order-level amounts (tax, discounts, shipping, fees, bonuses) over lines.

Allocation uses the largest-remainder method in minor units, so the parts always add up to the
total to the cent: a refund computed line by line can never drift from what the order charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["ZERO", "allocate", "minor_exponent", "quantize", "unit_share"]

ZERO = Decimal(0)

#: ISO 4217 currencies whose minor unit is not the cent (everything else has two decimals).
_EXPONENTS = {
    **{
        c: 0
        for c in (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        )
    },
    **{c: 3 for c in ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")},
}


def minor_exponent(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return _EXPONENTS.get((currency or "").upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded (half to even, as accountants do) to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_exponent(currency)), rounding=ROUND_HALF_EVEN)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` over ``weights`` in proportion, in whole minor units, summing exactly to
    ``total`` (rounded to the currency). Largest remainder: every part first gets the floor of its
    exact share, then the units left over go to the largest remainders (ties: the earlier part).
    All-zero (or no positive) weights split evenly. A negative total is split as its magnitude."""
    if not weights:
        return []
    exponent = minor_exponent(currency)
    unit = Decimal(1).scaleb(-exponent)
    total = quantize(total, currency)
    sign = -1 if total < 0 else 1
    units = int(abs(total).scaleb(exponent))
    clean = [w if w > 0 else ZERO for w in weights]
    if sum(clean) <= 0:
        clean = [Decimal(1)] * len(weights)
    weight_sum = sum(clean)
    exact = [Decimal(units) * w / weight_sum for w in clean]
    floors = [int(e) for e in exact]  # exact >= 0, so int() is the floor
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(n) * unit for n in floors]


def unit_share(paid: Decimal, quantity: int, start: int, count: int, currency: str) -> Decimal:
    """What units ``start .. start+count`` of a line of ``quantity`` units cost, out of ``paid``.

    Cumulative floors (``cum(k) = floor(paid·k/quantity)``, ``cum(quantity) = paid``) make
    successive partial returns of one line add up to exactly what the line cost, never more.
    """
    if quantity <= 0 or count <= 0:
        return ZERO
    exponent = minor_exponent(currency)
    units = int(quantize(paid, currency).scaleb(exponent))

    def cum(k: int) -> int:
        k = max(0, min(k, quantity))
        return units if k == quantity else (units * k) // quantity

    return Decimal(cum(start + count) - cum(start)) * Decimal(1).scaleb(-exponent)
