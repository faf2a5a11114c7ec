"""Exchange first, and instructions that match the method: the pure rules behind them.

- which variants a line may be exchanged for (unknown stock counts as available, as the inventory
  API documents and the judgement applies);
- how the items go back, per method, in the return's next step;
- which return e-mails are stale once the return has moved on.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.milestones import RETURN_CUSTOMER, Milestone
from aftercart.domain.returns import KnownVariant, ReturnMethod, StockLevels, exchange_variants
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.domain.returns.next_step import (
    ReturnActionCode,
    ReturnStepCode,
    return_next_step,
    send_instructions,
)
from aftercart.domain.returns.notices import return_stale_reason

JACKET = [KnownVariant("JKT", v, f"JKT-{v}") for v in ("S", "M", "L", "XL")]


def offered(stock: StockLevels, known=JACKET, variant: str = "M", quantity: int = 1) -> list[str]:
    return [
        v.variant
        for v in exchange_variants(known, stock, product_id="JKT", variant=variant, quantity=quantity)
    ]


def test_with_no_stock_feed_every_other_variant_is_offered():
    assert offered(StockLevels()) == ["L", "S", "XL"]


def test_a_variant_the_feed_says_is_out_is_not_offered_and_unfed_ones_still_are():
    stock = StockLevels(by_sku={"JKT-L": 0, "JKT-XL": 2})
    assert offered(stock) == ["S", "XL"], "L is sold out; S was never fed: available"
    assert offered(stock, quantity=3) == ["S"], "two XL are not enough for three"


def test_the_variant_figure_counts_when_the_feed_names_no_sku():
    stock = StockLevels(by_variant={("JKT", "S"): 0})
    sold = [KnownVariant("JKT", "S"), KnownVariant("JKT", "L")]
    assert offered(stock, sold) == ["L"]


def test_a_variant_known_from_orders_without_its_sku_is_judged_by_the_feeds_figure():
    # The feed has JKT-L at zero; an order line named the variant L without a SKU.
    known = [KnownVariant("JKT", "L", "JKT-L"), KnownVariant("JKT", "L", "")]
    assert offered(StockLevels(by_sku={"JKT-L": 0}), known) == []
    assert offered(StockLevels(), known) == ["L"]


def test_one_sku_for_all_variants_still_offers_the_other_sizes():
    shared = [KnownVariant("TEE", v, "TEE-01") for v in ("S", "M", "L")]
    found = exchange_variants(shared, StockLevels(), product_id="TEE", variant="M")
    assert [v.variant for v in found] == ["L", "S"]


def test_other_products_and_unnamed_variants_are_not_variants_of_the_line():
    known = [*JACKET, KnownVariant("SCK", "L"), KnownVariant("JKT", "")]
    assert offered(StockLevels(), known) == ["L", "S", "XL"]


@given(
    levels=st.dictionaries(st.sampled_from(["JKT-S", "JKT-L", "JKT-XL"]), st.integers(-3, 5)),
    quantity=st.integers(1, 4),
)
def test_offered_is_exactly_what_the_judgement_would_accept(levels, quantity):
    """The portal's list and the judgement's stock rule are one rule: a variant is listed iff
    :meth:`StockLevels.has` says the units can be promised (unknown: yes)."""
    stock = StockLevels(by_sku=levels)
    listed = set(offered(stock, quantity=quantity))
    for v in JACKET:
        if v.variant == "M":
            continue
        promised = stock.has(product_id="JKT", variant=v.variant, sku=v.sku, quantity=quantity)
        assert (v.variant in listed) == promised
        assert promised == (v.sku not in levels or levels[v.sku] >= quantity)


# -- instructions by method --------------------------------------------------------------------------

PRINT = re.compile(r"\bprint\b", re.IGNORECASE)


@pytest.mark.parametrize("status", list(ReturnStatus))
@pytest.mark.parametrize("method", list(ReturnMethod))
def test_the_next_step_never_tells_another_methods_way(method, status):
    step = return_next_step(
        status, rma="R-1", ship_by=date(2026, 4, 3), method=method, location="Acme Leeds, 12 Briggate"
    )
    text = " ".join((step.headline, *step.detail))
    if method is not ReturnMethod.LABEL:
        assert not PRINT.search(text) and ReturnActionCode.GET_LABEL not in [a.code for a in step.actions]
    if method is not ReturnMethod.DROPOFF:
        assert "QR" not in text and ReturnActionCode.SHOW_QR not in [a.code for a in step.actions]
    if method is ReturnMethod.IN_STORE and step.code is ReturnStepCode.APPROVED:
        assert "{location}" in step.detail[0] and "{rma}" in step.detail[0]
        assert step.params["location"] == "Acme Leeds, 12 Briggate"


def test_each_method_says_what_to_do_once_issued_and_before():
    assert send_instructions(ReturnMethod.LABEL, issued=True).action is ReturnActionCode.GET_LABEL
    assert send_instructions(ReturnMethod.DROPOFF, issued=True).action is ReturnActionCode.SHOW_QR
    # Before the label or the code exists there is nothing to download or show.
    assert send_instructions(ReturnMethod.LABEL, issued=False).action is None
    assert send_instructions(ReturnMethod.DROPOFF, issued=False).action is None
    store = send_instructions(ReturnMethod.IN_STORE, issued=False)
    assert "one of our stores" in store.dated and "{location}" not in store.dated
    assert "{location}" in send_instructions(ReturnMethod.IN_STORE, issued=False, location="Desk 2").dated
    assert send_instructions("by_pigeon", issued=True) == send_instructions(ReturnMethod.LABEL, issued=True)


def test_a_kept_item_is_never_asked_to_travel():
    for method in ReturnMethod:
        step = return_next_step(ReturnStatus.APPROVED, rma="R-1", keep_items=True, method=method)
        assert step.code is ReturnStepCode.KEEP_ITEMS and not step.actions


# -- stale return e-mails ----------------------------------------------------------------------------

S = ReturnStatus


@pytest.mark.parametrize(
    ("milestone", "news", "stale"),
    [
        (Milestone.LABEL_READY, [S.LABEL_ISSUED], [S.IN_TRANSIT, S.RECEIVED, S.RESOLVED, S.CANCELLED]),
        (Milestone.RETURN_REQUESTED, [S.REQUESTED, S.APPROVED, S.LABEL_ISSUED], [S.RECEIVED, S.REJECTED]),
        (Milestone.RETURN_RECEIVED, [S.RECEIVED, S.INSPECTED], [S.RESOLVED, S.REJECTED]),
        (Milestone.RETURN_REJECTED, [S.REJECTED], []),
    ],
)
def test_a_return_email_is_stale_once_the_return_moved_past_it(milestone, news, stale):
    assert all(return_stale_reason(milestone, s) == "" for s in news)
    for status in stale:
        assert return_stale_reason(milestone, status) == f"superseded by return {status.value}"


def test_settlement_emails_are_news_whatever_the_status():
    # A refund, credit or replacement issued stays true however the return moves on.
    for milestone in (Milestone.REFUND_ISSUED, Milestone.CREDIT_ISSUED, Milestone.EXCHANGE_SHIPPED):
        assert milestone in RETURN_CUSTOMER
        assert all(return_stale_reason(milestone, s) == "" for s in ReturnStatus)
