"""The returns portal in a real browser (headless Chromium, Playwright) against the live server: the
issue's "done when", end to end.

The shopper looks the order up, picks two lines, exchanges the jacket for another size — the first
offer, its own card — and takes store credit (with its bonus) for the socks, sends them by QR
drop-off and is told, on every page and in the e-mail, to show the QR code (never to print). Then
the store's side happens the way it would in production — the carrier's events for the return's
parcel arrive through the REST tracking API, the warehouse inspects it through the returns API —
and the exchange order and the credit are issued, with the shopper's e-mails received by a local
SMTP server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from aftercart.orders.models import Order
from aftercart.returns.models import Return
from aftercart.returns.services.stock import StockItem, stock_set

pytestmark = pytest.mark.django_db(transaction=True)

POLICY = {
    "window_days": 30,
    "return_fee": {"amount": "5.00", "waived_for_exchange": True, "waived_for_store_credit": True},
    "store_credit": {"bonus": {"percent": "10", "cap": "20.00"}},
    "methods": ["label", "dropoff"],
    "return_address": ["Acme Returns", "1 Dock Road", "London E16 1AA"],
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def delivered_order(api, client, api_token, store):
    """Order #1001 (a jacket in M, two pairs of socks), delivered three days ago; size L in stock."""
    import json

    store.branding = {"support_email": "help@acme.example", "primary_colour": "#0f3d3e"}
    store.save()
    response = client.put(
        "/api/v1/returns/policy",
        json.dumps(POLICY),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert response.status_code == 201, response.content
    now = timezone.now().astimezone(UTC)
    placed = now - timedelta(days=7)
    order = {
        "order_id": "1001",
        "number": "#1001",
        "placed_at": iso(placed),
        "email": "ana@example.com",
        "postal_code": "SW1A 1AA",
        "currency": "GBP",
        "total": "145.00",
        "lines": [
            {"line_id": "L1", "sku": "JKT-M", "product_id": "JKT", "variant": "M",
             "title": "Rain jacket", "quantity": 1, "unit_price": "120.00"},
            {"line_id": "L2", "sku": "SCK", "product_id": "SCK", "variant": "One size",
             "title": "Wool socks", "quantity": 2, "unit_price": "12.50"},
        ],
    }  # fmt: skip
    assert api.post("/api/v1/orders", order).status_code == 201
    events = [
        {"kind": "shipment.created", "order_id": "1001", "shipment_id": "S1", "carrier": "UPS",
         "tracking_number": "1Z999AA10123456784", "occurred_at": iso(placed + timedelta(days=1))},
        {"kind": "tracking.event", "tracking_number": "1Z999AA10123456784", "carrier": "ups",
         "tag": "delivered", "occurred_at": iso(now - timedelta(days=3))},
    ]  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": events}).status_code == 202
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=3)])
    # Size S was sold on another order and never fed: unknown stock counts as available.
    other = {"order_id": "990", "number": "#990", "placed_at": iso(placed), "currency": "GBP", "lines": [
        {"line_id": "L1", "sku": "JKT-S", "product_id": "JKT", "variant": "S", "title": "Rain jacket",
         "quantity": 1, "unit_price": "120.00"}]}  # fmt: skip
    assert api.post("/api/v1/orders", other).status_code == 201
    return Order.objects.get(external_id="1001")


@pytest.fixture
def mailbox(settings):
    """A local SMTP server (aiosmtpd) the e-mail channel delivers to."""
    from tests.conftest import SmtpServer, free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "orders@acme.example"
    server = SmtpServer(port)
    server.start()
    yield server
    server.stop()


def deliver_mail(mailbox, rma: str, *, at: datetime) -> dict[str, object]:
    """Run the worker's delivery once (as ``aftercart worker`` would) and return the e-mails about
    the return the SMTP server received so far, by milestone (matched on their Message-ID)."""
    from aftercart.notifications.delivery import message_deliver_due
    from aftercart.notifications.models import Message

    message_deliver_due(now=at, limit=200)
    by_id = {str(m["Message-ID"]): m for m in mailbox.received}
    sent = Message.objects.filter(channel="email", dedupe_key__startswith=f"return:{rma}:", status="sent")
    found = {m.milestone: by_id.get(m.provider_message_id) for m in sent}
    assert all(found.values()), "an e-mail marked sent never reached the SMTP server"
    return found


