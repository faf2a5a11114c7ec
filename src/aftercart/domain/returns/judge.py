"""Judging a return request against a policy: per line, eligible or not and why, and the offers.

:func:`judge_return` is the one decision every touchpoint uses (portal, API, admin). It is
deterministic: the same order, request, history, policy and ``now`` always give the same decision.

Money rules (all in the order's currency, exact to the minor unit):

- a line's *value* is what was paid for the returned units: merchandise after discounts, plus its
  share of tax and of shipping (allocated per line with :func:`allocate_order_amounts`);
- the *refundable* value leaves out the shipping share unless the policy refunds shipping (always,
  or when the reason is the store's fault);
- the return fee is per return, split over the lines it applies to by value, deducted from refunds
  (and from credit / exchanges unless waived); store-fault reasons never pay it;
- a restocking fee (percent per category) is kept from refunds only;
- bonuses (store credit, exchange) are per return, capped, split over the lines by value; a bonus
  is only ever spent on credit or the replacement, never paid out: a cheaper replacement gives back
  at most the line's refundable value minus fees minus the replacement's price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aftercart.domain.returns.money import ZERO, allocate, quantize, unit_share
from aftercart.domain.returns.policy import STORE_FAULT_REASONS, Condition, Reason, ReturnPolicy
from aftercart.domain.returns.stock import StockLevels

__all__ = [
    "CustomerHistory",
    "ExchangeTarget",
    "LineAmounts",
    "LineDecision",
    "Note",
    "Offer",
    "OfferKind",
    "OrderForReturn",
    "PaidLine",
    "RequestedLine",
    "ReturnDecision",
    "SettleError",
    "Settlement",
    "allocate_order_amounts",
    "format_day",
    "judge_return",
    "settle",
]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_day(day: date) -> str:
    """``12 March 2026``: unambiguous in every English-speaking market."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# -- inputs ---------------------------------------------------------------------------------------


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


# -- outputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """A reason with a stable ``code`` for programs and an English ``text`` for people."""

    code: str
    text: str
    params: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"code": self.code, "text": self.text, "params": dict(self.params)}


class OfferKind(StrEnum):
    """How a line can be resolved, in the order offered: exchange first, then credit, then refund."""

    EXCHANGE = "exchange"
    STORE_CREDIT = "store_credit"
    REFUND = "refund"


_OFFER_ORDER = (OfferKind.EXCHANGE, OfferKind.STORE_CREDIT, OfferKind.REFUND)


