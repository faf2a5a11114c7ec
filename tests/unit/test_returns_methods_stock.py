"""Return methods in the policy, stock for exchanges, carrier events on a return's own parcel, and
which milestones each step of a return reaches: the pure decisions behind the returns backend."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aftercart.domain.milestones import RETURN_CUSTOMER, RETURN_WEBHOOK, Milestone
from aftercart.domain.returns import (
    CustomerHistory,
    ExchangeTarget,
    OfferKind,
    PolicyError,
    Reason,
    RequestedLine,
    ReturnMethod,
    ReturnPolicy,
    StockLevels,
    judge_return,
)
from aftercart.domain.returns.lifecycle import ReturnEvent, ReturnStatus, carrier_event
from aftercart.domain.returns.notices import EXCHANGE_RELEASED, REQUESTED, milestones_for_step
from tests.unit.test_returns_policy import NOW, line, order

S, E, M = ReturnStatus, ReturnEvent, Milestone


# -- methods, address and instant exchange in the policy's JSON ---------------------------------------


def test_methods_default_to_label_and_dropoff_and_round_trip():
    assert ReturnPolicy().methods == {ReturnMethod.LABEL, ReturnMethod.DROPOFF}
    policy = ReturnPolicy.from_dict(
        {
            "methods": ["in_store", "label"],
            "return_address": ["Acme", "1 Dock Rd"],
            "exchange": {"instant": True},
        }
    )
    assert policy.methods == {ReturnMethod.IN_STORE, ReturnMethod.LABEL}
    assert policy.return_address == ("Acme", "1 Dock Rd") and policy.exchange.instant
    data = policy.to_dict()
    assert data["methods"] == ["label", "in_store"], "a fixed order: label, drop-off, store"
    assert ReturnPolicy.from_dict(data) == policy


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"methods": ["by_pigeon"]}, "methods"),
        ({"methods": []}, "methods"),
        ({"methods": "label"}, "methods"),
        ({"return_address": [1, 2]}, "return_address"),
        ({"exchange": {"instant": "yes"}}, "exchange.instant"),
    ],
)
def test_bad_methods_address_or_instant_flag_name_the_field(data, field):
    with pytest.raises(PolicyError) as error:
        ReturnPolicy.from_dict(data)
    assert error.value.field == field


# -- stock --------------------------------------------------------------------------------------------


def test_stock_by_sku_wins_over_the_variant_and_unknown_items_are_available():
    stock = StockLevels(by_sku={"JKT-L": 0, "JKT-XL": 3}, by_variant={("JKT", "L"): 9, ("JKT", "S"): -2})
    assert stock.available(product_id="JKT", variant="L", sku="JKT-L") == 0
    assert stock.available(product_id="JKT", variant="L") == 9
    assert stock.available(product_id="JKT", variant="S") == 0, "oversold counts as none"
    assert stock.available(product_id="JKT", variant="M") is None
    assert stock.has(product_id="JKT", variant="M", quantity=50), "never fed: taken to be available"
    assert not stock.has(product_id="JKT", variant="XL", sku="JKT-XL", quantity=4)


def _judge(stock, quantity=1):
    target = ExchangeTarget(product_id="P-L1", variant="L", sku="SKU-L1-L", unit_price=D("100.00"))
    request = RequestedLine("L1", quantity, Reason.SIZE_TOO_SMALL, exchange_for=target)
    return judge_return(
        policy=ReturnPolicy(),
        order=order(line(qty=2)),
        request=[request],
        history=CustomerHistory(),
        now=NOW,
        stock=stock,
    )


def test_an_exchange_is_offered_only_when_the_replacement_is_in_stock():
    offered = _judge(StockLevels(by_sku={"SKU-L1-L": 1})).line("L1")
    assert offered.offers[0].kind == OfferKind.EXCHANGE

    short = _judge(StockLevels(by_sku={"SKU-L1-L": 1}), quantity=2).line("L1")
    assert [o.kind for o in short.offers] == [OfferKind.STORE_CREDIT, OfferKind.REFUND], "next offer leads"
    note = next(n for n in short.reasons if n.code == "out_of_stock")
    assert note.text == "exchange not possible: L is out of stock"
    assert note.params == {"item": "L", "available": "1", "asked": "2"}
    assert short.eligible, "the line may still come back, for credit or a refund"

    assert _judge(None).line("L1").offers[0].kind == OfferKind.EXCHANGE, "no feed: no refusal"


# -- the return's own parcel -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "tag", "event"),
    [
        (S.LABEL_ISSUED, "in_transit", E.MARK_IN_TRANSIT),
        (S.APPROVED, "in_transit", E.MARK_IN_TRANSIT),  # a drop-off scanned at the counter
        (S.LABEL_ISSUED, "out_for_delivery", E.MARK_IN_TRANSIT),
        (S.LABEL_ISSUED, "delivered", E.MARK_RECEIVED),  # the first news is the delivery
        (S.IN_TRANSIT, "delivered", E.MARK_RECEIVED),
        (S.IN_TRANSIT, "in_transit", None),  # already in transit
        (S.LABEL_ISSUED, "info_received", None),  # a label printed is not a scan
        (S.LABEL_ISSUED, "pending", None),
        (S.RECEIVED, "in_transit", None),  # late news, older than what we know
        (S.RECEIVED, "delivered", None),
        (S.REQUESTED, "delivered", None),  # not approved: the warehouse decides, not the carrier
        (S.CANCELLED, "in_transit", None),
        (S.RESOLVED, "delivered", None),
    ],
)
def test_carrier_events_move_a_return_forward_only(status, tag, event):
    assert carrier_event(status, tag) == event


# -- milestones of each step ----------------------------------------------------------------------------


def test_each_step_reaches_its_milestones():
    assert milestones_for_step(REQUESTED, S.REQUESTED) == [M.RETURN_CREATED, M.RETURN_REQUESTED]
    assert milestones_for_step("approve", S.APPROVED) == [M.RETURN_APPROVED]
    assert milestones_for_step("issue_label", S.LABEL_ISSUED) == [M.LABEL_READY]
    assert milestones_for_step("mark_in_transit", S.IN_TRANSIT) == []
    assert milestones_for_step("mark_received", S.RECEIVED) == [M.RETURN_RECEIVED]
    assert milestones_for_step("inspect", S.INSPECTED) == []
    assert milestones_for_step("inspect", S.REJECTED) == [M.RETURN_REJECTED]
    assert milestones_for_step("reject", S.REJECTED) == [M.RETURN_REJECTED]
    assert milestones_for_step("cancel", S.CANCELLED) == []
    assert milestones_for_step(EXCHANGE_RELEASED, S.IN_TRANSIT) == [M.EXCHANGE_SHIPPED]
    assert milestones_for_step("resolve", S.RESOLVED, refund=True, credit=True, exchange_created=True) == [
        M.REFUND_ISSUED,
        M.CREDIT_ISSUED,
        M.EXCHANGE_SHIPPED,
        M.RETURN_RESOLVED,
    ]
    # An instant exchange already shipped: resolving does not announce it again.
    assert milestones_for_step("resolve", S.RESOLVED, credit=True) == [M.CREDIT_ISSUED, M.RETURN_RESOLVED]


def test_customer_and_webhook_return_milestones_are_apart():
    assert RETURN_CUSTOMER & set(RETURN_WEBHOOK) == {M.RETURN_RECEIVED}, "received is news for both"
    assert set(RETURN_WEBHOOK.values()) == {
        "return.created",
        "return.approved",
        "return.received",
        "return.resolved",
    }
