"""Exchanges for another product in the portal: the store's rule (same category, a price band)
picks the products it has sold; their cards come after the variants' and before credit and
refund, each with what the shopper gets, the difference and when it ships; the choice goes
through the same submission and the API's quote accepts exactly those."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import Return
from tests.integration.test_returns_api import place
from tests.integration.test_returns_flow import POLICY, put, sandbox_labels  # noqa: F401

pytestmark = pytest.mark.django_db

CATALOG = {"JKT": "outerwear", "PARKA": "outerwear", "COAT": "outerwear", "TEE2": "tops"}


@pytest.fixture
def shop(api, put):  # noqa: F811
    rules = {"exchange": {"other_products": {"same_category": True, "price_band": "10"}}}
    saved = put("/api/v1/returns/policy", {**POLICY, **rules, "catalog": {"categories": CATALOG}})
    assert saved.status_code == 201, saved.content
    order = place(api)  # a rain jacket in M, 120.00
    other = {
        "order_id": "2002",
        "number": "#2002",
        "placed_at": timezone.now().isoformat(),
        "currency": "EUR",
        "lines": [
            {"line_id": "A", "sku": "JKT-S", "product_id": "JKT", "variant": "S", "title": "Rain jacket",
             "unit_price": "120.00"},
            {"line_id": "B", "sku": "PARKA-L", "product_id": "PARKA", "variant": "L", "title": "Parka",
             "unit_price": "125.00"},
            {"line_id": "C", "sku": "COAT", "product_id": "COAT", "variant": "", "title": "Wool coat",
             "unit_price": "200.00"},
            {"line_id": "D", "sku": "TEE2-M", "product_id": "TEE2", "variant": "M", "title": "Linen tee",
             "unit_price": "120.00"},
        ],
    }  # fmt: skip
    assert api.post("/api/v1/orders", other).status_code == 201
    return (
        Order.objects.get(pk=order.pk) if isinstance(order, Order) else Order.objects.get(external_id="1001")
    )


STEP_ONE = {"line-0": "L1", "qty-0": "1", "reason-0": "size_too_small", "lang": "en"}


def test_other_product_cards_follow_the_variants_and_come_before_credit_and_refund(shop, client):
    review = client.get(f"/returns/{make_tracking_token(shop)}/review", STEP_ONE)
    assert review.status_code == 200
    page = review.content.decode()
    cards = re.findall(r'name="choice-0" value="([^"]+)"', page)
    # The coat is 67 % dearer (outside 10 %), the tee another category.
    assert cards == ["exchange:S", "exchange:PARKA/L", "store_credit", "refund"]
    card = page[page.index('value="exchange:PARKA/L"') : page.index('value="store_credit"')]
    assert "Exchange for another product: Parka (L)" in card
    assert "You get: Parka (L)" in card
    assert "You pay the difference: €5.00" in card
    assert "We send it once we have received and checked your return." in card


def test_choosing_another_product_makes_that_exchange_with_its_difference(shop, client, api):
    token = make_tracking_token(shop)
    page = client.get(f"/returns/{token}/review", STEP_ONE).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken", None)
    response = client.post(
        f"/returns/{token}/submit?lang=en", {**hidden, "choice-0": "exchange:PARKA/L", "method": "label"}
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    ret = Return.objects.get()
    line = ret.lines.get()
    assert line.resolution == "exchange"
    assert line.exchange_for == {
        "product_id": "PARKA",
        "variant": "L",
        "sku": "PARKA-L",
        "unit_price": "125.00",
        "title": "Parka",
    }
    assert line.charge_amount == Decimal("5.00")
    status = client.get(f"/returns/{token}/{ret.rma}?lang=en").content.decode()
    assert "You get: Parka (L)" in status and "You pay the difference: €5.00" in status


def test_a_product_the_rule_refuses_cannot_be_posted(shop, client):
    token = make_tracking_token(shop)
    page = client.get(f"/returns/{token}/review", STEP_ONE).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken", None)
    response = client.post(
        f"/returns/{token}/submit?lang=en", {**hidden, "choice-0": "exchange:COAT/COAT", "method": "label"}
    )
    assert response.status_code == 400
    assert Return.objects.count() == 0


def test_the_api_accepts_the_cards_and_refuses_what_the_rule_refuses(shop, api):
    def quoted(product_id, variant, sku, price):
        target = {"product_id": product_id, "variant": variant, "sku": sku, "unit_price": price}
        line = {"line_id": "L1", "reason": "size_too_small", "resolution": "exchange", "exchange_for": target}
        response = api.post("/api/v1/returns/quote", {"order_id": "1001", "lines": [line]})
        assert response.status_code == 200, response.content
        return response.json()["lines"][0]

    parka = quoted("PARKA", "L", "PARKA-L", "125.00")
    assert parka["offers"][0]["kind"] == "exchange" and parka["offers"][0]["charge"] == "5.00"
    tee = quoted("TEE2", "M", "TEE2-M", "120.00")
    assert "exchange" not in [o["kind"] for o in tee["offers"]]
    assert "other_category" in [r["code"] for r in tee["reasons"]]
    coat = quoted("COAT", "", "COAT", "200.00")
    assert "price_band" in [r["code"] for r in coat["reasons"]]
