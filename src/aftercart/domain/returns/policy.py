"""A store's return policy as versioned, immutable data.

The policy is plain JSON-able data (stored per version, edited in the admin and the API) turned
into frozen dataclasses by :meth:`ReturnPolicy.from_dict`, which names the offending field when the
data is wrong. A return keeps the version it was judged under, so changing the policy never
changes a decision already made. Amounts are strings in JSON (``"5.00"``) and ``Decimal`` here;
percentages are numbers of percent (``"10"`` is 10 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aftercart.domain.returns.other_products import OtherProducts

__all__ = [
    "STORE_FAULT_REASONS",
    "Bonus",
    "Condition",
    "ExchangeRules",
    "HolidayWindow",
    "PolicyError",
    "Reason",
    "ReturnMethod",
    "ReturnPolicy",
]


class PolicyError(ValueError):
    """The policy data is invalid; ``field`` names where (``"bonus.store_credit.percent"``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Reason(StrEnum):
    """Why the shopper sends an item back (structured, so the data says why things come back)."""

    SIZE_TOO_SMALL = "size_too_small"
    SIZE_TOO_LARGE = "size_too_large"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    CHANGED_MIND = "changed_mind"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


#: Reasons that are the store's fault: condition rules and the return fee do not apply, and the
#: original shipping is refunded when ``refund_shipping`` is ``"store_fault"``.
STORE_FAULT_REASONS = frozenset({Reason.NOT_AS_DESCRIBED, Reason.DAMAGED, Reason.DEFECTIVE})


class ReturnMethod(StrEnum):
    """How the items go back: a prepaid (or printable) ``label`` on a parcel, a box-free
    ``dropoff`` with a QR code at a carrier's counter, or handed over ``in_store``."""

    LABEL = "label"
    DROPOFF = "dropoff"
    IN_STORE = "in_store"


#: Offered when the policy says nothing: a label, or a box-free drop-off (no shop needed).
DEFAULT_METHODS = frozenset({ReturnMethod.LABEL, ReturnMethod.DROPOFF})


class Condition(StrEnum):
    """The state the shopper says the item is in."""

    NEW_WITH_TAGS = "new_with_tags"
    UNWORN = "unworn"
    USED = "used"
    DAMAGED = "damaged"


#: Accepted when the policy says nothing: as sold, or tried on without wearing.
DEFAULT_CONDITIONS = frozenset({Condition.NEW_WITH_TAGS, Condition.UNWORN})


@dataclass(frozen=True)
class HolidayWindow:
    """Orders placed between ``placed_from`` and ``placed_to`` (inclusive) may be returned until
    ``return_by`` at least (the usual window still applies when it ends later)."""

    placed_from: date
    placed_to: date
    return_by: date


@dataclass(frozen=True)
class Bonus:
    """Extra value for choosing store credit or an exchange: ``flat`` + ``percent`` of the
    returned value, at most ``cap`` (per return). All zero: no bonus."""

    flat: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)
    cap: Decimal | None = None

    def amount(self, value: Decimal) -> Decimal:
        """The bonus on ``value`` (unrounded; the caller rounds to the currency)."""
        if value <= 0:
            return Decimal(0)
        bonus = self.flat + value * self.percent / 100
        return min(bonus, self.cap) if self.cap is not None else bonus


@dataclass(frozen=True)
class ExchangeRules:
    """Which exchanges are offered and what happens to a price difference."""

    enabled: bool = True
    #: Another variant (size, colour) of the same product.
    same_product: bool = True
    #: A different product; the difference is charged, or given back as ``difference_to``.
    other_product: bool = True
    #: Where a cheaper replacement's difference goes: ``"refund"`` or ``"store_credit"``.
    difference_to: str = "refund"
    #: Categories never exchanged (e.g. ``"gift-cards"``).
    excluded_categories: frozenset[str] = frozenset()
    #: Instant exchange: the replacement is released as soon as the carrier first scans the
    #: returned parcel, not after the warehouse has inspected it.
    instant: bool = False
    #: The store's rule for other products. ``None``: any product is accepted when asked for by
    #: name (the API), and the portal, having no rule to pick them by, offers none.
    other_products: OtherProducts | None = None


