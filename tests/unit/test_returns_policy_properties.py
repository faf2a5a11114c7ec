"""Properties of the returns policy engine that must hold for any order, request and policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.returns import (
    Bonus,
    Condition,
    CustomerHistory,
    ExchangeTarget,
    OfferKind,
    OrderForReturn,
    PaidLine,
    Reason,
    RequestedLine,
    ReturnPolicy,
    allocate,
    allocate_order_amounts,
    judge_return,
    settle,
)

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KWD"])
cents = st.integers(min_value=0, max_value=500_000).map(lambda n: D(n) / 100)


@st.composite
def policies(draw):
    def bonus():
        return Bonus(
            flat=draw(st.sampled_from([D(0), D("5"), D("12.50")])),
            percent=draw(st.sampled_from([D(0), D("10"), D("33.3")])),
            cap=draw(st.sampled_from([None, D("1"), D("20")])),
        )

    return ReturnPolicy(
        window_days=draw(st.integers(0, 60)),
        return_fee=draw(st.sampled_from([D(0), D("4.95"), D("1000")])),
        fee_waived_for_exchange=draw(st.booleans()),
        fee_waived_for_store_credit=draw(st.booleans()),
        restocking_fees={"electronics": draw(st.sampled_from([D(0), D("15"), D("100")]))},
        refund_shipping=draw(st.sampled_from(["never", "store_fault", "always"])),
        bonus_store_credit=bonus(),
        bonus_exchange=bonus(),
        keep_it_max_value=draw(st.sampled_from([None, D("10")])),
        accepted_conditions=frozenset(draw(st.sets(st.sampled_from(list(Condition))))),
        exchange=ReturnPolicy().exchange.__class__(
            difference_to=draw(st.sampled_from(["refund", "store_credit"]))
        ),
    )


@st.composite
def cases(draw):
    currency = draw(CURRENCIES)
    n = draw(st.integers(1, 4))
    gross = [draw(cents) for _ in range(n)]
    amounts = allocate_order_amounts(
        gross,
        currency=currency,
        discount=draw(cents),
        tax=draw(cents),
        shipping=draw(st.integers(0, 3000).map(lambda c: D(c) / 100)),
    )
    lines = []
    for i, a in enumerate(amounts):
        qty = draw(st.integers(1, 5))
        lines.append(
            PaidLine(
                line_id=f"L{i}",
                quantity=qty,
                amounts=a,
                product_id=f"P{i}",
                variant="M",
                category=draw(st.sampled_from(["", "electronics", "shoes"])),
                returned_quantity=draw(st.integers(0, qty)),
                delivered_at=NOW - timedelta(days=draw(st.integers(0, 90))),
            )
        )
    request = []
    for line in draw(st.lists(st.sampled_from(lines), min_size=1, max_size=n, unique_by=lambda x: x.line_id)):
        target = draw(
            st.one_of(
                st.none(),
                st.builds(
                    ExchangeTarget,
                    product_id=st.sampled_from([line.product_id, "OTHER"]),
                    variant=st.just("L"),
                    unit_price=cents,
                ),
            )
        )
        request.append(
            RequestedLine(
                line.line_id,
                draw(st.integers(1, line.quantity)),
                draw(st.sampled_from(list(Reason))),
                draw(st.sampled_from(list(Condition))),
                target,
            )
        )
    order = OrderForReturn(currency=currency, placed_at=NOW - timedelta(days=100), lines=tuple(lines))
    return order, request


def _paid_for_returned_units(order, decision):
    by_id = {line.line_id: line for line in order.lines}
    return {d.line_id: d.value for d in decision.lines if d.eligible and d.line_id in by_id}


@settings(max_examples=300, deadline=None)
@given(policies(), cases(), st.data())
def test_refund_never_exceeds_what_was_paid_for_the_returned_lines(policy, case, data):
    order, request = case
    decision = judge_return(policy=policy, order=order, request=request, history=CustomerHistory(), now=NOW)
    for line in decision.lines:
        if not line.eligible:
            continue
        by_id = {x.line_id: x for x in order.lines}
        paid = by_id[line.line_id].amounts.paid
        assert line.value <= paid
        refund = line.offer(OfferKind.REFUND)
        assert D(0) <= refund.amount <= line.value
    choices = {
        d.line_id: data.draw(st.sampled_from([o.kind for o in d.offers]))
        for d in decision.lines
        if d.eligible
    }
    settled = settle(decision, choices)
    assert D(0) <= settled.refund <= sum(_paid_for_returned_units(order, decision).values(), D(0))


@settings(max_examples=300, deadline=None)
@given(policies(), cases())
def test_exchange_credit_plus_refund_never_exceed_line_value_plus_bonus(policy, case):
    order, request = case
    decision = judge_return(policy=policy, order=order, request=request, history=CustomerHistory(), now=NOW)
    for line in decision.lines:
        exchange = line.offer(OfferKind.EXCHANGE) if line.eligible else None
        if exchange is None:
            continue
        settled = settle(
            decision,
            {
                d.line_id: OfferKind.EXCHANGE if d.line_id == line.line_id else d.offers[-1].kind
                for d in decision.lines
                if d.eligible
            },
            accepted=[line.line_id],
        )
        assert (
            settled.exchange_credit + settled.refund + settled.store_credit
            <= line.refundable + exchange.bonus
        )
        assert settled.refund + settled.store_credit <= line.refundable


@settings(max_examples=200, deadline=None)
@given(policies(), cases())
def test_same_request_same_policy_same_decision(policy, case):
    order, request = case
    first = judge_return(policy=policy, order=order, request=request, history=CustomerHistory(), now=NOW)
    again = judge_return(
        policy=ReturnPolicy.from_dict(policy.to_dict()),
        order=order,
        request=list(request),
        history=CustomerHistory(),
        now=NOW,
    )
    assert ReturnPolicy.from_dict(policy.to_dict()) == policy
    assert first == again
    assert first.to_json() == again.to_json()


@settings(max_examples=500, deadline=None)
@given(
    st.integers(-10_000_000, 10_000_000).map(lambda n: D(n) / 100),
    st.lists(st.integers(0, 1_000_000).map(lambda n: D(n) / 100), min_size=1, max_size=12),
    CURRENCIES,
)
def test_allocation_sums_exactly_to_the_total(total, weights, currency):
    from aftercart.domain.returns import quantize

    parts = allocate(total, weights, currency)
    assert len(parts) == len(weights)
    assert sum(parts, D(0)) == quantize(total, currency)
    assert all((p >= 0) if total >= 0 else (p <= 0) for p in parts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(cents, min_size=1, max_size=8),
    cents,
    cents,
    cents,
    CURRENCIES,
)
def test_order_amounts_allocation_sums_exactly_per_column(gross, discount, tax, shipping, currency):
    from aftercart.domain.returns import quantize

    amounts = allocate_order_amounts(gross, currency=currency, discount=discount, tax=tax, shipping=shipping)
    gross_total = sum((quantize(g, currency) for g in gross), D(0))
    applied_discount = min(quantize(discount, currency), gross_total)
    assert sum((a.merchandise for a in amounts), D(0)) == gross_total - applied_discount
    assert sum((a.tax for a in amounts), D(0)) == quantize(tax, currency)
    assert sum((a.shipping for a in amounts), D(0)) == quantize(shipping, currency)
    assert all(a.merchandise >= 0 for a in amounts)
