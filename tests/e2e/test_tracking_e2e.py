"""The customer tracking page in a real browser: headless Chromium, driven by Playwright, against
pytest-django's live server. Data goes in through the real ingest API, as a store would send it.

What only a browser can tell: the redirect is followed, focus and ``aria-*`` land where a screen
reader user needs them, the page works from the keyboard alone, and it fits a phone's screen.
"""

from __future__ import annotations

import contextlib
import re
import struct
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import formats, timezone, translation
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token

pytestmark = pytest.mark.django_db(transaction=True)

ZONE = "America/New_York"
TRACKING = "1Z999AA10123456784"
ORDER = {
    "order_id": "1001",
    "number": "#1001",
    "email": "Ana@Example.com",
    "postal_code": "SW1A 1AA",
    "currency": "GBP",
    "timezone": ZONE,
    "lines": [
        {"line_id": "L1", "sku": "JKT-M", "title": "Rain jacket", "quantity": 1},
        {"line_id": "L2", "sku": "SCK", "title": "Wool socks", "quantity": 2},
    ],
}
TOKEN_PATH = re.compile(r"/t/[A-Za-z0-9_\-:.]{20,}$")
MOBILE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The lookup is rate-limited through the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def base(live_server) -> str:
    return live_server.url


@pytest.fixture
def clock() -> datetime:
    """Now, to the minute: checkpoints are placed relative to it so the page never sees a stale date."""
    return timezone.now().astimezone(UTC).replace(second=0, microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def scan(tag: str, at: datetime, **extra) -> dict:
    return {
        "kind": "tracking.event",
        "tracking_number": TRACKING,
        "carrier": "ups",
        "tag": tag,
        "occurred_at": iso(at),
        **extra,
    }


@pytest.fixture
def seed(api, store, clock):
    """``seed(*scans)``: the order, shipped with UPS, then the given carrier scans, through the API."""
    store.branding = {"support_email": "help@acme.example"}
    store.save()

    def _seed(*scans: dict) -> Order:
        order = {**ORDER, "placed_at": iso(clock - timedelta(days=3))}
        assert api.post("/api/v1/orders", order).status_code == 201
        shipment = {
            "kind": "shipment.created",
            "order_id": "1001",
            "shipment_id": "S1",
            "carrier": "UPS",
            "tracking_number": TRACKING,
            "lines": [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 2}],
            "occurred_at": iso(clock - timedelta(days=2)),
        }
        response = api.post("/api/v1/events/batch", {"events": [shipment, *scans]})
        assert response.status_code == 202, response.content
        return Order.objects.get(external_id="1001")

    return _seed


def transit_scans(clock: datetime) -> list[dict]:
    return [
        scan(
            "in_transit", clock - timedelta(hours=40), raw_message="Departed facility", location="Newark, NJ"
        ),
        scan("in_transit", clock - timedelta(hours=20, minutes=15), raw_message="Arrived at facility"),
    ]


def lost_scan(clock: datetime) -> dict:
    return scan("exception", clock - timedelta(hours=3), subtag="exception.lost", raw_message="Cannot locate")


def submit_lookup(page, base: str, number: str, contact: str) -> None:
    page.goto(f"{base}/track")
    page.fill("#id_number", number)
    page.fill("#id_contact", contact)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button[type=submit]")
    page.wait_for_load_state()
    check_not_refused(posted.value)


def check_not_refused(response) -> None:
    """A real browser's POST must get past CSRF. Browsers send ``Origin: null`` from a page whose
    referrer policy is ``no-referrer``, and Django refuses that origin with a 403."""
    assert response.status != 403, (
        f"the lookup POST was refused (403; Origin sent: {response.request.header_value('origin')!r}). "
        "The lookup page must not use referrer policy no-referrer (it makes the browser send "
        "Origin: null, which fails Django's CSRF origin check); same-origin keeps the Origin header."
    )


