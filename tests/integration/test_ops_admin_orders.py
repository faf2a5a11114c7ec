"""Orders in the Django admin: searchable by number, e-mail and tracking number, read-only, with
lines, parcels and facts inline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftercart.orders.models import Order
from tests.integration.test_exceptions import MON, ingest, placed, scan, shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(store):
    t = MON + timedelta(hours=3)
    ingest(
        store,
        placed("A1"),
        shipped("A1", tracking="1ZTRACK"),
        scan("in_transit", t, tracking="1ZTRACK"),
        now=t,
    )
    ingest(store, placed("B2"), now=MON)
    return {o.external_id: o for o in Order.objects.all()}


@pytest.mark.parametrize(
    ("term", "found"), [("#A1", "A1"), ("B2", "B2"), ("1ZTRACK", "A1"), ("ana@example.com", None)]
)
def test_search_by_number_email_and_tracking_number(admin_client, orders, term, found):
    html = admin_client.get("/admin/orders/order/", {"q": term}).content.decode()
    if found is None:
        assert all(f"/admin/orders/order/{o.pk}/change/" in html for o in orders.values())
    else:
        others = [o for k, o in orders.items() if k != found]
        assert f"/admin/orders/order/{orders[found].pk}/change/" in html
        assert all(f"/admin/orders/order/{o.pk}/change/" not in html for o in others)


def test_an_order_shows_its_lines_parcels_and_facts_read_only(admin_client, orders):
    order = orders["A1"]
    response = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "1ZTRACK" in html and "L1" in html and "tracking.event" in html
    assert f"/ops/exceptions/orders/{order.pk}" in html
    assert 'name="_save"' not in html, "read-only: facts are the truth"
    assert admin_client.get("/admin/orders/order/add/").status_code == 403
