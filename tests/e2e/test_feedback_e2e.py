"""A survey answered in a real browser from an e-mail received on a local SMTP server.

The order is delivered; the feedback pass plans its survey and the outbox e-mails it over SMTP. A
link scanner follows every score link of the e-mail with GET and HEAD, many times: nothing is
recorded. The customer then clicks "4" in the e-mail, sees the question with 4 chosen, picks a
reason, writes a word and sends: the answer is recorded once, classified, and — 4 being a
satisfied CSAT — a review request is planned for the store's tools.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.feedback.models import Survey
from aftercart.feedback.worker import feedback_pass
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import ChannelConfig, Message
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver(store, now):
    placed, delivered = now - timedelta(days=6), now - timedelta(days=3)
    facts = [
        fact("order.placed", placed, "placed-1001", order="1001", number="#1001", email="ana@example.com",
             lines=[{"line_id": "L1", "title": "Rain jacket", "sku": "JKT-M", "product_id": "JKT", "quantity": 1}]),
        fact("shipment.created", placed + timedelta(hours=3), "ship-1001", order="1001", shipment_id="S1",
             carrier="UPS", tracking_number="1Z999AA10123456784", lines=[{"line_id": "L1", "quantity": 1}]),
        fact("tracking.event", delivered, "scan-1001", order=None, tracking="1Z999AA10123456784", carrier="ups",
             tag="delivered", raw_message="Delivered"),
    ]  # fmt: skip
    facts_record(store=store, facts=facts, now=delivered)
    return Order.objects.get(external_id="1001")


def test_survey_answered_from_the_email_in_a_browser_scanners_never_vote(
    page, live_server, store, smtp, settings
):
    settings.AFTERCART_BASE_URL = live_server.url
    ChannelConfig.objects.create(
        store=store,
        channel="webhook",
        settings={"url": "http://127.0.0.1:9/hook", "secret": "whsec_" + "A" * 32},
    )
    now = timezone.now()
    order = _deliver(store, now)
    feedback_pass(now=now)
    message_deliver_due(now=now + timedelta(minutes=1))
    (mail,) = [m for m in smtp.received if str(m["Subject"]).startswith("How did we do?")]
    assert mail["To"] == "ana@example.com"
    html = mail.get_body(("html",)).get_content()
    links = {
        score: url.replace("&amp;", "&")
        for url, score in re.findall(r'href="([^"]+/feedback\?about=delivery&amp;score=(\d+))"', html)
    }
    assert sorted(links) == ["1", "2", "3", "4", "5"]
    assert all(url.startswith(live_server.url) for url in links.values())

    # A link scanner (or a mail client's prefetch) follows every link, again and again.
    for _ in range(5):
        for url in links.values():
            assert page.request.get(url).status == 200
            assert page.request.head(url).status == 200
    survey = Survey.objects.get(order=order)
    assert survey.answered_at is None and survey.score is None

    # The customer clicks "4" in the e-mail.
    page.goto(links["4"])
    assert page.locator("h1").inner_text() == "Your feedback"
    assert page.get_by_role("radio", name="4").is_checked()
    page.get_by_label("What mattered most? (optional)").select_option("satisfied")
    page.get_by_label("Anything you would like to tell us? (optional)").fill(
        "The jacket kept me dry all week."
    )
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_url(re.compile(r"thanks=1"))
    assert page.locator("[data-thanks]").inner_text() == "Thank you! Your answer is recorded."

    survey.refresh_from_db()
    assert (survey.score, survey.reason, survey.answered_via) == (4, "satisfied", "email")
    assert survey.text == "The jacket kept me dry all week." and survey.theme
    assert Message.objects.filter(order=order, milestone="review_requested", channel="webhook").count() == 1

    # Scanners after the answer change nothing either; the page shows the answer to change.
    for url in links.values():
        page.request.get(url)
    survey.refresh_from_db()
    assert survey.score == 4
    page.goto(links["1"])
    assert page.get_by_role("radio", name="1").is_checked()
    assert page.get_by_role("button", name="Update my answer").is_visible()