def test_done_when_portal_then_carrier_inspection_exchange_and_credit(
    page, live_server, delivered_order, artifacts, api, mailbox, settings
):
    """The issue's "done when", end to end: the portal (in the browser), then the return's parcel
    through the carrier's events, inspection, the exchange order and the credit, with e-mails."""
    settings.AFTERCART_BASE_URL = live_server.url
    base = live_server.url
    # Lookup, as the shopper does it: number and postal code.
    page.goto(f"{base}/returns")
    page.get_by_label("Order number").fill("1001")
    page.get_by_label("E-mail address or postal code").fill("sw1a 1aa")
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_url(re.compile(r"/returns/[A-Za-z0-9_\-:]{20,}$"))
    assert page.locator("h1").inner_text() == "Return or exchange items"

    # Two lines: the jacket (too small), one pair of socks. No exchange list here: step 2 offers it.
    jacket = page.locator('section[data-line="L1"]')
    jacket.get_by_label("How many to return?").select_option("1")
    jacket.get_by_label("Why are you returning it?").select_option("size_too_small")
    assert jacket.locator("select").count() == 2
    socks = page.locator('section[data-line="L2"]')
    socks.get_by_label("How many to return?").select_option("1")
    socks.get_by_label("Why are you returning it?").select_option("changed_mind")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/review\?"))

    # Exchange first: its own card before credit and refund, each saying what the shopper gets
    # and when. L is in the feed; S was sold on another order and never fed: available too.
    jacket = page.locator('section[data-line="L1"]')
    socks = page.locator('section[data-line="L2"]')
    assert jacket.locator("[data-offer]").evaluate_all("els => els.map(e => e.dataset.offer)") == [
        "exchange",
        "exchange",
        "store_credit",
        "refund",
    ]
    choices = jacket.get_by_role("group", name="What would you like for it?")
    exchange = choices.get_by_role("radio", name=re.compile(r"^Exchange for L\b"))
    exchange_card = jacket.locator('[data-offer="exchange"]').first
    assert "Exchange for L" in exchange_card.inner_text()
    assert "You get: Rain jacket (L)" in exchange_card.inner_text()
    assert "Same price: nothing to pay" in exchange_card.inner_text()
    assert "We send it once we have received and checked your return." in exchange_card.inner_text()
    assert "Exchange for S" in jacket.locator('[data-offer="exchange"]').nth(1).inner_text()
    refund_text = jacket.locator('[data-offer="refund"]').inner_text()
    assert "Refunded once we have received and checked your return" in refund_text and "Fee: £" in refund_text
    credit = socks.locator('[data-offer="store_credit"]')
    credit_text = credit.inner_text()
    assert "in store credit" in credit_text and "Includes a bonus of £" in credit_text
    assert "Ready to use once we have received and checked your return." in credit_text
    assert "Send it back by" in credit_text
    # Keyboard: the card's radio takes focus and Space chooses it (no script involved).
    exchange.focus()
    page.keyboard.press("Space")
    assert exchange.is_checked()
    # Screen readers hear the card's details with its radio.
    described = exchange.get_attribute("aria-describedby")
    assert "You get: Rain jacket (L)" in page.locator(f"#{described}").inner_text()
    credit.get_by_role("radio").check()
    page.get_by_role("radio", name=re.compile("Drop-off with a QR code")).check()
    # What the browser is about to send, to send it once more afterwards (a double submission).
    form = page.locator("form[enctype]")
    action = form.get_attribute("action")
    fields = form.evaluate(
        "f => Object.fromEntries([...new FormData(f)].filter(([k, v]) => typeof v === 'string'))"
    )
    page.get_by_role("button", name="Submit return").click()
    page.wait_for_url(re.compile(r"/returns/[^/]+/R-[0-9A-Z]{10}\?"))

    ret = Return.objects.get()
    assert ret.method == "dropoff" and ret.status == "label_issued"
    assert {ln.line_id: ln.resolution for ln in ret.lines.all()} == {"L1": "exchange", "L2": "store_credit"}
    assert ret.bonus_amount > 0

    assert ret.lines.get(line_id="L1").exchange_for["variant"] == "L"

    # The return's page: its RMA, the next step for a QR drop-off, the QR code inline, and
    # nothing to print: no label to download, no instruction to print one.
    main = page.locator("main").inner_text()
    assert ret.rma in main
    assert page.locator("[data-step]").get_attribute("data-step") == "return_send_items"
    step = page.locator("[data-step]").inner_text()
    assert "Bring the items to a drop-off point by" in step and "show your QR code there" in step
    assert not re.search(r"\bprint\b", main, re.IGNORECASE), "a QR drop-off never says print"
    assert page.locator("[data-label]").count() == 0
    assert "Sending it back: Drop-off with a QR code" in main
    assert "QR code ready" in page.locator(".timeline").inner_text()
    qr = page.locator("[data-qr] svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 100
    page.screenshot(path=str(artifacts / "returns-status.png"), full_page=True)

    # The same submission again (a double click, a retried request) is the same return.
    again = page.request.post(base + action, form=fields, max_redirects=0)
    assert again.status == 303
    assert again.headers["location"].split("?")[0] == page.url.split("?")[0].replace(base, "")
    assert Return.objects.count() == 1
    page.goto(base + again.headers["location"])
    assert "You already sent us this return" in page.locator("main").inner_text()

    # The order's tracking page lists the return, linked to its page.
    page.goto(f"{base}/t/{page.url.split('/returns/')[1].split('/')[0]}")
    link = page.locator(f'[data-return="{ret.rma}"]')
    assert link.is_visible()
    link.click()
    page.wait_for_url(re.compile(ret.rma))

    # The shopper has the QR code by e-mail (approved at once, so the request's own e-mail is
    # folded into it), attached as an image for the counter.
    now = timezone.now()
    mails = deliver_mail(mailbox, ret.rma, at=now)
    assert list(mails) == ["label_ready"]
    qr_mail = mails["label_ready"]
    assert ret.rma in qr_mail["Subject"] and qr_mail["To"] == "ana@example.com"
    assert any(part.get_content_type() == "image/png" for part in qr_mail.iter_attachments())
    # The e-mail says what the page says: bring the items, show the code; never print a label.
    text = " ".join(qr_mail.get_body(("plain",)).get_content().split())
    assert "Bring the items to a drop-off point by" in text and "show your QR code there" in text
    assert not re.search(r"\bprint\b", text, re.IGNORECASE) and "label.pdf" not in text
    assert not any(part.get_content_type() == "application/pdf" for part in qr_mail.iter_attachments())

    # The store's carrier label for the parcel; the carrier's scans arrive through the REST
    # tracking API like any other parcel's, and move the return.
    label = api.post(
        f"/api/v1/returns/{ret.rma}/label", {"tracking_number": "1ZRETURN0001", "carrier": "ups"}
    )
    assert label.status_code == 200, label.content
    scans = [
        {"kind": "tracking.event", "tracking_number": "1ZRETURN0001", "carrier": "ups", "tag": "in_transit",
         "occurred_at": iso(now + timedelta(minutes=5)), "raw_message": "Picked up"},
        {"kind": "tracking.event", "tracking_number": "1ZRETURN0001", "carrier": "ups", "tag": "delivered",
         "occurred_at": iso(now + timedelta(minutes=30)), "raw_message": "Delivered to Acme Returns"},
    ]  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": scans}).status_code == 202
    ret.refresh_from_db()
    assert ret.status == "received"
    page.reload()
    assert page.locator("[data-step]").get_attribute("data-step") == "return_received"
    # Nothing left to send: the label and QR code are no longer offered.
    assert page.locator("[data-qr]").count() == 0 and page.locator("[data-label]").count() == 0
    history = page.locator(".timeline").inner_text()
    assert "On its way back" in history and "Received by us" in history
    # The worker sends the arrival e-mail while it is news.
    mails = deliver_mail(mailbox, ret.rma, at=now + timedelta(minutes=31))
    assert set(mails) == {"label_ready", "return_received"}
    assert not re.search(r"\bprint\b", mails["return_received"].get_body(("plain",)).get_content(), re.I)

    # The warehouse inspects it and the store resolves it: the exchange order and the credit.
    inspect = api.post(f"/api/v1/returns/{ret.rma}/inspect", {"result": "accept_all"})
    assert inspect.status_code == 200, inspect.content
    resolved = api.post(f"/api/v1/returns/{ret.rma}/resolve", {"reference": "EXCH-1001"})
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert body["status"] == "resolved"
    assert set(body["resolution"].split(",")) == {"credit_issued", "exchange_created"}
    assert body["exchange_order"]["lines"][0]["variant"] == "L"
    assert Decimal(body["amounts"]["store_credit"]) == ret.credit_amount > Decimal("12.50")  # with bonus
    mails = deliver_mail(mailbox, ret.rma, at=now + timedelta(hours=1))
    assert set(mails) == {"label_ready", "return_received", "credit_issued", "exchange_shipped"}
    assert all(m["To"] == "ana@example.com" and ret.rma in m["Subject"] for m in mails.values())
    assert len([m for m in mailbox.received if ret.rma in str(m["Subject"])]) == len(mails)
    page.reload()
    step = page.locator("[data-step]")
    assert step.get_attribute("data-step") == "return_resolved"
    # Both things issued are told, not just the first.
    assert "Your exchange is on its way." in step.inner_text()
    assert "Your store credit is ready to use." in step.inner_text()
    page.screenshot(path=str(artifacts / "returns-resolved.png"), full_page=True)


def test_errors_are_announced_and_linked_to_their_fields(page, live_server, delivered_order):
    """A refused line comes back with a summary at the top whose links move focus to the field."""
    from aftercart.orders.tokens import make_tracking_token

    base = live_server.url
    token = make_tracking_token(delivered_order)
    page.goto(f"{base}/returns/{token}")
    socks = page.locator('section[data-line="L2"]')
    socks.get_by_label("How many to return?").select_option("2")
    # No reason given: the page asks for one, by the field.
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "Choose why you are returning this item." in summary.inner_text()
    summary.get_by_role("link").first.click()
    focused = page.evaluate("document.activeElement.id")
    assert focused == "qty-1"
    assert page.locator("#qty-1").get_attribute("aria-invalid") == "true"
    assert Return.objects.count() == 0


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map(el => el.name)"""
RADIOS_OUTSIDE_FIELDSETS = """() => [...document.querySelectorAll('input[type=radio]')]
    .filter(el => !el.closest('fieldset') || !el.closest('fieldset').querySelector('legend'))
    .map(el => el.name)"""


def test_the_portal_fits_a_phone_and_labels_every_control(mobile_page, live_server, delivered_order):
    """On a 390 px phone both steps fit without sideways scrolling; every control has a label and
    every group of choices a legend."""
    from aftercart.orders.tokens import make_tracking_token

    page = mobile_page
    page.goto(f"{live_server.url}/returns/{make_tracking_token(delivered_order)}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(UNLABELLED) == []
    jacket = page.locator('section[data-line="L1"]')
    jacket.get_by_label("How many to return?").select_option("1")
    jacket.get_by_label("Why are you returning it?").select_option("defective")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/review\?"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(RADIOS_OUTSIDE_FIELDSETS) == []
    assert page.get_by_role("group", name="What would you like for it?").is_visible()
    assert page.get_by_role("group", name="How will you send it back?").is_visible()
