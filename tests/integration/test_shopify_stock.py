"""Shopify's product and inventory-level webhooks keep the stock exchanges are offered from: through
the real endpoint, signed as Shopify signs, down to the portal's exchange options."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from aftercart.domain.returns import ExchangeTarget, OfferKind, Reason, RequestedLine
from aftercart.orders.models import InboundDelivery
from aftercart.orders.selectors import order_state
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import StockLevel
from aftercart.returns.portal import exchange_options, quote, returnable_lines
from tests.integration.test_returns_portal import POLICY, place
from tests.integration.test_webhooks import shopify_post

pytestmark = pytest.mark.django_db


def jacket(*, updated_at="2026-03-01T10:00:00-05:00", quantities=(4, 2, 0)):
    """A product as ``products/create`` sends it (trimmed): the jacket of the returns tests in three
    sizes, each variant with its inventory item."""
    sizes = ("M", "L", "XL")
    return {
        "id": "JKT",
        "title": "Rain jacket",
        "updated_at": updated_at,
        "variants": [
            {
                "id": 100 + n,
                "product_id": "JKT",
                "title": size,
                "option1": size,
                "sku": f"JKT-{size}",
                "inventory_item_id": 9000 + n,
                "inventory_quantity": quantity,
                "inventory_management": "shopify",
            }
            for n, (size, quantity) in enumerate(zip(sizes, quantities, strict=True))
        ],
    }


def level(item, available, *, location=24826418, at="2026-03-01T12:00:00-05:00"):
    return {"inventory_item_id": item, "location_id": location, "available": available, "updated_at": at}


def post(client, store, topic, payload, webhook_id):
    response = shopify_post(client, store, topic, payload, webhook_id=webhook_id)
    assert response.status_code == 202, response.content
    return response.json()


def stock(sku):
    return StockLevel.objects.get(sku=sku)


def test_a_product_webhook_names_each_variant_with_its_inventory_item_and_count(client, store):
    answer = post(client, store, "products/create", jacket(), "p1")
    assert answer == {
        "duplicate": False,
        "topic": "products/create",
        "updated": 3,
        "stale": 0,
        "untracked": 0,
        "unknown_items": [],
    }
    rows = {r.sku: r for r in StockLevel.objects.filter(store=store)}
    assert {sku: (r.product_id, r.variant, r.inventory_item_id, r.available) for sku, r in rows.items()} == {
        "JKT-M": ("JKT", "M", "9000", 4),
        "JKT-L": ("JKT", "L", "9001", 2),
        "JKT-XL": ("JKT", "XL", "9002", 0),
    }
    # An update renames a variant's SKU: the same row (found by its inventory item) follows it.
    renamed = jacket(updated_at="2026-03-02T10:00:00-05:00", quantities=(4, 7, 0))
    renamed["variants"][1]["sku"] = "JKT-L-2026"
    post(client, store, "products/update", renamed, "p2")
    assert StockLevel.objects.count() == 3
    assert stock("JKT-L-2026").inventory_item_id == "9001" and stock("JKT-L-2026").available == 7


def test_the_only_variant_and_an_untracked_one_are_stored_as_orders_and_exchanges_need(client, store):
    product = {
        "id": 77,
        "updated_at": "2026-03-01T10:00:00Z",
        "variants": [
            {"id": 1, "title": "Default Title", "sku": "", "inventory_item_id": 501, "inventory_quantity": 3},
        ],
    }
    post(client, store, "products/create", product, "p1")
    # Order lines of a product without options carry no variant title: the row says "" too.
    row = StockLevel.objects.get(inventory_item_id="501")
    assert (row.sku, row.product_id, row.variant, row.available) == ("", "77", "", 3)
    untracked = {
        "id": 78,
        "updated_at": "2026-03-01T10:00:00Z",
        "variants": [
            {"id": 2, "title": "S", "sku": "GIFT-S", "inventory_item_id": 502, "inventory_quantity": 0,
             "inventory_management": None},
        ],
    }  # fmt: skip
    # Shopify does not count it: its 0 is no "sold out", so no row says so.
    assert post(client, store, "products/create", untracked, "p2")["untracked"] == 1
    assert not StockLevel.objects.filter(sku="GIFT-S").exists()


def test_levels_of_two_locations_are_summed_and_an_older_level_is_ignored(client, store):
    post(client, store, "products/create", jacket(), "p1")
    assert post(client, store, "inventory_levels/update", level(9001, 5, location=1), "l1")["updated"] == 1
    assert stock("JKT-L").available == 5, "the first location's count replaces the product's total"
    post(client, store, "inventory_levels/update", level(9001, 3, location=2), "l2")
    assert stock("JKT-L").available == 8, "two locations do not overwrite each other"
    later = level(9001, 1, location=1, at="2026-03-01T13:00:00-05:00")
    post(client, store, "inventory_levels/update", later, "l3")
    assert stock("JKT-L").available == 4
    # A retry of an earlier level, delivered late, arrives with a new webhook id: it is stale.
    answer = post(client, store, "inventory_levels/update", level(9001, 5, location=1), "l1-late")
    assert answer["stale"] == 1 and answer["updated"] == 0
    row = stock("JKT-L")
    assert row.available == 4
    assert row.by_location == {
        "1": {"available": 1, "updated_at": "2026-03-01T18:00:00+00:00"},
        "2": {"available": 3, "updated_at": "2026-03-01T17:00:00+00:00"},
    }
    # Once locations report, a product update's total no longer overrides their sum.
    post(
        client,
        store,
        "products/update",
        jacket(updated_at="2026-03-02T10:00:00Z", quantities=(4, 50, 0)),
        "p2",
    )
    assert stock("JKT-L").available == 4


def test_a_level_of_an_item_no_product_named_is_reported_and_stores_nothing(client, store):
    answer = post(client, store, "inventory_levels/update", level(271878346596884015, 6), "l1")
    assert answer["unknown_items"] == ["271878346596884015"] and answer["updated"] == 0
    assert StockLevel.objects.count() == 0
    # The product webhook that names the item brings its count; its next level attaches.
    post(client, store, "products/create", jacket(), "p1")
    post(client, store, "inventory_levels/update", level(9002, 6), "l2")
    assert stock("JKT-XL").available == 6


def test_a_retried_delivery_changes_nothing(client, store):
    post(client, store, "products/create", jacket(), "p1")
    post(client, store, "inventory_levels/update", level(9000, 1), "same")
    again = shopify_post(client, store, "inventory_levels/update", level(9000, 9), webhook_id="same")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert stock("JKT-M").available == 1


def test_a_bad_signature_is_401_and_writes_nothing(client, store):
    for topic, payload in (("products/create", jacket()), ("inventory_levels/update", level(9000, 1))):
        response = shopify_post(client, store, topic, payload, secret="wrong")
        assert response.status_code == 401
    assert StockLevel.objects.count() == 0 and InboundDelivery.objects.count() == 0


def test_a_malformed_stock_payload_is_400_naming_the_field(client, store):
    broken = jacket()
    del broken["variants"][1]["inventory_item_id"]
    response = shopify_post(client, store, "products/update", broken)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "variants[1].inventory_item_id"
    bad_level = level(9000, "six")
    response = shopify_post(client, store, "inventory_levels/update", bad_level, webhook_id="wh-2")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "available"
    assert StockLevel.objects.count() == 0 and InboundDelivery.objects.count() == 0


@pytest.fixture
def policy(client, api_token):
    response = client.put(
        "/api/v1/returns/policy",
        json.dumps(POLICY),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert response.status_code == 201, response.content


def test_a_size_whose_level_drops_to_zero_is_no_longer_offered_in_exchange(client, store, api, policy):
    order = place(api)  # the jacket in size M (sku JKT-M, product JKT), delivered
    post(client, store, "products/create", jacket(), "p1")
    now = timezone.now()
    line = next(r for r in returnable_lines(order, order_state(order), now) if r.sku == "JKT-M")
    assert [o.variant for o in exchange_options(order, line)] == ["L"], "XL is sold out, M is the line's own"

    def judged():
        target = ExchangeTarget(product_id="JKT", variant="L", sku="JKT-L", unit_price=Decimal("120.00"))
        request = [RequestedLine(line.line_id, 1, Reason.SIZE_TOO_SMALL, exchange_for=target)]
        return quote(order, order_state(order), request, now).line(line.line_id)

    assert judged().offer(OfferKind.EXCHANGE) is not None
    token = make_tracking_token(order)
    review = f"/returns/{token}/review?line-0={line.line_id}&qty-0=1&reason-0=size_too_small"
    assert 'value="exchange:L"' in client.get(review).content.decode()
    post(client, store, "inventory_levels/update", level(9001, 0), "l1")
    assert exchange_options(order, line) == []
    verdict = judged()
    assert verdict.offer(OfferKind.EXCHANGE) is None
    assert "out_of_stock" in [n.code for n in verdict.reasons]
    # The portal's offers no longer have the size either.
    assert 'value="exchange:L"' not in client.get(review).content.decode()
