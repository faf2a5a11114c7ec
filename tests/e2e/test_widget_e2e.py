"""The order-confirmation widget in Chromium, embedded in a store's thank-you page served from
another site (127.0.0.1 vs the live server's localhost) under a strict Content-Security-Policy:
the script variant and the no-JavaScript iframe, the SMS opt-in from inside the cross-site frame,
and a site the store did not list being refused the frame.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.urls import get_resolver
from django.utils import timezone

from aftercart.notifications.models import PreferenceChange
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.orders.windows import models_refit_due
from aftercart.stores.services import store_widget_configure
from tests.integration.test_delivery_window import history
from tests.integration.test_widget import enable_sms, place

pytestmark = pytest.mark.django_db(transaction=True)

OPT_IN = "Text me updates about my order at •••• 222"


class HostSite:
    """A store's site: one thank-you page, served with the strict policy a careful shop sends,
    which allows Aftercart's origin for scripts and frames and nothing else (no inline anything)."""

    def __init__(self, aftercart: str) -> None:
        self.aftercart = aftercart
        self.body = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header(
                    "Content-Security-Policy",
                    f"default-src 'none'; script-src {site.aftercart}; frame-src {site.aftercart}; "
                    "style-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'",
                )
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def thank_you(self, widget_path: str) -> str:
        """The page with both snippets from docs/widget.md (the script, and its noscript iframe)."""
        self.body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Thank you</title></head>
<body><main><h1>Thank you for your order</h1>
<div data-aftercart-widget="{widget_path}"></div>
<script src="{self.aftercart}/static/aftercart/widget.js" async></script>
<noscript><iframe src="{self.aftercart}{widget_path}" title="Order updates" width="100%" height="520"
 frameborder="0"></iframe></noscript>
</main></body></html>""".encode()
        return f"{self.origin}/thank-you"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def host(live_server) -> Iterator[HostSite]:
    # The first request of a process imports the URLconf (the carrier adapters, seconds on a busy
    # machine): paid here, not inside the frame's load that a browser wait is timing.
    get_resolver().url_patterns  # noqa: B018
    site = HostSite(live_server.url)
    yield site
    site.close()


@pytest.fixture
def order(store, host) -> Order:
    now = timezone.now()
    store_widget_configure(store=store, origins=[host.origin])
    enable_sms(store)
    history(store, 60, now)
    models_refit_due(now=now)
    return place(store, "1001", now)


def widget_path(order: Order) -> str:
    return f"/w/{order.store.slug}/{make_tracking_token(order)}"


def csp_violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text or "Refused" in m.text else None,
    )
    return seen


def check_widget(frame) -> None:
    """What the thank-you page must show: the next step, the window, the tracking link."""
    heading = frame.locator("#widget-heading")
    assert heading.get_attribute("data-step") == "awaiting_fulfilment"
    assert heading.inner_text().strip()
    assert frame.locator("[data-window]").inner_text().startswith("Expected between")
    link = frame.get_by_role("link", name="Track your order")
    assert (link.get_attribute("href") or "").startswith("/t/")
    assert link.get_attribute("target") == "_blank"


def opt_in(frame) -> None:
    box = frame.get_by_label(OPT_IN)  # the label is tied to its box
    assert not box.is_checked(), "consent is never pre-ticked"
    box.check()
    frame.get_by_role("button", name="Sign up for texts").click()
    status = frame.locator("#sms-status[role=status]")
    status.wait_for()
    assert "Thank you, you are signed up." in status.inner_text()
    assert "•••• 222" in status.inner_text()


def test_the_script_variant_frames_sizes_and_records_the_opt_in(page, host, order):
    violations = csp_violations(page)
    page.goto(host.thank_you(widget_path(order)))
    iframe = page.locator("[data-aftercart-widget] iframe")
    frame = page.frame_locator("[data-aftercart-widget] iframe")
    frame.locator("#widget-heading").wait_for()
    check_widget(frame)
    # The frame is sized to the widget by its postMessage, and named by its translated title.
    page.wait_for_function(
        "() => { const f = document.querySelector('[data-aftercart-widget] iframe');"
        " return f && f.getAttribute('height') !== '420' && f.title !== 'Order updates'; }"
    )
    inner = frame.locator("html").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    assert int(iframe.get_attribute("height") or 0) == inner
    assert iframe.get_attribute("title") == "Your order with Acme Outfitters"

    opt_in(frame)
    change = PreferenceChange.objects.get()
    assert (change.channel, change.address, change.opted_in, change.source) == (
        "sms",
        "+34600111222",
        True,
        "widget",
    )
    assert violations == [], violations


def test_the_noscript_iframe_works_with_javascript_off(browser, host, order):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        violations = csp_violations(page)
        page.goto(host.thank_you(widget_path(order)))
        frame = page.frame_locator("noscript + iframe, iframe[title='Order updates']").first
        frame.locator("#widget-heading").wait_for()
        check_widget(frame)
        # The form posts from inside a cross-site frame with no cookie at all, and is accepted.
        opt_in(frame)
        assert PreferenceChange.objects.filter(source="widget", opted_in=True).count() == 1
        assert context.cookies() == [], "the widget sets no cookie"
        assert violations == [], violations
    finally:
        context.close()


def test_on_a_phone_the_widget_fits_the_host_pages_width(mobile_page, host, order):
    mobile_page.goto(host.thank_you(widget_path(order)))
    frame = mobile_page.frame_locator("[data-aftercart-widget] iframe")
    frame.locator("#widget-heading").wait_for()
    assert frame.locator("html").evaluate("e => e.scrollWidth <= e.clientWidth"), "no sideways scrolling"
    width = frame.get_by_role("link", name="Track your order").bounding_box()
    assert width is not None and width["height"] >= 44, "a thumb-sized target"


def test_a_site_the_store_did_not_list_cannot_frame_it(page, live_server, order):
    stranger = HostSite(live_server.url)
    try:
        page.goto(stranger.thank_you(widget_path(order)), wait_until="load")
        frames = [f for f in page.frames if f != page.main_frame]
        assert frames, "the loader made its frame"
        assert all(f.locator("#widget-heading").count() == 0 for f in frames), "Chromium refused to frame it"
    finally:
        stranger.close()
