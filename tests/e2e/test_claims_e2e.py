"""A damaged-item claim in a real browser (headless Chromium, Playwright) against the live server:
the customer files it from the order's tracking page with a photo, an operator approves and
resolves it in the ops queue, and the resolution e-mail reaches a local SMTP server through the
worker's delivery pass. And the claim form at 390 px: nothing wider than the phone.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from aftercart.claims.models import Claim
from aftercart.claims.services.policy import claim_policy_save
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import Message
from aftercart.orders.tokens import make_tracking_token
from tests.claims_fixtures import delivered_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(store, settings, tmp_path):
    """Order #1001 (a rain jacket, two pairs of socks), delivered two days ago; the store decides
    every claim itself (no automatic approval), so an operator resolves it."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    store.branding = {"support_email": "help@acme.example"}
    store.save()
    claim_policy_save(store=store, data={"auto_approve": {"max_value": None}}, actor="test")
    return delivered_order(store, "1001", delivered=timezone.now() - timedelta(days=2))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "cracked.jpg"
    image = Image.new("RGB", (320, 240), (70, 110, 150))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_damaged_claim_from_the_tracking_page_resolved_by_an_operator_with_the_email(
    page, live_server, order, photo, smtp, settings
):
    settings.AFTERCART_BASE_URL = live_server.url
    base = live_server.url
    token = make_tracking_token(order)
    page.goto(f"{base}/t/{token}")
    page.get_by_role("link", name="Something is wrong with an item").click()
    page.wait_for_url(re.compile(r"/claims/"))
    assert page.locator("h1").inner_text() == "Report a problem with your order"
    page.get_by_role("link", name=re.compile("Something arrived damaged")).click()
    page.wait_for_url(re.compile(r"kind=damaged"))
    jacket = page.locator('[data-line="L1"]')
    jacket.get_by_label("Rain jacket").select_option("1")
    page.get_by_label("Photos of the problem").set_input_files(str(photo))
    assert "5 MB each" in page.locator("#photos-hint").inner_text()
    page.get_by_label("Tell us what happened").fill("The jacket's zip arrived snapped.")
    page.get_by_role("radio", name="Refund me").check()
    page.get_by_role("button", name="Send my claim").click()
    page.wait_for_url(re.compile(r"/claims/[^/]+/C-[0-9A-Z]{10}\?"))

    claim = Claim.objects.get()
    assert claim.kind == "damaged" and claim.status == "in_review"
    assert claim.photos.count() == 1 and claim.preferred_resolution == "refund"
    assert page.locator("h1").inner_text() == "We're reviewing your claim"
    assert claim.number in page.locator(".eyebrow").inner_text()
    # The tracking page lists it.
    page.goto(f"{base}/t/{token}")
    assert page.locator(f'[data-claim="{claim.number}"]').count() == 1

    # The operator, in the ops queue: log in, open the claim, see the photo, approve, resolve.
    get_user_model().objects.create_user("ana", password="ops-pass-1", is_staff=True)
    page.goto(f"{base}/admin/login/?next=/ops/claims")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("ops-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/ops/claims$"))
    row = page.locator(f'tr[data-claim="{claim.number}"]')
    assert "Arrived damaged" in row.inner_text() and "left" in row.inner_text()
    row.get_by_role("link", name=claim.number).click()
    image = page.get_by_role("img", name="Evidence photo 1")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"done=approve"))
    page.get_by_label("Resolution").select_option("refund")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(re.compile(r"done=resolve"))
    assert page.locator("[data-state]").inner_text() == "Resolved"

    claim.refresh_from_db()
    assert claim.status == "resolved" and claim.resolution == "refund"
    # The worker's delivery pass, as `aftercart worker` runs it: the e-mails go out.
    message_deliver_due(now=timezone.now(), limit=200)
    by_id = {str(m["Message-ID"]): m for m in smtp.received}
    resolved = Message.objects.get(dedupe_key=f"claim:{claim.number}:email:claim_resolved")
    assert resolved.status == "sent"
    mail = by_id[resolved.provider_message_id]
    assert mail["To"] == "ana@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert claim.number in body and "refund" in body.lower()
    # Its link opens the claim's page (signed with the order's link).
    link = re.search(rf"{re.escape(base)}/claims/\S+/{claim.number}", body)
    assert link is not None, body

    # The customer's page says it is settled.
    page.goto(f"{base}/claims/{token}/{claim.number}")
    assert page.locator("h1").inner_text() == "Claim settled"


def test_claim_form_fits_a_390px_phone(mobile_page, live_server, order):
    token = make_tracking_token(order)
    mobile_page.goto(f"{live_server.url}/claims/{token}?kind=damaged")
    assert mobile_page.locator("h1").inner_text() == "Something arrived damaged"
    widths = mobile_page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == 390
    # Every control is labelled and at least 44 px tall for a thumb.
    for name in ("Rain jacket", "Photos of the problem", "Tell us what happened"):
        assert mobile_page.get_by_label(name).first.is_visible()
    button = mobile_page.get_by_role("button", name="Send my claim")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    # Sent without a photo: the error is announced and linked to its field.
    mobile_page.locator('[data-line="L1"]').get_by_label("Rain jacket").select_option("1")
    mobile_page.get_by_role("radio", name="Refund me").check()
    button.click()
    summary = mobile_page.get_by_role("alert")
    assert "photo" in summary.inner_text().lower()
    summary.get_by_role("link").first.click()
    assert mobile_page.evaluate("() => document.activeElement && document.activeElement.id") in ("photos", "")
    assert mobile_page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert Claim.objects.count() == 0
