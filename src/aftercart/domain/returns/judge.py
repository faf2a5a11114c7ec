"""Judging a return request against a policy: per line, eligible or not and why, and the offers.

:func:`judge_return` is the one decision every touchpoint uses (portal, API, admin). It is
deterministic: the same order, request, history, policy and ``now`` always give the same decision.

The money each resolution gives back is worked out in :mod:`aftercart.domain.returns.offers`;
settling the shopper's choices in :mod:`aftercart.domain.returns.settlement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from aftercart.domain.returns.decision import LineDecision, Note, ReturnDecision
from aftercart.domain.returns.money import ZERO, allocate
from aftercart.domain.returns.offers import (
    NO_STOCK,
    line_offers,
    offer_totals,
    returned_values,
    split_bonus,
    why_no_exchange,
)
from aftercart.domain.returns.policy import STORE_FAULT_REASONS, ReturnPolicy
from aftercart.domain.returns.request import CustomerHistory, OrderForReturn, PaidLine, RequestedLine
from aftercart.domain.returns.stock import StockLevels

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
    stock = stock or NO_STOCK
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
    values = {asked.line_id: returned_values(policy, line, asked, currency) for asked, line in eligible}
    refundable = [values[a.line_id][1] for a, _ in eligible]
    fee_weights = [
        r if a.reason not in STORE_FAULT_REASONS else ZERO
        for (a, _), r in zip(eligible, refundable, strict=True)
    ]
    fee_total = policy.return_fee if any(w > 0 for w in fee_weights) else ZERO
    fees = allocate(fee_total, fee_weights, currency) if eligible else []
    exchangeable = [why_no_exchange(policy, line, asked, stock) is None for asked, line in eligible]
    credit_bonus = split_bonus(policy.bonus_store_credit.amount, refundable, [True] * len(eligible), currency)
    exchange_bonus = split_bonus(policy.bonus_exchange.amount, refundable, exchangeable, currency)

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
        offers = line_offers(
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
        exchange_problem = why_no_exchange(policy, line, asked, stock)
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
        offers=offer_totals(decisions, currency),
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
