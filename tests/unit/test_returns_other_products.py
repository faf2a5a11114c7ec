"""Exchanges for another product: the store's rule (same category, a price band), the
candidates the portal offers and the judgement's acceptance are one rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.returns import (
    CustomerHistory,
    ExchangeTarget,
    KnownProduct,
    LineAmounts,
    OfferKind,
    OrderForReturn,
    PaidLine,
    PolicyError,
    Reason,
    RequestedLine,
    ReturnPolicy,
    StockLevels,
    exchange_products,
    judge_return,
)

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
NO_STOCK = StockLevels()
CATALOG = {"JKT": "outerwear", "PARKA": "outerwear", "COAT": "outerwear", "VEST": "outerwear", "TEE": "tops"}
SOLD = [
    KnownProduct("PARKA", "M", D("110.00"), sku="PARKA-M", title="Parka"),
    KnownProduct("PARKA", "L", D("110.00"), sku="PARKA-L", title="Parka"),
    KnownProduct("COAT", "", D("140.00"), sku="COAT", title="Wool coat"),
    KnownProduct("VEST", "M", D("60.00"), sku="VEST-M", title="Vest"),
    KnownProduct("TEE", "M", D("120.00"), sku="TEE-M", title="Tee"),
    KnownProduct("JKT", "L", D("120.00"), sku="JKT-L", title="Rain jacket"),
]


def policy(band="10", same_category=True, **exchange):
    return ReturnPolicy.from_dict(
        {
            "exchange": {"other_products": {"same_category": same_category, "price_band": band}, **exchange},
            "catalog": {"categories": CATALOG},
        }
    )


def line(price=D("120.00")):
    return PaidLine(
        line_id="L1",
        quantity=1,
        amounts=LineAmounts(merchandise=price),
        sku="JKT-M",
        product_id="JKT",
        variant="M",
        unit_price=price,
        delivered_at=NOW - timedelta(days=2),
    )


def candidates(pol, stock=NO_STOCK, known=SOLD, price=D("120.00"), category="outerwear"):
    return exchange_products(known, stock, policy=pol, product_id="JKT", category=category, unit_price=price)


def judged(pol, target, stock=NO_STOCK, price=D("120.00")):
    order = OrderForReturn(currency="EUR", placed_at=NOW - timedelta(days=5), lines=(line(price),))
    asked = RequestedLine("L1", 1, Reason.CHANGED_MIND, exchange_for=target)
    decision = judge_return(
        policy=pol, order=order, request=[asked], history=CustomerHistory(), now=NOW, stock=stock
    )
    verdict = decision.line("L1")
    assert verdict is not None
    return verdict


def test_same_category_within_the_band_closest_price_first():
    found = [(p.product_id, p.variant) for p in candidates(policy("10"))]
    # The coat (+16.7 %) is outside 10 %, the vest (-50 %) too; the tee is another category; the
    # jacket is the line's own product (its sizes are the variant cards).
    assert found == [("PARKA", "L"), ("PARKA", "M")]
    assert [p.product_id for p in candidates(policy("20"))] == ["PARKA", "PARKA", "COAT"]
    assert [p.product_id for p in candidates(policy("0"))] == []


def test_without_same_category_other_categories_come_too():
    assert "TEE" in {p.product_id for p in candidates(policy("10", same_category=False))}


def test_no_rule_no_category_or_exchanges_off_offer_none():
    assert candidates(ReturnPolicy.from_dict({"catalog": {"categories": CATALOG}})) == []
    assert candidates(policy(), category="") == [], "an uncategorised line matches no category"
    assert candidates(policy(other_product=False)) == []
    assert candidates(policy(enabled=False)) == []
    assert candidates(policy(), price=None) == [], "a line of unknown price cannot be compared"


def test_what_the_feed_says_is_out_is_not_offered_and_unfed_is():
    stock = StockLevels(by_sku={"PARKA-L": 0})
    assert [(p.product_id, p.variant) for p in candidates(policy(), stock)] == [("PARKA", "M")]


def test_the_rule_round_trips_and_refuses_bad_data():
    pol = policy("15")
    assert ReturnPolicy.from_dict(pol.to_dict()) == pol
    assert ReturnPolicy.from_dict(ReturnPolicy().to_dict()).exchange.other_products is None
    with pytest.raises(PolicyError) as bad:
        ReturnPolicy.from_dict({"exchange": {"other_products": {"price_band": "150"}}})
    assert bad.value.field == "exchange.other_products.price_band"
    with pytest.raises(PolicyError) as unknown:
        ReturnPolicy.from_dict({"exchange": {"other_products": {"categories": ["x"]}}})
    assert unknown.value.field == "exchange.other_products.categories"


def test_the_judgement_refuses_what_the_rule_refuses_and_settles_the_difference():
    pol = policy("20")
    tee = judged(pol, ExchangeTarget("TEE", "M", D("120.00"), sku="TEE-M"))
    assert tee.offer(OfferKind.EXCHANGE) is None
    assert any(n.code == "other_category" for n in tee.reasons)
    coat = judged(pol, ExchangeTarget("COAT", "", D("140.00"), sku="COAT")).offer(OfferKind.EXCHANGE)
    assert coat is not None and coat.charge == D("20.00"), "the dearer coat: the difference is charged"
    vest = judged(policy("50"), ExchangeTarget("VEST", "M", D("60.00"))).offer(OfferKind.EXCHANGE)
    assert vest is not None and vest.difference_back == D("60.00")
    # Without a rule, the API's named other products are accepted as before.
    free = ReturnPolicy.from_dict({})
    assert judged(free, ExchangeTarget("TEE", "M", D("999.00"))).offer(OfferKind.EXCHANGE) is not None


@given(
    band=st.sampled_from(["0", "5", "10", "25", "60", "100"]),
    same_category=st.booleans(),
    prices=st.lists(st.integers(1, 30_000).map(lambda c: D(c) / 100), min_size=1, max_size=6),
    levels=st.dictionaries(st.sampled_from(["P0", "P1", "P2", "P3", "P4", "P5"]), st.integers(-2, 3)),
    line_price=st.integers(1, 30_000).map(lambda c: D(c) / 100),
    quantity=st.integers(1, 3),
)
def test_every_product_offered_is_accepted_by_the_judgement(
    band, same_category, prices, levels, line_price, quantity
):
    """The portal's other-product cards and the judgement (the API's quote and request) agree:
    each candidate, asked for by name, gets an exchange offer; and any product the store sells
    that the judgement would accept within the limit is among them."""
    categories = {**CATALOG, **{f"P{i}": ("outerwear" if i % 2 else "tops") for i in range(6)}}
    pol = ReturnPolicy.from_dict(
        {
            "exchange": {"other_products": {"same_category": same_category, "price_band": band}},
            "catalog": {"categories": categories},
        }
    )
    known = [KnownProduct(f"P{i}", "", p, sku=f"P{i}", title=f"Product {i}") for i, p in enumerate(prices)]
    stock = StockLevels(by_sku=levels)
    found = exchange_products(
        known,
        stock,
        policy=pol,
        product_id="JKT",
        category="outerwear",
        unit_price=line_price,
        quantity=quantity,
        limit=10,
    )
    order = OrderForReturn(
        currency="EUR",
        placed_at=NOW - timedelta(days=5),
        lines=(
            PaidLine(
                line_id="L1",
                quantity=quantity,
                amounts=LineAmounts(merchandise=line_price * quantity),
                sku="JKT-M",
                product_id="JKT",
                variant="M",
                unit_price=line_price,
                delivered_at=NOW - timedelta(days=2),
            ),
        ),
    )
    for item in known:
        target = ExchangeTarget(item.product_id, item.variant, item.unit_price, sku=item.sku)
        asked = RequestedLine("L1", quantity, Reason.CHANGED_MIND, exchange_for=target)
        decision = judge_return(
            policy=pol, order=order, request=[asked], history=CustomerHistory(), now=NOW, stock=stock
        )
        verdict = decision.line("L1")
        accepted = verdict is not None and verdict.offer(OfferKind.EXCHANGE) is not None
        assert (item in found) == accepted, (item, band, same_category)
