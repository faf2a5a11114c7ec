"""Returns and exchanges: the store's versioned policy, the judgement of a request, the money
(allocation, fees, bonuses) and the return's lifecycle. Pure: no Django, no I/O.

Modules: :mod:`~.policy` (the store's rules), :mod:`~.request` (what a request is judged on),
:mod:`~.judge` (:func:`judge_return`: eligibility and review), :mod:`~.offers` (what each resolution
gives back), :mod:`~.decision` (the verdict), :mod:`~.settlement` (totals of the chosen
resolutions), :mod:`~.money`, :mod:`~.stock`, :mod:`~.other_products`, :mod:`~.lifecycle` and :mod:`~.notices`. The names
below are the package's public interface: import them from here."""

from aftercart.domain.returns.decision import LineDecision, Note, Offer, OfferKind, ReturnDecision
from aftercart.domain.returns.judge import format_day, judge_return
from aftercart.domain.returns.money import allocate, quantize, unit_share
from aftercart.domain.returns.other_products import (
    KnownProduct,
    OtherProducts,
    exchange_products,
    other_product_note,
)
from aftercart.domain.returns.policy import (
    STORE_FAULT_REASONS,
    Bonus,
    Condition,
    ExchangeRules,
    HolidayWindow,
    PolicyError,
    Reason,
    ReturnMethod,
    ReturnPolicy,
)
from aftercart.domain.returns.request import (
    CustomerHistory,
    ExchangeTarget,
    LineAmounts,
    OrderForReturn,
    PaidLine,
    RequestedLine,
    allocate_order_amounts,
)
from aftercart.domain.returns.settlement import SettleError, Settlement, settle
from aftercart.domain.returns.stock import KnownVariant, StockLevels, exchange_variants

__all__ = [
    "STORE_FAULT_REASONS",
    "Bonus",
    "Condition",
    "CustomerHistory",
    "ExchangeRules",
    "ExchangeTarget",
    "HolidayWindow",
    "KnownProduct",
    "KnownVariant",
    "LineAmounts",
    "LineDecision",
    "Note",
    "Offer",
    "OfferKind",
    "OrderForReturn",
    "OtherProducts",
    "PaidLine",
    "PolicyError",
    "Reason",
    "RequestedLine",
    "ReturnDecision",
    "ReturnMethod",
    "ReturnPolicy",
    "SettleError",
    "Settlement",
    "StockLevels",
    "allocate",
    "allocate_order_amounts",
    "exchange_products",
    "exchange_variants",
    "format_day",
    "judge_return",
    "other_product_note",
    "quantize",
    "settle",
    "unit_share",
]
