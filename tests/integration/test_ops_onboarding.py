"""Onboarding a real store without a shell inside the database: `aftercart store` and `aftercart
apikey`, the settings page (a key's secret shown once), the setup checklist, and connecting Shopify
by its Admin API token against a local stand-in (webhooks registered, orders backfilled page by
page, with progress on the CLI and in the back office)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from aftercart.integrations.shopify.parse import TOPICS
from aftercart.orders.models import Order
from aftercart.orders.shopify_connect import ConnectRefused, shopify_connect
from aftercart.stores.models import ApiKey, ShopifyConnection, Store
from aftercart.stores.services import hash_key
from tests.shopify_admin_standin import ShopifyStandIn

pytestmark = pytest.mark.django_db

TOKEN = "shpat_test_0123456789"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_store_create_checks_its_settings_and_says_what_next(settings):
    settings.AFTERCART_BASE_URL = "https://track.example.com"
    out = run("aftercart_store", "create", "berlin-bikes", "--name", "Berlin Bikes",
              "--timezone", "Europe/Berlin", "--currency", "eur", "--language", "de")  # fmt: skip
    store = Store.objects.get(slug="berlin-bikes")
    assert (store.timezone, store.currency, store.default_locale) == ("Europe/Berlin", "EUR", "de")
    assert "https://track.example.com/webhooks/shopify/berlin-bikes" in out
    with pytest.raises(CommandError, match="timezone"):
        run("aftercart_store", "create", "x", "--name", "X", "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="exists already"):
        run("aftercart_store", "create", "berlin-bikes", "--name", "Again")
    assert "berlin-bikes\tBerlin Bikes" in run("aftercart_store", "list")


def test_apikey_issue_shows_the_key_once_list_shows_prefixes_revoke_stops_it(store, client):
    out = run("aftercart_apikey", "issue", store.slug, "--name", "warehouse")
    token = next(line for line in out.splitlines() if line.startswith("ack_"))
    key = ApiKey.objects.get(name="warehouse")
    assert key.key_hash == hash_key(token) and token not in str(ApiKey.objects.values_list())
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    listing = run("aftercart_apikey", "list", store.slug)
    assert key.prefix in listing and token not in listing
    run("aftercart_apikey", "revoke", store.slug, key.prefix)
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    with pytest.raises(CommandError, match="no live API key"):
        run("aftercart_apikey", "revoke", store.slug, key.prefix)


def test_settings_page_issues_a_key_shown_once_and_revokes_it(admin_client, store, client):
    issued = admin_client.post("/ops/settings/keys/issue", {"store": store.slug, "name": "shopify app"})
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    html = issued.content.decode()
    token = html.split('id="new-key">')[1].split("<")[0]
    assert token.startswith("ack_") and "shown this once" in html
    again = admin_client.get(f"/ops/settings/?store={store.slug}").content.decode()
    assert token not in again and "shopify app" in again
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    key = ApiKey.objects.get(name="shopify app")
    admin_client.post("/ops/settings/keys/revoke", {"store": store.slug, "prefix": key.prefix})
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_settings_page_saves_checked_settings_and_keeps_secrets_unseen(admin_client, store):
    bad = admin_client.post("/ops/settings/save", {"store": store.slug, "name": "Acme", "timezone": "Nowhere",
                                                    "currency": "EUR", "default_locale": "en"})  # fmt: skip
    assert bad.status_code == 400 and "not an IANA time zone" in bad.content.decode()
    admin_client.post("/ops/settings/save", {"store": store.slug, "name": "Acme EU", "timezone": "Europe/Paris",
                                             "currency": "eur", "default_locale": "fr",
                                             "aftership_webhook_secret": "as-secret"})  # fmt: skip
    store.refresh_from_db()
    assert (store.name, store.timezone, store.currency, store.aftership_webhook_secret) == (
        "Acme EU", "Europe/Paris", "EUR", "as-secret")  # fmt: skip
    page = admin_client.get(f"/ops/settings/?store={store.slug}").content.decode()
    assert "as-secret" not in page and f"/webhooks/aftership/{store.slug}" in page and "data-copy=" in page
    created = admin_client.post("/ops/settings/stores/new", {"slug": "second", "name": "Second",
                                                             "timezone": "UTC", "default_locale": "en"})  # fmt: skip
    assert created.status_code == 302 and Store.objects.filter(slug="second").exists()


def test_the_checklist_says_what_is_connected_and_links_the_fix(admin_client, store, api_token, settings):
    def items():
        html = admin_client.get(f"/ops/setup/?store={store.slug}").content.decode()
        return {
            chunk.split('"')[0]: chunk.split('data-done="')[1].split('"')[0]
            for chunk in html.split('data-item="')[1:]
        }

    before = items()
    assert before["api_keys"] == "yes"  # api_token issued one
    assert before["shopify"] == before["aftership"] == before["email"] == "no"
    store.branding = {"logo_url": "https://cdn.example/logo.png", "support_email": "help@example.com"}
    store.save()
    assert items()["branding"] == "yes"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert items()["email"] == "yes", "e-mail goes through the site's SMTP settings"
    page = admin_client.get(f"/ops/setup/?store={store.slug}").content.decode()
    assert "/ops/settings/shopify?store=" in page and 'aria-current="page"' in page


@pytest.fixture
def standin():
    with ShopifyStandIn(token=TOKEN, orders=5, page_size=2) as server:
        yield server


def test_connect_registers_each_topic_once_with_the_token_header(store, standin, settings):
    settings.AFTERCART_BASE_URL = "https://track.example.com"
    result = shopify_connect(store=store, shop=standin.base, access_token=TOKEN, webhook_secret="app-secret",
                             now=timezone.now())  # fmt: skip
    assert sorted(result.created) == sorted(TOPICS)
    posts = [r for r in standin.requests if r["method"] == "POST"]
    assert {r["path"] for r in posts} == {"/admin/api/2025-01/webhooks.json"}
    assert all(r["token"] == TOKEN for r in standin.requests)
    assert {p["body"]["webhook"]["topic"] for p in posts} == TOPICS
    assert {p["body"]["webhook"]["address"] for p in posts} == {
        f"https://track.example.com/webhooks/shopify/{store.slug}"
    }
    assert all(p["body"]["webhook"]["format"] == "json" for p in posts)
    store.refresh_from_db()
    assert store.shopify_webhook_secret == "app-secret"
    again = shopify_connect(store=store, shop=standin.base, access_token=TOKEN, now=timezone.now())
    assert again.created == [] and len(standin.webhooks) == len(TOPICS), "never subscribed twice"
    with pytest.raises(ConnectRefused, match="401"):
        shopify_connect(store=store, shop=standin.base, access_token="wrong", now=timezone.now())
    with pytest.raises(ConnectRefused, match="not a shop domain"):
        shopify_connect(store=store, shop="https://evil.example.com", access_token=TOKEN, now=timezone.now())


def test_cli_connect_backfills_every_page_and_resumes_after_a_failure(store):
    with ShopifyStandIn(token=TOKEN, orders=5, page_size=2, fail_page=1) as server:
        with pytest.raises(CommandError, match="--resume"):
            run("aftercart_shopify", "connect", store.slug, "--shop", server.base, "--token", TOKEN)
        connection = ShopifyConnection.objects.get(store=store)
        assert connection.backfill_status == "failed" and connection.backfill_done == 2
        out = run("aftercart_shopify", "backfill", store.slug, "--resume")
        assert "Backfilled 5 orders" in out
        pages = [r for r in server.requests if r["path"].endswith("/orders.json")]
        assert [r["query"].get("page_info") for r in pages] == [None, ["p1"], ["p1"], ["p2"]]
        assert pages[0]["query"]["status"] == ["any"] and "created_at_min" in pages[0]["query"]
    assert Order.objects.filter(store=store).count() == 5
    order = Order.objects.get(store=store, external_id="9000003")
    assert order.shipments.exists(), "fulfillments came with their orders"
    connection.refresh_from_db()
    assert (connection.backfill_status, connection.percent, connection.backfill_cursor) == ("done", 100, "")
    # Again: the facts are idempotent, nothing new is recorded.
    with ShopifyStandIn(token=TOKEN, orders=5, page_size=2) as server:
        connection.shop = server.base
        connection.save()
        assert "(0 new facts)" in run("aftercart_shopify", "backfill", store.slug)


def test_back_office_connects_and_its_progress_bar_drives_the_backfill(admin_client, store, standin):
    response = admin_client.post("/ops/settings/shopify/connect", {"store": store.slug, "shop": standin.base,
                                                                   "token": TOKEN, "secret": "s", "days": "30"})  # fmt: skip
    assert response.status_code == 302
    page = admin_client.get(f"/ops/settings/shopify?store={store.slug}").content.decode()
    assert 'data-status="running"' in page and "0 of 5 orders" in page and 'hx-trigger="load' in page
    assert TOKEN not in page
    steps = 0
    while True:
        fragment = admin_client.post(
            "/ops/settings/shopify/step", {"store": store.slug}, HTTP_HX_REQUEST="true"
        )
        steps += 1
        html = fragment.content.decode()
        if 'data-status="done"' in html:
            break
        assert 'hx-trigger="load' in html and steps < 10
    assert steps == 3 and "5 of 5 orders" in html and 'value="100"' in html and "hx-trigger" not in html
    assert Order.objects.filter(store=store).count() == 5
