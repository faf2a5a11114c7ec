"""Every back-office page passes axe (WCAG 2.1 A/AA and best practices), at desktop and phone size.

The pages are read from the navigation itself (``ops/_nav.html``): a section another app adds is
checked without touching this file. Each section's first link into a deeper page (an order from the
queue, a return from the returns list) is checked too. The dataset is the demo's, smaller.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import Client

from aftercart.kernel.templatetags.ops import nav_links
from tests.e2e.axe import assert_no_axe_violations, axe_context

pytestmark = pytest.mark.django_db(transaction=True)

#: Fixed so the dataset is the same on every run.
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo_data(settings, live_server):
    from aftercart.demo.services import seed_demo

    settings.AFTERCART_BASE_URL = live_server.url
    seed_demo(orders=60, now=NOW)


@pytest.fixture
def staff_cookie(db):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def back_office_pages() -> list[str]:
    """The navigation's links: every section of the back office."""
    return nav_links(render_to_string("ops/_nav.html"))


def _deeper_link(page, section: str, visited: set[str]) -> str | None:
    """The first link in the page's main content to a back-office page not yet visited (not a
    download): how an operator goes from a list to one item."""
    for href in page.eval_on_selector_all(
        "main a[href^='/ops/']", "els => els.map(e => e.getAttribute('href'))"
    ):
        path = urlsplit(href).path
        if path.endswith((".pdf", ".csv", ".zip")) or path in visited:
            continue
        if path.startswith(section.rstrip("/")) or section == "/ops/":
            return href
    return None


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_back_office_page_has_no_axe_violation(browser, live_server, demo_data, staff_cookie, size):
    pages = back_office_pages()
    assert "/ops/returns/" in pages and "/ops/setup/" in pages, pages
    context = (
        axe_context(browser, width=390, height=844, mobile=True) if size == "phone" else axe_context(browser)
    )
    context.add_cookies([{"name": "sessionid", "value": staff_cookie, "url": live_server.url}])
    tab = context.new_page()
    visited: set[str] = set()
    checked = []
    try:
        for section in pages:
            for path in (section, None):
                if path is None:
                    path = _deeper_link(tab, section, visited | set(pages))
                    if path is None:
                        break
                visited.add(urlsplit(path).path)
                response = tab.goto(live_server.url + path)
                assert response is not None and response.status == 200, (path, response and response.status)
                assert "/admin/login" not in tab.url, "signed in as staff"
                visited.add(urlsplit(tab.url).path)  # where a redirect led
                assert_no_axe_violations(tab)
                if size == "phone":
                    overflow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
                checked.append(path)
    finally:
        context.close()
    # The sections and their item pages: an order with its cases, a return, the Shopify page.
    assert any(p.startswith("/ops/exceptions/orders/") for p in checked), checked
    assert any(p.startswith("/ops/returns/R-") for p in checked), checked
    assert any(p.startswith("/ops/settings/shopify") for p in checked), checked
