"""The returns policy engine, rule by rule, with worked amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from aftercart.domain.returns import (
    Condition,
    CustomerHistory,
    ExchangeTarget,
    LineAmounts,
    OfferKind,
    OrderForReturn,
    PaidLine,
    PolicyError,
    Reason,
    RequestedLine,
    ReturnPolicy,
    SettleError,
    allocate,
    allocate_order_amounts,
    judge_return,
    settle,
    unit_share,
)

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
DELIVERED = datetime(2026, 3, 5, 15, tzinfo=UTC)


def line(line_id="L1", qty=1, merch="100.00", tax="0", ship="0", **kw):
    return PaidLine(
        line_id=line_id,
        quantity=qty,
        amounts=LineAmounts(D(merch), D(tax), D(ship)),
        sku=kw.pop("sku", f"SKU-{line_id}"),
        product_id=kw.pop("product_id", f"P-{line_id}"),
        variant=kw.pop("variant", "M"),
        delivered_at=kw.pop("delivered_at", DELIVERED),
        **kw,
    )


def order(*lines, placed=datetime(2026, 3, 1, tzinfo=UTC), currency="EUR"):
    return OrderForReturn(currency=currency, placed_at=placed, lines=tuple(lines))


def ask(line_id="L1", qty=1, reason=Reason.CHANGED_MIND, condition=Condition.UNWORN, exchange_for=None):
    return RequestedLine(line_id, qty, reason, condition, exchange_for)


NO_HISTORY = CustomerHistory()


def judge(policy, the_order, *request, history=NO_HISTORY, now=NOW):
    return judge_return(policy=policy, order=the_order, request=list(request), history=history, now=now)


def codes(decision, line_id="L1"):
    return [n.code for n in decision.line(line_id).reasons]


# -- money ---------------------------------------------------------------------------------------


def test_allocation_sums_exactly_and_gives_leftover_cents_to_the_largest_remainders():
    assert allocate(D("10.00"), [D(1), D(1), D(1)], "EUR") == [D("3.34"), D("3.33"), D("3.33")]
    assert allocate(D("-5.00"), [D(3), D(1)], "USD") == [D("-3.75"), D("-1.25")]
    assert allocate(D("100"), [D(1), D(2)], "JPY") == [D(33), D(67)]
    assert allocate(D("1.00"), [D(0), D(0)], "EUR") == [D("0.50"), D("0.50")]


def test_partial_returns_of_one_line_add_up_to_what_it_cost():
    parts = [unit_share(D("10.00"), 3, i, 1, "EUR") for i in range(3)]
    assert parts == [D("3.33"), D("3.33"), D("3.34")]
    assert sum(parts) == D("10.00")


def test_order_level_discount_tax_and_shipping_are_spread_over_lines():
    amounts = allocate_order_amounts(
        [D("60.00"), D("40.00")], currency="EUR", discount=D("10.00"), tax=D("18.00"), shipping=D("5.00")
    )
    assert [a.merchandise for a in amounts] == [D("54.00"), D("36.00")]
    assert [a.tax for a in amounts] == [D("10.80"), D("7.20")]
    assert [a.shipping for a in amounts] == [D("3.00"), D("2.00")]
    assert sum(a.paid for a in amounts) == D("113.00")


# -- the policy as data ----------------------------------------------------------------------------


FULL = {
    "version": 4,
    "window_days": 30,
    "category_windows": {"electronics": 14},
    "holiday_windows": [{"placed_from": "2026-11-15", "placed_to": "2026-12-24", "return_by": "2027-01-31"}],
    "timezone": "Europe/Madrid",
    "final_sale": {"tags": ["final-sale"], "categories": ["underwear"], "skus": ["GIFT-50"]},
    "max_units_per_line": 5,
    "max_units_per_return": 10,
    "conditions": {
        "accepted": ["new_with_tags", "unworn"],
        "by_category": {"books": ["new_with_tags", "used"]},
    },
    "return_fee": {"amount": "4.95", "waived_for_exchange": True, "waived_for_store_credit": True},
    "restocking_fees": {"electronics": "15"},
    "refund_shipping": "store_fault",
    "exchange": {
        "enabled": True,
        "same_product": True,
        "other_product": True,
        "difference_to": "store_credit",
        "excluded_categories": ["gift-cards"],
        "bonus": {"flat": "5.00", "percent": "0", "cap": None},
    },
    "store_credit": {"enabled": True, "bonus": {"flat": "0", "percent": "10", "cap": "25.00"}},
    "keep_it": {"max_value": "8.00"},
    "ship_back_days": 14,
    "abuse": {"max_returns": 6, "period_days": 180, "max_return_rate": "0.6", "min_orders": 4},
    "catalog": {"categories": {"P-TV": "electronics"}, "tags": {"SKU-CLEAR": ["final-sale"]}},
}


def test_policy_round_trips_through_its_json_form():
    policy = ReturnPolicy.from_dict(FULL)
    assert policy.version == 4
    assert policy.window_for("electronics") == 14
    assert policy.bonus_store_credit.cap == D("25.00")
    again = ReturnPolicy.from_dict(policy.to_dict())
    assert again == policy
    assert ReturnPolicy.from_dict(policy.to_dict(), version=5).version == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"window_days": -1}, "window_days"),
        ({"windw_days": 30}, "windw_days"),
        ({"return_fee": {"amount": "abc"}}, "return_fee.amount"),
        ({"store_credit": {"bonus": {"percent": "150"}}}, "store_credit.bonus.percent"),
        ({"conditions": {"accepted": ["mint"]}}, "conditions.accepted"),
        (
            {
                "holiday_windows": [
                    {"placed_from": "2026-12-24", "placed_to": "2026-11-01", "return_by": "2027-01-31"}
                ]
            },
            "holiday_windows[0].placed_to",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"exchange": {"difference_to": "cash"}}, "exchange.difference_to"),
    ],
)
def test_invalid_policy_data_names_the_field(data, field):
    with pytest.raises(PolicyError) as caught:
        ReturnPolicy.from_dict(data)
    assert caught.value.field == field


# -- eligibility -------------------------------------------------------------------------------------


def test_window_counts_from_delivery_and_says_when_it_closed():
    policy = ReturnPolicy(window_days=7)
    decision = judge(policy, order(line()), ask())
    assert not decision.eligible
    assert decision.line("L1").reasons[0].text == "not eligible: window closed on 12 March 2026"
    assert judge(ReturnPolicy(window_days=15), order(line()), ask()).eligible


def test_category_window_overrides_the_default():
    policy = ReturnPolicy(window_days=30, category_windows={"electronics": 14})
    assert "window_closed" in codes(judge(policy, order(line(category="electronics")), ask()))
    assert judge(policy, order(line(category="shoes")), ask()).eligible


def test_holiday_orders_get_the_later_deadline():
    policy = ReturnPolicy.from_dict(
        {
            "window_days": 7,
            "holiday_windows": [
                {"placed_from": "2026-02-20", "placed_to": "2026-03-02", "return_by": "2026-04-15"}
            ],
        }
    )
    decision = judge(policy, order(line()), ask())
    assert decision.eligible
    assert decision.line("L1").reasons[0].text == "eligible: returnable until 15 April 2026"
    late = judge(policy, order(line(), placed=datetime(2026, 3, 3, tzinfo=UTC)), ask())
    assert "window_closed" in codes(late)


def test_undelivered_items_cannot_come_back_yet():
    assert codes(judge(ReturnPolicy(), order(line(delivered_at=None)), ask())) == ["not_delivered"]


@pytest.mark.parametrize(
    "item",
    [dict(tags=frozenset({"final-sale"})), dict(category="underwear"), dict(sku="GIFT-50")],
)
def test_final_sale_by_tag_category_or_sku(item):
    policy = ReturnPolicy.from_dict(FULL)
    decision = judge(policy, order(line(**item)), ask())
    assert decision.line("L1").reasons[0].text == "not eligible: final sale"


def test_categories_and_tags_come_from_the_policy_catalogue_when_the_order_has_none():
    policy = ReturnPolicy.from_dict(FULL)
    recent = datetime(2026, 3, 15, tzinfo=UTC)
    tv = judge(policy, order(line(product_id="P-TV", merch="100.00", delivered_at=recent)), ask()).line("L1")
    assert tv.offer(OfferKind.REFUND).restocking_fee == D("15.00")
    assert codes(judge(policy, order(line(sku="SKU-CLEAR")), ask())) == ["final_sale"]


def test_quantity_limits_and_what_is_left_to_return():
    policy = ReturnPolicy(max_units_per_line=2, max_units_per_return=3)
    the_order = order(line(qty=4), line("L2", qty=3, returned_quantity=1), line("L3", returned_quantity=1))
    decision = judge(policy, the_order, ask(qty=3), ask("L2", qty=3), ask("L3"), ask("L9"))
    assert "quantity_limit" in codes(decision, "L1")
    assert decision.line("L2").reasons[0].text == "not eligible: only 2 of 3 left to return"
    assert codes(decision, "L3") == ["already_returned"]
    assert codes(decision, "L9") == ["unknown_line"]
    assert [p.code for p in decision.problems] == ["too_many_units"]


def test_units_never_sent_cannot_come_back():
    the_order = order(line(qty=3, unsent_quantity=1), line("L2", unsent_quantity=1))
    decision = judge(ReturnPolicy(), the_order, ask(qty=3), ask("L2"))
    assert decision.line("L1").reasons[0].text == "not eligible: only 2 of 2 left to return"
    assert codes(decision, "L2") == ["not_sent"]
    assert judge(ReturnPolicy(), the_order, ask(qty=2)).eligible


def test_condition_rules_except_when_the_store_is_at_fault():
    policy = ReturnPolicy.from_dict(FULL)
    used = judge(policy, order(line()), ask(condition=Condition.USED))
    assert codes(used) == ["condition_not_accepted"]
    assert (
        used.line("L1").reasons[0].text == "not eligible: items must be new with tags or unworn to come back"
    )
    assert judge(policy, order(line(category="books")), ask(condition=Condition.USED)).eligible
    assert judge(policy, order(line()), ask(reason=Reason.DEFECTIVE, condition=Condition.USED)).eligible


# -- money of the offers -------------------------------------------------------------------------------


def test_offers_come_exchange_first_then_credit_with_bonus_then_refund_minus_fee():
    policy = ReturnPolicy.from_dict(FULL)
    decision = judge(policy, order(line(merch="80.00", tax="16.00", ship="4.00")), ask())
    offers = decision.line("L1").offers
    assert [o.kind for o in offers] == [OfferKind.EXCHANGE, OfferKind.STORE_CREDIT, OfferKind.REFUND]
    exchange, credit, refund = offers
    assert decision.line("L1").value == D("100.00")
    # Shipping comes back only when the store is at fault.
    assert refund.value == D("96.00")
    assert (exchange.amount, exchange.bonus, exchange.fee) == (D("101.00"), D("5.00"), D("0"))
    assert (credit.amount, credit.bonus, credit.fee) == (D("105.60"), D("9.60"), D("0"))
    assert (refund.amount, refund.fee) == (D("91.05"), D("4.95"))
    assert refund.deadline == date(2026, 4, 3)
    assert [o.kind for o in decision.offers] == [OfferKind.EXCHANGE, OfferKind.STORE_CREDIT, OfferKind.REFUND]


def test_store_fault_refunds_shipping_and_waives_the_fee():
    policy = ReturnPolicy.from_dict(FULL)
    refund = judge(policy, order(line(merch="80.00", tax="16.00", ship="4.00")), ask(reason=Reason.DAMAGED))
    offer = refund.line("L1").offer(OfferKind.REFUND)
    assert (offer.amount, offer.fee) == (D("100.00"), D("0"))


def test_fee_waiver_for_credit_is_configurable_and_the_fee_is_once_per_return():
    policy = ReturnPolicy(return_fee=D("6.00"), fee_waived_for_store_credit=False)
    decision = judge(policy, order(line(merch="30.00"), line("L2", merch="60.00")), ask(), ask("L2"))
    fees = [decision.line(i).offer(OfferKind.STORE_CREDIT).fee for i in ("L1", "L2")]
    assert fees == [D("2.00"), D("4.00")]
    assert decision.offers[1].fee == D("6.00")


def test_restocking_fee_per_category_on_refunds_only():
    policy = ReturnPolicy(restocking_fees={"electronics": D("15")}, window_days=30)
    decision = judge(policy, order(line(merch="200.00", category="electronics")), ask())
    line_decision = decision.line("L1")
    assert line_decision.offer(OfferKind.REFUND).amount == D("170.00")
    assert line_decision.offer(OfferKind.STORE_CREDIT).amount == D("200.00")


def test_bonus_is_capped_per_return():
    policy = ReturnPolicy.from_dict(FULL)
    decision = judge(policy, order(line(merch="200.00"), line("L2", merch="200.00")), ask(), ask("L2"))
    bonuses = [decision.line(i).offer(OfferKind.STORE_CREDIT).bonus for i in ("L1", "L2")]
    assert bonuses == [D("12.50"), D("12.50")]


def test_exchange_for_a_dearer_product_charges_the_difference():
    policy = ReturnPolicy.from_dict(FULL)
    target = ExchangeTarget(product_id="P-other", variant="L", unit_price=D("120.00"))
    offer = judge(policy, order(line()), ask(exchange_for=target)).line("L1").offer(OfferKind.EXCHANGE)
    assert (offer.amount, offer.charge, offer.difference_back) == (D("105.00"), D("15.00"), D("0"))


def test_exchange_for_a_cheaper_one_gives_back_the_difference_without_the_bonus():
    policy = ReturnPolicy.from_dict(FULL)
    target = ExchangeTarget(product_id="P-L1", variant="S", unit_price=D("70.00"))
    decision = judge(policy, order(line()), ask(exchange_for=target))
    offer = decision.line("L1").offer(OfferKind.EXCHANGE)
    assert (offer.charge, offer.difference_back, offer.difference_to) == (D("0"), D("30.00"), "store_credit")
    settled = settle(decision, {"L1": OfferKind.EXCHANGE})
    assert (settled.exchange_credit, settled.store_credit, settled.refund) == (D("70.00"), D("30.00"), D("0"))


def test_exchange_rules_restrict_what_can_replace_an_item():
    no_other = ReturnPolicy(exchange=ReturnPolicy().exchange.__class__(other_product=False))
    target = ExchangeTarget(product_id="P-other", variant="M", unit_price=D("10"))
    decision = judge(no_other, order(line()), ask(exchange_for=target))
    assert decision.line("L1").offer(OfferKind.EXCHANGE) is None
    assert "no_exchange" in codes(decision)
    same = ExchangeTarget(product_id="P-L1", variant="L", unit_price=D("100"))
    assert judge(no_other, order(line()), ask(exchange_for=same)).line("L1").offer(OfferKind.EXCHANGE)
    excluded = ReturnPolicy.from_dict(FULL)
    assert (
        judge(excluded, order(line(category="gift-cards")), ask()).line("L1").offer(OfferKind.EXCHANGE)
        is None
    )


def test_keep_it_under_the_threshold_needs_no_send_back():
    policy = ReturnPolicy.from_dict(FULL)
    decision = judge(policy, order(line(merch="7.50"), line("L2")), ask(), ask("L2"))
    cheap = decision.line("L1").offer(OfferKind.REFUND)
    assert cheap.keep_item and cheap.deadline is None
    assert not decision.line("L2").offer(OfferKind.REFUND).keep_item


def test_abuse_limits_send_the_return_to_manual_review():
    policy = ReturnPolicy.from_dict(FULL)
    recent = tuple(datetime(2026, 2, d, tzinfo=UTC) for d in range(1, 7))
    busy = judge(policy, order(line()), ask(), history=CustomerHistory(return_times=recent))
    assert busy.needs_review
    assert busy.review_reasons[0].text == "manual review: 6 returns in the last 180 days (limit 6)"
    rate = judge(policy, order(line()), ask(), history=CustomerHistory(orders=5, orders_with_returns=4))
    assert rate.needs_review and rate.review_reasons[0].code == "return_rate"
    calm = judge(
        policy, order(line()), ask(), history=CustomerHistory(recent[:2], orders=5, orders_with_returns=2)
    )
    assert not calm.needs_review


def test_settle_refuses_a_choice_that_was_not_offered():
    policy = ReturnPolicy(store_credit_enabled=False)
    decision = judge(policy, order(line()), ask())
    with pytest.raises(SettleError):
        settle(decision, {"L1": OfferKind.STORE_CREDIT})
    with pytest.raises(SettleError):
        settle(decision, {})
