"""The agent's console in a real browser (headless Chromium, Playwright) against the live server.

A customer's e-mail about a broken parcel comes in through the support app's real inbound path
(stored, classified, matched to the order by the sender's address, escalated for a person). An
agent logs in, finds the order by its tracking number, reads its one timeline (the ledger's
facts, the case, the conversation), opens the escalated conversation, edits the suggested reply
and sends it; the worker's support pass sends it by e-mail, and a local SMTP server receives it in
the customer's thread. Then the same console at a phone's width.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from aftercart.orders.models import Order
from aftercart.support.console.sidebar import sidebar_query
from aftercart.support.inbound import Inbound
from aftercart.support.models import Conversation
from aftercart.support.outbound import replies_send_due
from aftercart.support.services import message_process, message_receive
from tests.e2e.axe import axe_violations
from tests.integration.support_console_data import place, ship

pytestmark = pytest.mark.django_db(transaction=True)

TRACKING = "1Z999AA10123456784"


@pytest.fixture
def escalated(store, smtp, settings, live_server):
    """Order #1001 shipped with UPS; Ana's e-mail says it arrived broken (escalated)."""
    settings.AFTERCART_BASE_URL = live_server.url
    now = timezone.now()
    order = place(store, at=now - timedelta(days=3), locale="en")
    ship(store, tracking=TRACKING, at=now - timedelta(days=2))
    received = message_receive(
        store_id=store.pk,
        inbound=Inbound(
            channel="email",
            message_id="<ana-1@mail.example>",
            sender_email="ana@example.com",
            sender_name="Ana Martin",
            recipient="help@acme.example",
            subject="My scarf",
            text="Hello, my parcel arrived today and the scarf inside is broken. What can you do?",
            occurred_at=now - timedelta(hours=1),
        ),
        now=now - timedelta(hours=1),
    )
    message_process(message_id=received.message.pk, now=now - timedelta(hours=1))
    conversation = Conversation.objects.get(pk=received.conversation.pk)
    assert conversation.state == Conversation.State.NEEDS_AGENT, conversation.escalation_reasons
    assert conversation.order_id == order.pk
    smtp.received.clear()  # anything the automation sent before (an acknowledgement) is not ours
    return conversation


@pytest.fixture
def agent(db):
    return get_user_model().objects.create_user("maria", "maria@acme.example", "correct horse", is_staff=True)


def _login(page, base):
    page.goto(f"{base}/ops/support/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/ops/support/")


def test_agent_finds_the_order_reads_its_timeline_and_answers_by_email(
    page, live_server, escalated, agent, smtp
):
    base = live_server.url
    _login(page, base)
    # The escalated conversation waits in the inbox.
    row = page.locator(f'tr[data-conversation="{escalated.public_id}"]')
    assert "Needs an agent" in row.inner_text()

    # Find the order by its tracking number, typed as a customer reads it off the label.
    page.get_by_role("link", name="Find an order").click()
    page.get_by_label("Order number, e-mail, phone or tracking number").fill("1z999aa1 0123456784")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="#1001").click()
    page.wait_for_url(f"{base}/ops/support/orders/*")

    # One timeline, in time order, in words.
    timeline = page.locator("ol.timeline")
    text = timeline.inner_text()
    for words in ("Order placed", "Shipped", "Carrier: in transit", "Customer wrote (E-mail)"):
        assert words in text, words
    assert text.index("Order placed") < text.index("Shipped") < text.index("Customer wrote (E-mail)")
    assert "tracking.event" not in text and "order.placed" not in text
    assert page.locator("[data-step]").first.is_visible()
    assert axe_violations(page) == []

    # Answer the conversation from its page: the suggested reply, edited.
    page.get_by_role("link", name="My scarf").first.click()
    reply = page.get_by_label("Suggested reply (edit before sending if you like)")
    suggested = reply.input_value()
    assert axe_violations(page) == []
    assert "/t/" in suggested and "#1001" in suggested
    reply.fill(
        "Hello Ana,\n\nSorry about the scarf: a new one leaves today.\n\n" + suggested.split("\n\n", 1)[1]
    )
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply queued on E-mail.").wait_for()
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_text("Assigned to maria.").wait_for()

    # The worker's support pass sends it; it arrives in the customer's thread.
    assert replies_send_due(now=timezone.now() + timedelta(seconds=1)) == 1
    [mail] = smtp.received
    assert mail["To"] == "ana@example.com"
    assert mail["In-Reply-To"] == "<ana-1@mail.example>"
    assert mail["Subject"] == "Re: My scarf"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "a new one leaves today" in body and f"{live_server.url}/t/" in body
    assert "Auto-Submitted" not in mail  # a person wrote it
    escalated.refresh_from_db()
    assert escalated.state == Conversation.State.WAITING and escalated.assignee == agent
    # ... and the timeline says so.
    page.goto(f"{base}/ops/support/orders/{Order.objects.get(external_id='1001').pk}")
    assert "Reply by maria (E-mail)" in page.locator("ol.timeline").inner_text()

    # The helpdesk sidebar for Ana, as Zendesk would frame it.
    page.goto(
        f"{base}/ops/support/sidebar/{escalated.store.slug}?{sidebar_query(escalated.store, email='ana@example.com')}"
    )
    assert "#1001" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_console_fits_a_phone(mobile_page, live_server, escalated, agent):
    page = mobile_page
    base = live_server.url
    _login(page, base)
    for path in (
        "/ops/support/",
        f"/ops/support/c/{escalated.public_id}",
        f"/ops/support/orders/{escalated.order_id}",
        "/ops/support/metrics",
    ):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        # every control has a name a screen reader reads
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"""
        )
        assert unnamed == 0, path
        assert axe_violations(page) == [], path
    page.goto(f"{base}/ops/support/c/{escalated.public_id}")
    assert page.get_by_role("button", name="Send reply").is_visible()


def test_metrics_charts_draw_under_the_csp_with_their_tables(page, live_server, escalated, agent):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, live_server.url)
    page.wait_for_timeout(300)
    # What the shell itself logs on a page without charts (htmx 2's indicator <style>, which the
    # back office's base template turns off on another branch): the charts must add nothing to it.
    shell = sorted(e for e in errors if "favicon" not in e and "404" not in e)
    errors.clear()
    page.goto(f"{live_server.url}/ops/support/metrics")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].map(c => !!Chart.getChart(c))"
    )
    assert drawn == [True, True]
    assert sorted(e for e in errors if "favicon" not in e and "404" not in e) == shell
    assert not any("script" in e.lower() for e in errors)
    page.get_by_text("Figures: Contacts by intent").click()
    intent = (escalated.intent or "other").replace("_", " ")
    assert page.get_by_role("row", name=f"{intent} 1", exact=True).is_visible()
    assert axe_violations(page) == []  # the charts' canvases, captions and tables


def test_the_accessibility_check_does_find_violations(page):
    """The axe run above can fail: a page with an unlabelled field and an image without text."""
    page.set_content('<html><body><main><img src="x.png"><input name="q"></main></body></html>')
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label", "html-has-lang"} <= found
