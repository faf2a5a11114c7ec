"""The back office in a real browser: htmx actions on the queue and the order page (taken,
resolved in place, with the CSRF header the shell adds), and the Shopify progress bar driving a
backfill against the local Admin API stand-in until it is done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exceptions_sweep
from aftercart.orders.models import Order
from tests.e2e.axe import assert_no_axe_violations, axe_context
from tests.integration.test_exceptions import MON, ingest, placed, scan, shipped
from tests.shopify_admin_standin import ShopifyStandIn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(browser, live_server):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client = Client()
    client.force_login(user)
    context = axe_context(browser)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    yield context.new_page()
    context.close()


def test_take_and_resolve_a_case_in_place(signed_in, live_server, store):
    t = MON + timedelta(hours=3)
    ingest(store, placed("A1"), shipped("A1", tracking="1ZA"), scan("in_transit", t, tracking="1ZA"), now=t)
    exceptions_sweep(now=MON + timedelta(days=4))
    case = OrderException.objects.get(kind="stalled")
    page = signed_in
    page.goto(f"{live_server.url}/ops/exceptions")
    row = page.locator(f"#case-{case.pk}")
    row.get_by_role("button", name="Take").click()
    page.locator(f"#case-{case.pk} td[data-label='Owner']").get_by_text("ops").wait_for()
    assert page.url.endswith("/ops/exceptions"), "updated in place, no navigation"
    case.refresh_from_db()
    assert case.assignee.username == "ops"

    page.goto(f"{live_server.url}/ops/exceptions/orders/{case.order_id}")
    card = page.locator(f"#case-card-{case.pk}")
    card.locator("summary", has_text="Resolve").click()
    card.get_by_label("What was done").fill("Carrier found it; delivery tomorrow")
    card.get_by_role("button", name="Resolve case").click()
    page.locator(f"#case-card-{case.pk} .badge.good").wait_for()
    assert "Carrier found it" in page.locator(f"#case-card-{case.pk}").inner_text()
    assert_no_axe_violations(page)
    case.refresh_from_db()
    assert case.resolved_at is not None


def test_the_shopify_progress_bar_runs_the_backfill_to_the_end(signed_in, live_server, store, settings):
    settings.AFTERCART_BASE_URL = live_server.url
    page = signed_in
    with ShopifyStandIn(token="shpat_e2e", orders=7, page_size=2) as server:
        page.goto(f"{live_server.url}/ops/settings/shopify?store={store.slug}")
        page.get_by_label("Shop domain").fill(server.base)
        page.get_by_label("Admin API access token").fill("shpat_e2e")
        page.get_by_label("API secret key (signs the webhooks)").fill("app-secret")
        page.get_by_role("button", name="Connect and backfill").click()
        page.locator("#backfill[data-status='done']").wait_for(timeout=30_000)
        assert "7 of 7 orders" in page.locator("#backfill").inner_text()
        assert page.locator("#backfill progress").get_attribute("value") == "100"
        assert_no_axe_violations(page)
    assert Order.objects.filter(store=store).count() == 7