@dataclass(frozen=True)
class Offer:
    """One way to resolve a line (or, in :attr:`ReturnDecision.offers`, all lines that allow it).

    ``amount`` is what the shopper gets: money back (refund), credit (store credit) or credit
    towards the replacement (exchange). For an exchange with a chosen replacement, ``charge`` is
    what the shopper pays on top and ``difference_back`` what comes back (as ``difference_to``).
    """

    kind: OfferKind
    value: Decimal
    bonus: Decimal
    fee: Decimal
    restocking_fee: Decimal
    amount: Decimal
    charge: Decimal = ZERO
    difference_back: Decimal = ZERO
    difference_to: str = ""
    #: The replacement's price for the returned quantity (exchange with a chosen replacement).
    replacement_price: Decimal | None = None
    keep_item: bool = False
    deadline: date | None = None
    line_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form (amounts as strings)."""
        return {
            "kind": self.kind.value,
            "line_id": self.line_id or None,
            "value": str(self.value),
            "bonus": str(self.bonus),
            "fee": str(self.fee),
            "restocking_fee": str(self.restocking_fee),
            "amount": str(self.amount),
            "charge": str(self.charge),
            "difference_back": str(self.difference_back),
            "difference_to": self.difference_to or None,
            "replacement_price": None if self.replacement_price is None else str(self.replacement_price),
            "keep_item": self.keep_item,
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }


@dataclass(frozen=True)
class LineDecision:
    """The verdict on one requested line."""

    line_id: str
    quantity: int
    eligible: bool
    reasons: tuple[Note, ...]
    #: What was paid for the returned units (merchandise + tax + shipping shares).
    value: Decimal = ZERO
    #: The part of ``value`` that can come back (shipping only when the policy refunds it).
    refundable: Decimal = ZERO
    offers: tuple[Offer, ...] = ()
    reason: str = ""

    def offer(self, kind: OfferKind) -> Offer | None:
        """The offer of that kind, if made."""
        return next((o for o in self.offers if o.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "line_id": self.line_id,
            "quantity": self.quantity,
            "reason": self.reason,
            "eligible": self.eligible,
            "reasons": [n.to_json() for n in self.reasons],
            "value": str(self.value),
            "refundable": str(self.refundable),
            "offers": [o.to_json() for o in self.offers],
        }


@dataclass(frozen=True)
class ReturnDecision:
    """The verdict on a whole request."""

    policy_version: int
    currency: str
    lines: tuple[LineDecision, ...]
    #: Problems with the request as a whole (e.g. too many units in one return).
    problems: tuple[Note, ...]
    #: Totals if every line that allows it were resolved the same way, in the order offered.
    offers: tuple[Offer, ...]
    needs_review: bool
    review_reasons: tuple[Note, ...]

    @property
    def eligible(self) -> bool:
        """Whether the request can be accepted as asked: every line eligible, no request problem."""
        return not self.problems and all(line.eligible for line in self.lines)

    def line(self, line_id: str) -> LineDecision | None:
        """The decision on ``line_id``."""
        return next((d for d in self.lines if d.line_id == line_id), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "policy_version": self.policy_version,
            "currency": self.currency,
            "eligible": self.eligible,
            "lines": [d.to_json() for d in self.lines],
            "problems": [n.to_json() for n in self.problems],
            "offers": [o.to_json() for o in self.offers],
            "needs_review": self.needs_review,
            "review_reasons": [n.to_json() for n in self.review_reasons],
        }


# -- the judgement --------------------------------------------------------------------------------


def judge_return(
    *,
    policy: ReturnPolicy,
    order: OrderForReturn,
    request: Sequence[RequestedLine],
    history: CustomerHistory,
    now: datetime,
    stock: StockLevels | None = None,
) -> ReturnDecision:
    """Decide a return request: per line, whether it may come back (with every reason why not, or
    until when it may), what each resolution gives back, and whether a person must review it.

    With ``stock``, an exchange for a replacement the store says it lacks is not offered (the
    line's reasons say ``out_of_stock``; store credit, then refund, are next)."""
    stock = stock or _NO_STOCK
    zone = ZoneInfo(policy.timezone)
    today = now.astimezone(zone).date()
    currency = order.currency
    by_id = {line.line_id: _classified(policy, line) for line in order.lines}
    deadline = today + timedelta(days=policy.ship_back_days)

    verdicts: list[tuple[RequestedLine, PaidLine | None, list[Note]]] = []
    seen: set[str] = set()
    for asked in request:
        line = by_id.get(asked.line_id)
        notes: list[Note] = []
        if asked.line_id in seen:
            notes.append(Note("duplicate_line", "not eligible: this line is asked for twice"))
        seen.add(asked.line_id)
        if line is None:
            notes.append(
                Note("unknown_line", "not eligible: not a line of this order", {"line_id": asked.line_id})
            )
        else:
            notes.extend(_line_problems(policy, order, line, asked, zone, today))
        verdicts.append((asked, line, notes))

    problems: list[Note] = []
    units = sum(asked.quantity for asked in request)
    if policy.max_units_per_return is not None and units > policy.max_units_per_return:
        problems.append(
            Note(
                "too_many_units",
                f"at most {policy.max_units_per_return} items per return ({units} asked)",
                {"limit": str(policy.max_units_per_return), "asked": str(units)},
            )
        )
    if not request:
        problems.append(Note("empty_request", "choose at least one item to return"))

    # Values of the eligible lines, then the per-return fee and bonuses split over them.
    eligible = [(asked, line) for asked, line, notes in verdicts if not notes and line is not None]
    values = {asked.line_id: _values(policy, line, asked, currency) for asked, line in eligible}
    refundable = [values[a.line_id][1] for a, _ in eligible]
    fee_weights = [
        r if a.reason not in STORE_FAULT_REASONS else ZERO
        for (a, _), r in zip(eligible, refundable, strict=True)
    ]
    fee_total = policy.return_fee if any(w > 0 for w in fee_weights) else ZERO
    fees = allocate(fee_total, fee_weights, currency) if eligible else []
    exchangeable = [_exchange_problem(policy, line, asked, stock) is None for asked, line in eligible]
    credit_bonus = _split_bonus(
        policy.bonus_store_credit.amount, refundable, [True] * len(eligible), currency
    )
    exchange_bonus = _split_bonus(policy.bonus_exchange.amount, refundable, exchangeable, currency)

    decisions: list[LineDecision] = []
    index = {a.line_id: i for i, (a, _) in enumerate(eligible)}
    for asked, line, notes in verdicts:
        if notes or line is None:
            decisions.append(
                LineDecision(asked.line_id, asked.quantity, False, tuple(notes), reason=asked.reason.value)
            )
            continue
        i = index[asked.line_id]
        value, refund_value = values[asked.line_id]
        offers = _line_offers(
            policy,
            line,
            asked,
            value=refund_value,
            fee=fees[i],
            credit_bonus=credit_bonus[i],
            exchange_bonus=exchange_bonus[i],
            deadline=deadline,
            currency=currency,
            stock=stock,
        )
        window_end = _window_end(policy, order, line, zone)
        why = [
            Note(
                "eligible",
                f"eligible: returnable until {format_day(window_end)}" if window_end else "eligible",
                {"until": window_end.isoformat()} if window_end else {},
            )
        ]
        exchange_problem = _exchange_problem(policy, line, asked, stock)
        if exchange_problem is not None:
            why.append(exchange_problem)
        decisions.append(
            LineDecision(
                asked.line_id,
                asked.quantity,
                True,
                tuple(why),
                value=value,
                refundable=refund_value,
                offers=offers,
                reason=asked.reason.value,
            )
        )

    review = _review_reasons(policy, history, now)
    return ReturnDecision(
        policy_version=policy.version,
        currency=currency,
        lines=tuple(decisions),
        problems=tuple(problems),
        offers=_totals(decisions, currency),
        needs_review=bool(review),
        review_reasons=tuple(review),
    )


def _classified(policy: ReturnPolicy, line: PaidLine) -> PaidLine:
    """The line with its category and tags filled in from the policy's catalogue."""
    category = policy.category_of(product_id=line.product_id, sku=line.sku, given=line.category)
    tags = policy.tags_of(product_id=line.product_id, sku=line.sku, given=line.tags)
    if category == line.category and tags == line.tags:
        return line
    return replace(line, category=category, tags=tags)


def _line_problems(
    policy: ReturnPolicy,
    order: OrderForReturn,
    line: PaidLine,
    asked: RequestedLine,
    zone: ZoneInfo,
    today: date,
) -> list[Note]:
    notes: list[Note] = []
    sent = line.quantity - line.unsent_quantity
    left = sent - line.returned_quantity
    if asked.quantity < 1:
        notes.append(Note("bad_quantity", "not eligible: the quantity must be at least 1"))
    elif sent <= 0:
        notes.append(Note("not_sent", "not eligible: this item was never sent"))
    elif left <= 0:
        notes.append(Note("already_returned", "not eligible: already returned"))
    elif asked.quantity > left:
        notes.append(
            Note(
                "over_quantity",
                f"not eligible: only {left} of {sent} left to return",
                {"left": str(left), "sent": str(sent), "asked": str(asked.quantity)},
            )
        )
    if policy.max_units_per_line is not None and asked.quantity > policy.max_units_per_line:
        notes.append(
            Note(
                "quantity_limit",
                f"not eligible: at most {policy.max_units_per_line} of one item per return",
                {"limit": str(policy.max_units_per_line)},
            )
        )
    if policy.is_final_sale(sku=line.sku, category=line.category, tags=line.tags):
        notes.append(Note("final_sale", "not eligible: final sale"))
    window_end = _window_end(policy, order, line, zone)
    if window_end is None:
        notes.append(Note("not_delivered", "not eligible: not delivered yet"))
    elif today > window_end:
        notes.append(
            Note(
                "window_closed",
                f"not eligible: window closed on {format_day(window_end)}",
                {"closed_on": window_end.isoformat()},
            )
        )
    if asked.reason not in STORE_FAULT_REASONS and asked.condition not in policy.conditions_for(
        line.category
    ):
        names = sorted(c.value.replace("_", " ") for c in policy.conditions_for(line.category))
        accepted = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        notes.append(
            Note(
                "condition_not_accepted",
                f"not eligible: items must be {accepted} to come back"
                if accepted
                else "not eligible: only damaged, defective or not-as-described items come back",
                {"condition": asked.condition.value},
            )
        )
    return notes


def _window_end(policy: ReturnPolicy, order: OrderForReturn, line: PaidLine, zone: ZoneInfo) -> date | None:
    """The last day the item may be returned, in the store's calendar (None: not delivered)."""
    if line.delivered_at is None:
        return None
    end = line.delivered_at.astimezone(zone).date() + timedelta(days=policy.window_for(line.category))
    placed = order.placed_at.astimezone(zone).date()
    for holiday in policy.holiday_windows:
        if holiday.placed_from <= placed <= holiday.placed_to:
            end = max(end, holiday.return_by)
    return end


def _values(
    policy: ReturnPolicy, line: PaidLine, asked: RequestedLine, currency: str
) -> tuple[Decimal, Decimal]:
    """(what the returned units cost, what of it can come back)."""
    start, count = line.returned_quantity, asked.quantity
    merchandise = unit_share(line.amounts.merchandise, line.quantity, start, count, currency)
    tax = unit_share(line.amounts.tax, line.quantity, start, count, currency)
    shipping = unit_share(line.amounts.shipping, line.quantity, start, count, currency)
    refund_shipping = policy.refund_shipping == "always" or (
        policy.refund_shipping == "store_fault" and asked.reason in STORE_FAULT_REASONS
    )
    value = merchandise + tax + shipping
    return value, value if refund_shipping else merchandise + tax


def _split_bonus(rule: Any, values: list[Decimal], allowed: list[bool], currency: str) -> list[Decimal]:
    weights = [v if ok else ZERO for v, ok in zip(values, allowed, strict=True)]
    if not weights or not any(w > 0 for w in weights):
        return [ZERO for _ in weights]
    total = quantize(rule(sum(weights, ZERO)), currency)
    return allocate(total, weights, currency)


_NO_STOCK = StockLevels()


def _exchange_problem(
    policy: ReturnPolicy, line: PaidLine, asked: RequestedLine, stock: StockLevels = _NO_STOCK
) -> Note | None:
    rules = policy.exchange
    if not rules.enabled:
        return Note("no_exchange", "exchanges are not offered")
    if line.category and line.category in rules.excluded_categories:
        return Note("no_exchange", "this item cannot be exchanged")
    target = asked.exchange_for
    if target is None:
        return (
            None
            if (rules.same_product or rules.other_product)
            else Note("no_exchange", "exchanges are not offered")
        )
    same = bool(line.product_id) and target.product_id == line.product_id
    if same and target.variant == line.variant and (not target.sku or target.sku == line.sku):
        return Note("no_exchange", "the replacement is the same item")
    if same and not rules.same_product:
        return Note("no_exchange", "exchanges for another size or colour are not offered")
    if not same and not rules.other_product:
        return Note("no_exchange", "exchanges for another product are not offered")
    if not stock.has(
        product_id=target.product_id, variant=target.variant, sku=target.sku, quantity=asked.quantity
    ):
        units = stock.available(product_id=target.product_id, variant=target.variant, sku=target.sku)
        name = target.variant or target.sku or target.product_id
        return Note(
            "out_of_stock",
            f"exchange not possible: {name} is out of stock",
            {"item": name, "available": str(units or 0), "asked": str(asked.quantity)},
        )
    return None


def _line_offers(
    policy: ReturnPolicy,
    line: PaidLine,
    asked: RequestedLine,
    *,
    value: Decimal,
    fee: Decimal,
    credit_bonus: Decimal,
    exchange_bonus: Decimal,
    deadline: date,
    currency: str,
    stock: StockLevels = _NO_STOCK,
) -> tuple[Offer, ...]:
    keep = policy.keep_it_max_value is not None and value <= policy.keep_it_max_value
    send_by = None if keep else deadline
    offers: list[Offer] = []
    if _exchange_problem(policy, line, asked, stock) is None:
        ex_fee = ZERO if policy.fee_waived_for_exchange else min(fee, value)
        credit = value + exchange_bonus - ex_fee
        charge = back = ZERO
        price = None
        target = asked.exchange_for
        if target is not None:
            price = quantize(target.unit_price * asked.quantity, currency)
            charge = max(ZERO, price - credit)
            # The bonus pays towards the replacement only; never handed out as money.
            back = max(ZERO, value - ex_fee - price)
        offers.append(
            Offer(
                OfferKind.EXCHANGE,
                value=value,
                bonus=exchange_bonus,
                fee=ex_fee,
                restocking_fee=ZERO,
                amount=credit,
                charge=charge,
                difference_back=back,
                difference_to=policy.exchange.difference_to if target is not None else "",
                replacement_price=price,
                deadline=deadline,
                line_id=asked.line_id,
            )
        )
    if policy.store_credit_enabled:
        cr_fee = ZERO if policy.fee_waived_for_store_credit else min(fee, value)
        offers.append(
            Offer(
                OfferKind.STORE_CREDIT,
                value=value,
                bonus=credit_bonus,
                fee=cr_fee,
                restocking_fee=ZERO,
                amount=value + credit_bonus - cr_fee,
                keep_item=keep,
                deadline=send_by,
                line_id=asked.line_id,
            )
        )
    restocking = (
        ZERO
        if asked.reason in STORE_FAULT_REASONS
        else quantize(value * policy.restocking_percent(line.category) / 100, currency)
    )
    restocking = min(restocking, value)
    refund_fee = min(fee, value - restocking)
    offers.append(
        Offer(
            OfferKind.REFUND,
            value=value,
            bonus=ZERO,
            fee=refund_fee,
            restocking_fee=restocking,
            amount=value - restocking - refund_fee,
            keep_item=keep,
            deadline=send_by,
            line_id=asked.line_id,
        )
    )
    return tuple(_in_minor_units(o, currency) for o in offers)


def _in_minor_units(offer: Offer, currency: str) -> Offer:
    """Every amount written with the currency's decimals ("0.00", not "0")."""
    q = lambda amount: quantize(amount, currency)  # noqa: E731
    return replace(
        offer,
        value=q(offer.value),
        bonus=q(offer.bonus),
        fee=q(offer.fee),
        restocking_fee=q(offer.restocking_fee),
        amount=q(offer.amount),
        charge=q(offer.charge),
        difference_back=q(offer.difference_back),
    )


def _totals(decisions: Sequence[LineDecision], currency: str) -> tuple[Offer, ...]:
    totals = []
    for kind in _OFFER_ORDER:
        offers = [o for d in decisions if d.eligible for o in d.offers if o.kind == kind]
        if not offers:
            continue
        deadlines = [o.deadline for o in offers if o.deadline is not None]
        totals.append(
            Offer(
                kind,
                value=sum((o.value for o in offers), ZERO),
                bonus=sum((o.bonus for o in offers), ZERO),
                fee=sum((o.fee for o in offers), ZERO),
                restocking_fee=sum((o.restocking_fee for o in offers), ZERO),
                amount=sum((o.amount for o in offers), ZERO),
                charge=sum((o.charge for o in offers), ZERO),
                difference_back=sum((o.difference_back for o in offers), ZERO),
                keep_item=all(o.keep_item for o in offers),
                deadline=min(deadlines) if deadlines else None,
            )
        )
    return tuple(_in_minor_units(o, currency) for o in totals)


def _review_reasons(policy: ReturnPolicy, history: CustomerHistory, now: datetime) -> list[Note]:
    reasons = []
    if policy.max_returns is not None:
        since = now - timedelta(days=policy.period_days)
        recent = sum(1 for at in history.return_times if since < at <= now)
        if recent >= policy.max_returns:
            reasons.append(
                Note(
                    "return_limit",
                    f"manual review: {recent} returns in the last {policy.period_days} days "
                    f"(limit {policy.max_returns})",
                    {
                        "returns": str(recent),
                        "days": str(policy.period_days),
                        "limit": str(policy.max_returns),
                    },
                )
            )
    if policy.max_return_rate is not None and history.orders >= max(policy.min_orders, 1):
        rate = Decimal(history.orders_with_returns) / Decimal(history.orders)
        if rate > policy.max_return_rate:
            reasons.append(
                Note(
                    "return_rate",
                    f"manual review: returns from {rate:.0%} of orders (threshold {policy.max_return_rate:.0%})",
                    {"rate": str(rate.quantize(Decimal("0.0001"))), "threshold": str(policy.max_return_rate)},
                )
            )
    return reasons


# -- settling the shopper's choices -----------------------------------------------------------------


class SettleError(ValueError):
    """A choice that the decision did not offer; ``line_id`` names the line."""

    def __init__(self, line_id: str, message: str):
        super().__init__(f"{line_id}: {message}")
        self.line_id = line_id


@dataclass(frozen=True)
class Settlement:
    """What the shopper gets back overall once every line's resolution is chosen."""

    refund: Decimal
    store_credit: Decimal
    exchange_credit: Decimal
    charge: Decimal
    fees: Decimal
    bonus: Decimal
    returned_value: Decimal
    keep_items: bool
    choices: Mapping[str, OfferKind]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "refund": str(self.refund),
            "store_credit": str(self.store_credit),
            "exchange_credit": str(self.exchange_credit),
            "charge": str(self.charge),
            "fees": str(self.fees),
            "bonus": str(self.bonus),
            "returned_value": str(self.returned_value),
            "keep_items": self.keep_items,
            "choices": {k: v.value for k, v in self.choices.items()},
        }