def focused(page) -> str:
    """The focused element, as ``tag#id[type]`` (enough to tell the form's controls apart)."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
        " + (e.getAttribute('type') ? '[' + e.getAttribute('type') + ']' : '') : ''; }"
    )


# --- lookup --------------------------------------------------------------------------------------


def test_lookup_by_number_and_email_opens_the_signed_tracking_page(page, base, seed, clock):
    seed(*transit_scans(clock))
    submit_lookup(page, base, "#1001", "  ana@EXAMPLE.com ")
    assert TOKEN_PATH.search(page.url), f"redirected to the signed link, got {page.url}"
    heading = page.locator("h1#next-step-heading")
    assert heading.inner_text() == "On its way with UPS"
    assert page.locator("section.step").get_attribute("data-step") == "shipped"
    assert page.title().startswith("Order #1001")
    # Back must not re-post the form (303 See Other): it returns to the empty lookup page.
    page.go_back()
    assert page.url.endswith("/track")


def test_a_wrong_lookup_gets_one_generic_error_tied_to_the_fields(page, base, seed, clock):
    seed(*transit_scans(clock))
    errors = []
    for number, contact in (
        ("#1001", "bob@example.com"),
        ("#9999", "ana@example.com"),
        ("#1001", "EC1A 1BB"),
    ):
        submit_lookup(page, base, number, contact)
        assert page.url.endswith("/track"), "a miss stays on the lookup page"
        alert = page.locator("#lookup-error[role=alert]")
        assert alert.is_visible()
        errors.append(alert.inner_text().strip())
        assert page.title().startswith("Error:")
        for field in ("#id_number", "#id_contact"):
            described = (page.get_attribute(field, "aria-describedby") or "").split()
            assert "lookup-error" in described, f"{field} is described by the error: {described}"
            assert page.get_attribute(field, "aria-invalid") == "true"
        assert page.input_value("#id_number") == number, "the order number is kept to correct it"
        assert page.input_value("#id_contact") == "", "the secret half is not echoed back"
    assert len(set(errors)) == 1, f"every kind of miss reads the same: {errors}"
    assert errors[0].startswith("We could not find an order with those details")


def test_a_wrong_lookup_puts_focus_back_on_the_order_number(page, base, seed, clock):
    seed(*transit_scans(clock))
    submit_lookup(page, base, "#1001", "bob@example.com")
    # The browser applies ``autofocus`` at its next rendering step, not at load, so wait for it.
    # On a timeout the assertion below says what has focus instead.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "() => ['id_number', 'id_contact'].includes(document.activeElement?.id)", timeout=5000
        )
    assert focused(page) in ("input#id_number[text]", "input#id_contact[text]")


def test_the_lookup_works_from_the_keyboard_alone(page, base, seed, clock):
    seed(*transit_scans(clock))
    page.goto(f"{base}/track")
    order = []
    for _ in range(25):
        page.keyboard.press("Tab")
        order.append(focused(page))
        if order[-1] == "button[submit]":
            break
    assert "button[submit]" in order, f"the submit button is reachable with Tab: {order}"
    number, contact, submit = (
        order.index(x) for x in ("input#id_number[text]", "input#id_contact[text]", "button[submit]")
    )
    assert number < contact < submit, f"tab order follows the form: {order}"
    assert order[0] == "a", "the first stop is the skip link"
    # Fill it in and send it without a mouse.
    page.goto(f"{base}/track")
    while focused(page) != "input#id_number[text]":
        page.keyboard.press("Tab")
    page.keyboard.type("1001")
    page.keyboard.press("Tab")
    page.keyboard.type("sw1a 1aa")
    page.keyboard.press("Tab")
    assert focused(page) == "button[submit]"
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.keyboard.press("Enter")
    check_not_refused(posted.value)
    page.wait_for_url(TOKEN_PATH)
    assert page.locator("h1#next-step-heading").inner_text() == "On its way with UPS"


# --- the page ------------------------------------------------------------------------------------


def test_the_timeline_is_an_ordered_list_newest_first_in_local_time(page, base, seed, clock):
    scans = [
        *transit_scans(clock),
        scan("out_for_delivery", clock - timedelta(hours=2), raw_message="On vehicle"),
    ]
    order = seed(*scans)
    page.goto(f"{base}/t/{make_tracking_token(order)}")
    assert page.locator("h1#next-step-heading").inner_text() == "Out for delivery today"
    timeline = page.locator("ol.timeline")
    assert timeline.count() == 1
    assert timeline.get_attribute("reversed") is not None, "numbered newest first for assistive tech too"
    items = timeline.locator("li")
    assert items.count() == len(scans)
    zone = ZoneInfo(ZONE)
    newest_first = sorted(scans, key=lambda s: s["occurred_at"], reverse=True)
    for i, sent in enumerate(newest_first):
        at = datetime.fromisoformat(sent["occurred_at"].replace("Z", "+00:00"))
        local = at.astimezone(zone)
        time = items.nth(i).locator("time")
        shown = datetime.fromisoformat(time.get_attribute("datetime"))
        assert shown == at, f"checkpoint {i}: the moment sent"
        assert shown.utcoffset() == local.utcoffset(), f"checkpoint {i}: in {ZONE}, not UTC"
        with translation.override("en"):
            expected = formats.date_format(local, "DATETIME_FORMAT")
        assert time.inner_text() == expected
        if sent.get("raw_message"):
            assert sent["raw_message"] in items.nth(i).inner_text()
    assert "Newark, NJ" in items.nth(len(scans) - 1).inner_text()
    # the zone named in the page's language, never its raw database name ("America/New_York")
    main_text = page.locator("main").inner_text()
    assert "Times are shown in Eastern Time" in main_text and "America/" not in main_text


def test_a_lost_parcel_shows_the_exception_and_a_prefilled_contact_link(page, base, seed, clock):
    order = seed(*transit_scans(clock), lost_scan(clock))
    page.goto(f"{base}/t/{make_tracking_token(order)}")
    assert page.locator("h1#next-step-heading").inner_text() == "Your parcel is lost"
    step = page.locator("section.step")
    assert step.get_attribute("data-step") == "lost"
    assert "UPS cannot find your parcel" in step.inner_text()
    contact = step.locator("a[data-action=contact_support]")
    assert contact.count() == 1
    assert contact.inner_text() == "Contact us about this order"
    assert (
        contact.get_attribute("href") == "mailto:help@acme.example?subject=Question%20about%20order%20%231001"
    )
    assert "Problem reported" in page.locator(".badge.warn").first.inner_text()


# --- on a phone ----------------------------------------------------------------------------------


def test_on_a_phone_the_page_fits_and_a_screenshot_is_kept(mobile_page, base, seed, clock, artifacts):
    order = seed(*transit_scans(clock), lost_scan(clock))
    mobile_page.goto(f"{base}/t/{make_tracking_token(order)}")
    assert mobile_page.locator("h1#next-step-heading").inner_text() == "Your parcel is lost"
    widths = mobile_page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= MOBILE["width"], f"no horizontal scrolling on a phone: {widths}"
    wide = mobile_page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"
    )
    assert not wide, f"elements sticking out past the screen's edge: {wide}"
    button = mobile_page.locator("a[data-action=contact_support]").bounding_box()
    assert button and button["height"] >= 44, f"the action is a comfortable tap target: {button}"
    path = artifacts / "tracking-mobile.png"
    path.unlink(missing_ok=True)
    mobile_page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    assert width == MOBILE["width"], f"screenshot is {width}px wide"
    assert height >= MOBILE["height"]


# --- customer choices ----------------------------------------------------------------------------


def test_choosing_a_refund_for_an_unavailable_item_in_a_real_browser(page, base, seed, api, clock):
    """The order page hides its token from other sites (referrer policy), yet its own form must
    still pass CSRF in a browser: the answer is recorded and the page says so at once."""
    order = seed(*transit_scans(clock))
    unavailable = {
        "kind": "line.status",
        "order_id": "1001",
        "line_id": "L2",
        "status": "unavailable",
        "occurred_at": iso(clock - timedelta(hours=1)),
    }
    assert api.post("/api/v1/events", unavailable).status_code == 202
    page.goto(f"{base}/t/{make_tracking_token(order)}")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button[data-choice=refund]")
    page.wait_for_load_state()
    check_not_refused(posted.value)
    assert page.locator("p.notice[role=status]").count() == 1
    assert page.locator("button[data-choice]").count() == 0, "answered: no second chance to click"
    from aftercart.orders.models import Fact

    assert Fact.objects.filter(kind="customer.choice", order__external_id="1001").count() == 1


def test_extending_a_pickup_deadline_in_a_real_browser(page, base, api, store, clock):
    """A click-and-collect order whose deadline is tonight: the customer extends it once from the
    page; the page answers at once with the later deadline and offers no second extension."""
    store.branding = {"support_email": "help@acme.example"}
    store.save()
    assert (
        api.post("/api/v1/orders", {**ORDER, "placed_at": iso(clock - timedelta(days=3))}).status_code == 201
    )
    deadline = clock + timedelta(hours=10)
    ready = {
        "kind": "pickup.ready",
        "order_id": "1001",
        "lines": [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 2}],
        "location": {"name": "Acme Soho", "address": "1 Soho Square, London", "hours": "9:00-18:00"},
        "deadline": iso(deadline),
        "occurred_at": iso(clock - timedelta(days=1)),
    }
    assert api.post("/api/v1/events", ready).status_code == 202
    order = Order.objects.get(external_id="1001")
    page.goto(f"{base}/t/{make_tracking_token(order)}")
    assert page.locator("form.choice[data-situation=pickup_not_collected]").count() == 2
    form = page.locator("form.choice").first
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.locator("button[data-choice=extend_pickup]").click()
    page.wait_for_load_state()
    check_not_refused(posted.value)
    assert page.locator("p.notice[role=status]").count() == 1
    shown = {
        datetime.fromisoformat(value)
        for value in page.locator("time[datetime]").evaluate_all("els => els.map(e => e.dateTime)")
    }
    assert deadline + timedelta(days=3) in shown, f"the later deadline is shown: {shown}"
    from aftercart.orders.models import Fact

    assert Fact.objects.filter(kind="customer.choice", payload__choice="extend_pickup").count() == 1


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_under_its_content_security_policy_the_page_keeps_its_styles_and_refuses_injected_ones(
    page, base, seed, store, clock
):
    """The browser enforces the policy: the page's own ``<style>`` (by nonce) applies — the brand
    colour fills the header — and nothing on it is refused; a style or script added without the
    nonce is."""
    order = seed(*transit_scans(clock))
    store.branding = {"support_email": "help@acme.example", "primary_colour": "#123456"}
    store.save()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(f"{base}/t/{make_tracking_token(order)}")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert page.evaluate("getComputedStyle(document.querySelector('header.brand')).backgroundColor") == (
        "rgb(18, 52, 86)"
    )
    assert refused == [], refused
    # What an injection would add: neither takes effect, and the browser says why.
    page.evaluate(
        """() => {
            const style = document.createElement('style');
            style.textContent = 'body { display: none !important; }';
            document.head.appendChild(style);
            const script = document.createElement('script');
            script.textContent = 'document.body.dataset.injected = "yes";';
            document.body.appendChild(script);
        }"""
    )
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    assert page.evaluate("document.body.dataset.injected || ''") == ""
    page.wait_for_timeout(100)
    assert any("style-src" in text for text in refused), refused
    assert any("script-src" in text for text in refused), refused