@dataclass(frozen=True)
class ReturnPolicy:
    """One version of a store's return policy. See ``docs/returns.md`` for the JSON format."""

    version: int = 1
    #: Days from delivery; ``category_windows`` overrides per category.
    window_days: int = 30
    category_windows: Mapping[str, int] = field(default_factory=dict)
    holiday_windows: tuple[HolidayWindow, ...] = ()
    #: Whose calendar the deadline is a day in.
    timezone: str = "UTC"
    final_sale_tags: frozenset[str] = frozenset()
    final_sale_categories: frozenset[str] = frozenset()
    final_sale_skus: frozenset[str] = frozenset()
    #: At most this many units of one line per return, and per return in all (``None``: no limit).
    max_units_per_line: int | None = None
    max_units_per_return: int | None = None
    #: Conditions accepted unless the reason is the store's fault; per-category overrides.
    accepted_conditions: frozenset[Condition] = DEFAULT_CONDITIONS
    category_conditions: Mapping[str, frozenset[Condition]] = field(default_factory=dict)
    #: A flat fee per return, deducted from refunds; waived for exchanges / store credit as set.
    return_fee: Decimal = Decimal(0)
    fee_waived_for_exchange: bool = True
    fee_waived_for_store_credit: bool = False
    #: Percent of the line's value kept on refunds, per category.
    restocking_fees: Mapping[str, Decimal] = field(default_factory=dict)
    #: Whether the original shipping paid is refunded: ``"never"``, ``"store_fault"``, ``"always"``.
    refund_shipping: str = "store_fault"
    exchange: ExchangeRules = field(default_factory=ExchangeRules)
    store_credit_enabled: bool = True
    bonus_store_credit: Bonus = field(default_factory=Bonus)
    bonus_exchange: Bonus = field(default_factory=Bonus)
    #: Lines worth at most this much (what was paid for the returned units) are refunded or
    #: credited without being sent back (``None``: never).
    keep_it_max_value: Decimal | None = None
    #: Days the shopper has to send the item back once the return is approved.
    ship_back_days: int = 14
    #: How items may go back (see :class:`ReturnMethod`).
    methods: frozenset[ReturnMethod] = DEFAULT_METHODS
    #: Where returns go: the address lines printed on the label.
    return_address: tuple[str, ...] = ()
    #: Where in-store returns go (a store's name and address, the desk): what the shopper is told.
    in_store_location: tuple[str, ...] = ()
    #: Abuse limits: more than ``max_returns`` in ``period_days``, or a return rate (returned
    #: orders / orders) above ``max_return_rate`` once ``min_orders`` orders exist → manual review.
    max_returns: int | None = None
    period_days: int = 365
    max_return_rate: Decimal | None = None
    min_orders: int = 3
    #: Categories and tags by product id or SKU, for orders whose lines do not carry them (most
    #: platforms send neither with an order).
    product_categories: Mapping[str, str] = field(default_factory=dict)
    product_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)

    # -- decisions that depend only on the policy -------------------------------------------

    def category_of(self, *, product_id: str, sku: str, given: str = "") -> str:
        """The item's category: as the order says, else from the policy's catalogue."""
        return given or self.product_categories.get(product_id, "") or self.product_categories.get(sku, "")

    def tags_of(self, *, product_id: str, sku: str, given: frozenset[str] = frozenset()) -> frozenset[str]:
        """The item's tags: the order's plus the policy catalogue's."""
        return (
            given | self.product_tags.get(product_id, frozenset()) | self.product_tags.get(sku, frozenset())
        )

    def window_for(self, category: str) -> int:
        """Days from delivery for an item of ``category``."""
        return self.category_windows.get(category, self.window_days)

    def conditions_for(self, category: str) -> frozenset[Condition]:
        """Conditions accepted for an item of ``category``."""
        return self.category_conditions.get(category, self.accepted_conditions)

    def restocking_percent(self, category: str) -> Decimal:
        """Percent kept on refunds for an item of ``category``."""
        return self.restocking_fees.get(category, Decimal(0))

    def is_final_sale(self, *, sku: str, category: str, tags: frozenset[str]) -> bool:
        """Whether an item may not be returned at all."""
        return (
            (bool(sku) and sku in self.final_sale_skus)
            or (bool(category) and category in self.final_sale_categories)
            or bool(tags & self.final_sale_tags)
        )

    # -- (de)serialisation -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int | None = None) -> ReturnPolicy:
        """Build a policy from its JSON form, checking every field; unknown keys are refused so a
        misspelt rule never silently does nothing. ``version`` overrides ``data["version"]``."""
        if not isinstance(data, Mapping):
            raise PolicyError("policy", "must be an object")
        _no_unknown(data, _TOP_KEYS, "")
        final_sale = _mapping(data, "final_sale")
        _no_unknown(final_sale, {"tags", "categories", "skus"}, "final_sale.")
        fee = _mapping(data, "return_fee")
        _no_unknown(fee, {"amount", "waived_for_exchange", "waived_for_store_credit"}, "return_fee.")
        exchange = _mapping(data, "exchange")
        _no_unknown(
            exchange,
            {
                "enabled",
                "same_product",
                "other_product",
                "difference_to",
                "excluded_categories",
                "bonus",
                "instant",
                "other_products",
            },
            "exchange.",
        )
        others = _mapping(exchange, "other_products", "exchange.")
        _no_unknown(others, {"same_category", "price_band"}, "exchange.other_products.")
        store_credit = _mapping(data, "store_credit")
        _no_unknown(store_credit, {"enabled", "bonus"}, "store_credit.")
        keep_it = _mapping(data, "keep_it")
        _no_unknown(keep_it, {"max_value"}, "keep_it.")
        abuse = _mapping(data, "abuse")
        _no_unknown(abuse, {"max_returns", "period_days", "max_return_rate", "min_orders"}, "abuse.")
        conditions = _mapping(data, "conditions")
        _no_unknown(conditions, {"accepted", "by_category"}, "conditions.")
        catalog = _mapping(data, "catalog")
        _no_unknown(catalog, {"categories", "tags"}, "catalog.")
        categories = _mapping(catalog, "categories", "catalog.")
        if not all(isinstance(v, str) and v for v in categories.values()):
            raise PolicyError("catalog.categories", "map product ids or SKUs to category names")
        tags = _mapping(catalog, "tags", "catalog.")

        tz = _str(data, "timezone", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError("timezone", f"unknown time zone {tz!r}") from None
        difference_to = _str(exchange, "difference_to", "refund", "exchange.")
        if difference_to not in ("refund", "store_credit"):
            raise PolicyError("exchange.difference_to", "use 'refund' or 'store_credit'")
        refund_shipping = _str(data, "refund_shipping", "store_fault")
        if refund_shipping not in ("never", "store_fault", "always"):
            raise PolicyError("refund_shipping", "use 'never', 'store_fault' or 'always'")
        by_category = _mapping(conditions, "by_category", "conditions.")
        resolved_version = version if version is not None else _int(data, "version", 1, minimum=1)
        return cls(
            version=resolved_version,
            window_days=_int(data, "window_days", 30, minimum=0),
            category_windows={
                k: _int(_mapping(data, "category_windows"), k, 0, prefix="category_windows.", minimum=0)
                for k in _mapping(data, "category_windows")
            },
            holiday_windows=tuple(
                _holiday(item, f"holiday_windows[{i}]")
                for i, item in enumerate(_list(data, "holiday_windows"))
            ),
            timezone=tz,
            final_sale_tags=_strings(final_sale, "tags", "final_sale."),
            final_sale_categories=_strings(final_sale, "categories", "final_sale."),
            final_sale_skus=_strings(final_sale, "skus", "final_sale."),
            max_units_per_line=_opt_int(data, "max_units_per_line"),
            max_units_per_return=_opt_int(data, "max_units_per_return"),
            accepted_conditions=_conditions(conditions["accepted"], "conditions.accepted")
            if "accepted" in conditions
            else DEFAULT_CONDITIONS,
            category_conditions={
                k: _conditions(v, f"conditions.by_category.{k}") for k, v in by_category.items()
            },
            return_fee=_money(fee, "amount", "return_fee.") or Decimal(0),
            fee_waived_for_exchange=_bool(fee, "waived_for_exchange", True, "return_fee."),
            fee_waived_for_store_credit=_bool(fee, "waived_for_store_credit", False, "return_fee."),
            restocking_fees={
                k: _percent(_mapping(data, "restocking_fees"), k, "restocking_fees.")
                for k in _mapping(data, "restocking_fees")
            },
            refund_shipping=refund_shipping,
            exchange=ExchangeRules(
                enabled=_bool(exchange, "enabled", True, "exchange."),
                same_product=_bool(exchange, "same_product", True, "exchange."),
                other_product=_bool(exchange, "other_product", True, "exchange."),
                difference_to=difference_to,
                excluded_categories=_strings(exchange, "excluded_categories", "exchange."),
                instant=_bool(exchange, "instant", False, "exchange."),
                other_products=None
                if exchange.get("other_products") is None
                else OtherProducts(
                    _bool(others, "same_category", True, "exchange.other_products."),
                    _percent(others, "price_band", "exchange.other_products."),
                ),
            ),
            store_credit_enabled=_bool(store_credit, "enabled", True, "store_credit."),
            bonus_store_credit=_bonus(_mapping(store_credit, "bonus", "store_credit."), "store_credit.bonus"),
            bonus_exchange=_bonus(_mapping(exchange, "bonus", "exchange."), "exchange.bonus"),
            keep_it_max_value=_money(keep_it, "max_value", "keep_it."),
            ship_back_days=_int(data, "ship_back_days", 14, minimum=1),
            methods=_methods(data),
            return_address=tuple(_list_of_str(data, "return_address")),
            in_store_location=tuple(_list_of_str(data, "in_store_location")),
            max_returns=_opt_int(abuse, "max_returns", "abuse."),
            period_days=_int(abuse, "period_days", 365, prefix="abuse.", minimum=1),
            max_return_rate=_rate(abuse, "max_return_rate"),
            min_orders=_int(abuse, "min_orders", 3, prefix="abuse.", minimum=0),
            product_categories=dict(categories),
            product_tags={k: _strings(tags, k, "catalog.tags.") for k in tags},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``ReturnPolicy.from_dict(p.to_dict()) == p``."""
        return {
            "version": self.version,
            "window_days": self.window_days,
            "category_windows": dict(sorted(self.category_windows.items())),
            "holiday_windows": [
                {
                    "placed_from": h.placed_from.isoformat(),
                    "placed_to": h.placed_to.isoformat(),
                    "return_by": h.return_by.isoformat(),
                }
                for h in self.holiday_windows
            ],
            "timezone": self.timezone,
            "final_sale": {
                "tags": sorted(self.final_sale_tags),
                "categories": sorted(self.final_sale_categories),
                "skus": sorted(self.final_sale_skus),
            },
            "max_units_per_line": self.max_units_per_line,
            "max_units_per_return": self.max_units_per_return,
            "conditions": {
                "accepted": sorted(c.value for c in self.accepted_conditions),
                "by_category": {
                    k: sorted(c.value for c in v) for k, v in sorted(self.category_conditions.items())
                },
            },
            "return_fee": {
                "amount": str(self.return_fee),
                "waived_for_exchange": self.fee_waived_for_exchange,
                "waived_for_store_credit": self.fee_waived_for_store_credit,
            },
            "restocking_fees": {k: str(v) for k, v in sorted(self.restocking_fees.items())},
            "refund_shipping": self.refund_shipping,
            "exchange": {
                "enabled": self.exchange.enabled,
                "same_product": self.exchange.same_product,
                "other_product": self.exchange.other_product,
                "difference_to": self.exchange.difference_to,
                "excluded_categories": sorted(self.exchange.excluded_categories),
                "bonus": _bonus_dict(self.bonus_exchange),
                "instant": self.exchange.instant,
                "other_products": None
                if (rule := self.exchange.other_products) is None
                else {"same_category": rule.same_category, "price_band": str(rule.price_band)},
            },
            "store_credit": {
                "enabled": self.store_credit_enabled,
                "bonus": _bonus_dict(self.bonus_store_credit),
            },
            "keep_it": {"max_value": None if self.keep_it_max_value is None else str(self.keep_it_max_value)},
            "ship_back_days": self.ship_back_days,
            "methods": [m.value for m in ReturnMethod if m in self.methods],
            "return_address": list(self.return_address),
            "in_store_location": list(self.in_store_location),
            "abuse": {
                "max_returns": self.max_returns,
                "period_days": self.period_days,
                "max_return_rate": None if self.max_return_rate is None else str(self.max_return_rate),
                "min_orders": self.min_orders,
            },
            "catalog": {
                "categories": dict(sorted(self.product_categories.items())),
                "tags": {k: sorted(v) for k, v in sorted(self.product_tags.items())},
            },
        }


_TOP_KEYS = {
    "version",
    "window_days",
    "category_windows",
    "holiday_windows",
    "timezone",
    "final_sale",
    "max_units_per_line",
    "max_units_per_return",
    "conditions",
    "return_fee",
    "restocking_fees",
    "refund_shipping",
    "exchange",
    "store_credit",
    "keep_it",
    "ship_back_days",
    "methods",
    "return_address",
    "in_store_location",
    "abuse",
    "catalog",
}


def _bonus_dict(bonus: Bonus) -> dict[str, Any]:
    return {
        "flat": str(bonus.flat),
        "percent": str(bonus.percent),
        "cap": None if bonus.cap is None else str(bonus.cap),
    }


def _no_unknown(data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise PolicyError(f"{prefix}{key}", "unknown field")


def _mapping(data: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(prefix + key, "must be an object")
    return value


def _list(data: Mapping[str, Any], key: str, prefix: str = "") -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyError(prefix + key, "must be a list")
    return value


def _str(data: Mapping[str, Any], key: str, default: str, prefix: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise PolicyError(prefix + key, "must be a string")
    return value


def _bool(data: Mapping[str, Any], key: str, default: bool, prefix: str = "") -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PolicyError(prefix + key, "must be true or false")
    return value


def _int(data: Mapping[str, Any], key: str, default: int, *, prefix: str = "", minimum: int = 0) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(prefix + key, "must be a whole number")
    if value < minimum:
        raise PolicyError(prefix + key, f"must be at least {minimum}")
    return value


def _opt_int(data: Mapping[str, Any], key: str, prefix: str = "") -> int | None:
    return None if data.get(key) is None else _int(data, key, 0, prefix=prefix, minimum=1)


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PolicyError(where, 'must be a decimal string such as "5.00"')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(where, 'must be a decimal string such as "5.00"') from None
    if not number.is_finite() or number < 0:
        raise PolicyError(where, "must be zero or more")
    return number


def _money(data: Mapping[str, Any], key: str, prefix: str = "") -> Decimal | None:
    value = data.get(key)
    return None if value is None else _decimal(value, prefix + key)


def _percent(data: Mapping[str, Any], key: str, prefix: str = "") -> Decimal:
    value = _decimal(data.get(key, "0"), prefix + key)
    if value > 100:
        raise PolicyError(prefix + key, "a percentage cannot exceed 100")
    return value


def _rate(data: Mapping[str, Any], key: str) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    rate = _decimal(value, f"abuse.{key}")
    if rate > 1:
        raise PolicyError(f"abuse.{key}", "a rate between 0 and 1 (0.4 is 40 %)")
    return rate


def _strings(data: Mapping[str, Any], key: str, prefix: str = "") -> frozenset[str]:
    items = _list(data, key, prefix)
    if not all(isinstance(item, str) and item for item in items):
        raise PolicyError(prefix + key, "must be a list of non-empty strings")
    return frozenset(items)


def _methods(data: Mapping[str, Any]) -> frozenset[ReturnMethod]:
    if data.get("methods") is None:
        return DEFAULT_METHODS
    items = _list(data, "methods")
    try:
        methods = frozenset(ReturnMethod(item) for item in items)
    except ValueError:
        allowed = ", ".join(m.value for m in ReturnMethod)
        raise PolicyError("methods", f"unknown method; use {allowed}") from None
    if not methods:
        raise PolicyError("methods", "offer at least one way to send items back")
    return methods


def _list_of_str(data: Mapping[str, Any], key: str) -> list[str]:
    items = _list(data, key)
    if not all(isinstance(item, str) for item in items):
        raise PolicyError(key, "must be a list of strings")
    return [item[:80] for item in items if item.strip()][:8]


def _conditions(value: Any, where: str) -> frozenset[Condition]:
    if not isinstance(value, list):
        raise PolicyError(where, "must be a list of conditions")
    try:
        return frozenset(Condition(item) for item in value)
    except ValueError:
        allowed = ", ".join(c.value for c in Condition)
        raise PolicyError(where, f"unknown condition; use {allowed}") from None


def _date(data: Mapping[str, Any], key: str, where: str) -> date:
    value = data.get(key)
    try:
        # Anything but a string is as wrong as a malformed one ("" is never a date).
        return date.fromisoformat(value if isinstance(value, str) else "")
    except ValueError:
        raise PolicyError(f"{where}.{key}", "must be a date such as 2026-12-24") from None


def _holiday(item: Any, where: str) -> HolidayWindow:
    if not isinstance(item, Mapping):
        raise PolicyError(where, "must be an object")
    _no_unknown(item, {"placed_from", "placed_to", "return_by"}, f"{where}.")
    window = HolidayWindow(
        placed_from=_date(item, "placed_from", where),
        placed_to=_date(item, "placed_to", where),
        return_by=_date(item, "return_by", where),
    )
    if window.placed_to < window.placed_from:
        raise PolicyError(f"{where}.placed_to", "is before placed_from")
    return window


def _bonus(data: Mapping[str, Any], where: str) -> Bonus:
    _no_unknown(data, {"flat", "percent", "cap"}, f"{where}.")
    return Bonus(
        flat=_money(data, "flat", f"{where}.") or Decimal(0),
        percent=_percent(data, "percent", f"{where}.") if data.get("percent") is not None else Decimal(0),
        cap=_money(data, "cap", f"{where}."),
    )
