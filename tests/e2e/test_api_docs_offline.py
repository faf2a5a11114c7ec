"""``/api/v1/docs`` renders Swagger UI with the network cut off: every request that does not go to
the live server is aborted, and the page must still show the API's operations (its assets are
served by us; the CSP would refuse a CDN anyway)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_offline(page, live_server):
    outside: list[str] = []
    failed: list[str] = []

    def route(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: failed.append(request.url))
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Aftercart" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 10, "the operations are listed"
    assert outside == [], f"the docs asked the internet for {outside}"
    assert not [u for u in failed if "127.0.0.1" in u or "localhost" in u], failed
    assert not [e for e in errors if "Content Security Policy" in e], errors