def settle(
    decision: ReturnDecision, choices: Mapping[str, OfferKind], *, accepted: Sequence[str] | None = None
) -> Settlement:
    """Totals for the chosen resolution of every eligible line (``accepted`` limits them to the
    lines inspection accepted). A cheaper replacement's difference goes to refund or credit as the
    offer says; a dearer one is charged."""
    refund = credit = exchange = charge = fees = bonus = returned = ZERO
    keep = True
    for line in decision.lines:
        if not line.eligible or (accepted is not None and line.line_id not in accepted):
            continue
        kind = choices.get(line.line_id)
        if kind is None:
            raise SettleError(line.line_id, "no resolution chosen")
        offer = line.offer(kind)
        if offer is None:
            raise SettleError(line.line_id, f"{kind.value} is not offered for this line")
        returned += line.value
        fees += offer.fee + offer.restocking_fee
        bonus += offer.bonus
        keep = keep and offer.keep_item
        if kind == OfferKind.REFUND:
            refund += offer.amount
        elif kind == OfferKind.STORE_CREDIT:
            credit += offer.amount
        else:
            # Credit spent on the replacement (all of it when no replacement is named yet).
            spent = (
                offer.amount
                if offer.replacement_price is None
                else min(offer.replacement_price, offer.amount)
            )
            exchange += spent
            charge += offer.charge
            if offer.difference_to == "store_credit":
                credit += offer.difference_back
            else:
                refund += offer.difference_back
    return Settlement(
        refund=refund,
        store_credit=credit,
        exchange_credit=exchange,
        charge=charge,
        fees=fees,
        bonus=bonus,
        returned_value=returned,
        keep_items=keep,
        choices=dict(choices),
    )
