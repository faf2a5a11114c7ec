"""The tracking page's "A question about this order?" form in a real browser (Chromium, 390 px):
typed, sent (past CSRF), answered on the page with the order's next step as the page words it."""

from __future__ import annotations

import re

import pytest

from aftercart.orders.tokens import make_tracking_token
from aftercart.support.models import Conversation
from tests.e2e.test_tracking_e2e import check_not_refused, clock, seed, transit_scans  # noqa: F401
from tests.integration.support_kit import use_fake_classifier

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_question_from_the_tracking_page_is_answered_on_the_page(
    mobile_page,
    live_server,
    seed,  # noqa: F811 (the tracking tests' fixture)
    clock,  # noqa: F811 (the tracking tests' fixture)
    monkeypatch,
):
    use_fake_classifier(monkeypatch)
    order = seed(*transit_scans(clock))
    page = mobile_page
    page.goto(f"{live_server.url}/t/{make_tracking_token(order)}")
    headline = page.locator("#next-step-heading").inner_text().strip()
    page.get_by_label("Your question").fill("When will my parcel arrive?")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    check_not_refused(posted.value)
    answer = page.locator("[data-reply]").inner_text()
    assert headline in answer
    assert re.search(r"/t/[A-Za-z0-9_\-:.]{20,}", answer)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "fits 390 px"
    conversation = Conversation.objects.get()
    assert conversation.order_id == order.pk and conversation.state == "answered"
