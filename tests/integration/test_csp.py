"""Every page carries a Content-Security-Policy that refuses inline script and any other origin's
script or style; the one ``<style>`` a page has is allowed by the request's nonce, nothing else.
(That the pages still look right in a browser under it: tests/e2e.)"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token

pytestmark = pytest.mark.django_db

ORDER = {
    "order_id": "1001",
    "number": "#1001",
    "placed_at": "2026-07-10T09:00:00Z",
    "email": "ana@example.com",
    "postal_code": "SW1A 1AA",
    "currency": "GBP",
    "lines": [{"line_id": "L1", "sku": "JKT-M", "title": "Rain jacket", "quantity": 1, "variant": "M"}],
}
STYLE_TAG = re.compile(r"<style\b([^>]*)>", re.IGNORECASE)
NONCE = re.compile(r"""nonce="([^"]+)\"""")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(api, store):
    store.branding = {"primary_colour": "#123456", "logo_url": "https://cdn.example/acme.png"}
    store.save()
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    return Order.objects.get(external_id="1001")


def directives(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return {name: value for name, _, value in (d.strip().partition(" ") for d in header.split(";"))}


def assert_strict(response) -> None:
    """The policy, and a page that lives by it: no inline script, no ``style=`` attribute, and each
    ``<style>`` carrying the nonce the header names (new for every response)."""
    policy = directives(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html)
    styles = STYLE_TAG.findall(html)
    if styles:
        nonces = {m.group(1) for attrs in styles for m in [NONCE.search(attrs)] if m}
        assert len(nonces) == 1 and len(styles) == sum(1 for a in styles if NONCE.search(a)), styles
        (nonce,) = nonces
        assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
    else:
        assert policy["style-src"] == "'self'"


def test_customer_pages_carry_a_policy_their_styles_live_by(client, order):
    token = make_tracking_token(order)
    pages = ["/", "/track", f"/t/{token}", "/returns", f"/returns/{token}", "/track?store=acme"]
    nonces = set()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_strict(response)
        nonces.add(directives(response)["style-src"])
    assert len(nonces) == len(pages), "a nonce must never be reused"
    # The store's logo lives on its CDN: images may come from https.
    assert "https:" in directives(client.get(f"/t/{token}"))["img-src"].split()


def test_operator_pages_and_the_api_carry_it_too(client, admin_client, order, api):
    assert_strict(admin_client.get("/ops/exceptions"))
    assert_strict(admin_client.get(f"/ops/exceptions/orders/{order.pk}"))
    assert_strict(admin_client.get("/admin/"))
    assert_strict(client.get("/api/v1/docs"))
    assert directives(api.get("/api/v1/orders/1001"))["default-src"] == "'none'"
    assert directives(client.get("/nowhere-at-all"))["default-src"] == "'none'"


def test_the_api_docs_load_swagger_from_us_not_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in html
    assert re.search(r'<script src="/static/ninja/swagger-ui-bundle\.js">', html), html


def test_a_page_framing_an_email_allows_inline_styles_but_never_scripts(admin_client, order, store):
    from aftercart.notifications.models import MessageTemplate

    template = MessageTemplate.objects.create(
        store=store, channel="email", milestone="shipped", locale="", subject="Shipped", body="On its way"
    )
    response = admin_client.get(f"/admin/notifications/messagetemplate/{template.pk}/preview/")
    assert response.status_code == 200
    assert "srcdoc=" in response.content.decode()
    policy = directives(response)
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
