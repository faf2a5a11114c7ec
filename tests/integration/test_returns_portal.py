"""The shoppers' returns portal: lookup, picking lines, the policy's offers, the return's page — and
every bad input answered on the page, by the field, with nothing written."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http.multipartparser import MultiPartParser
from django.utils import timezone
from PIL import Image

from aftercart.domain.returns import Reason, RequestedLine
from aftercart.domain.returns.lifecycle import Inspection, ReturnEvent
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import Return, ReturnFact, ReturnLine
from aftercart.returns.photos import MAX_BYTES, MAX_PER_LINE, MAX_UPLOAD_BYTES, photos_root
from aftercart.returns.services import request as return_request_service
from aftercart.returns.services.stock import StockItem, stock_set
from aftercart.returns.services.transition import return_transition
from aftercart.returns.submission import SubmittedLine, return_submit

pytestmark = pytest.mark.django_db

POLICY = {
    "window_days": 30,
    "final_sale": {"skus": ["SALE-TEE"]},
    "return_fee": {"amount": "5.00", "waived_for_exchange": True, "waived_for_store_credit": True},
    "store_credit": {"bonus": {"percent": "10", "cap": "20.00"}},
    "methods": ["label", "dropoff"],
}


def iso(dt):
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    """Photos under the test's folder; the lookup's rate limits start from zero."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()


def place(api, order_id="1001", *, delivered_days_ago=3, email="ana@example.com"):
    """A jacket (1 × 120.00, size M), two pairs of socks (2 × 12.50) and a final-sale tee."""
    now = timezone.now()
    placed = now - timedelta(days=delivered_days_ago + 4)
    order = {
        "order_id": order_id,
        "number": f"#{order_id}",
        "placed_at": iso(placed),
        "email": email,
        "postal_code": "SW1A 1AA",
        "currency": "EUR",
        "total": "150.00",
        "lines": [
            {"line_id": f"{order_id}-L1", "sku": "JKT-M", "product_id": "JKT", "variant": "M",
             "title": "Rain jacket", "quantity": 1, "unit_price": "120.00"},
            {"line_id": f"{order_id}-L2", "sku": "SCK", "product_id": "SCK", "variant": "One size",
             "title": "Wool socks", "quantity": 2, "unit_price": "12.50"},
            {"line_id": f"{order_id}-L3", "sku": "SALE-TEE", "product_id": "TEE", "variant": "S",
             "title": "Tee", "quantity": 1, "unit_price": "5.00"},
        ],
    }  # fmt: skip
    assert api.post("/api/v1/orders", order).status_code == 201
    tracking = f"1Z{order_id}X"
    events = [
        {"kind": "shipment.created", "order_id": order_id, "shipment_id": "S1", "carrier": "UPS",
         "tracking_number": tracking, "occurred_at": iso(placed + timedelta(days=1)),
         "lines": [{"line_id": f"{order_id}-L{n}", "quantity": q} for n, q in ((1, 1), (2, 2), (3, 1))]},
        {"kind": "tracking.event", "tracking_number": tracking, "carrier": "ups", "tag": "delivered",
         "occurred_at": iso(now - timedelta(days=delivered_days_ago))},
    ]  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": events}).status_code == 202
    return Order.objects.get(external_id=order_id)


@pytest.fixture
def policy(client, api_token):
    response = client.put(
        "/api/v1/returns/policy",
        json.dumps(POLICY),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert response.status_code == 201, response.content


@pytest.fixture
def order(api, policy, store):
    store.branding = {"primary_colour": "#123456", "support_email": "help@acme.example"}
    store.save()
    return place(api)


@pytest.fixture
def token(order):
    return make_tracking_token(order)


def nothing_written():
    return Return.objects.count() == 0 and ReturnLine.objects.count() == 0 and ReturnFact.objects.count() == 0


def review(client, token, **fields):
    return client.get(f"/returns/{token}/review", fields)


def jacket_and_socks(**extra):
    """Step 1's fields: the jacket (size too small) and one pair of socks (changed mind)."""
    return {
        "line-0": "1001-L1", "qty-0": "1", "reason-0": "size_too_small",
        "line-1": "1001-L2", "qty-1": "1", "reason-1": "changed_mind",
        **extra,
    }  # fmt: skip


def submission(client, token, **fields):
    """The review page's hidden fields and client key for ``fields``, ready to post."""
    page = review(client, token, **fields)
    assert page.status_code == 200, page.content.decode()
    html = page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    hidden.pop("csrfmiddlewaretoken", None)
    return hidden


def errors_of(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', response.content.decode()))


# --- lookup and links -----------------------------------------------------------------------------


def test_lookup_goes_to_the_orders_returns_page(client, order, token):
    response = client.post("/returns", {"number": "1001", "contact": "sw1a1aa"})
    assert response.status_code == 303
    assert response["Location"] == f"/returns/{token}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rain jacket" in html and "Wool socks" in html
    assert "#123456" in html  # the store's branding
    assert page["Referrer-Policy"] == "no-referrer"
    # The final-sale tee is listed with why it cannot come back, and no field to pick it.
    assert "This item was a final sale and cannot be returned." in html
    assert 'value="1001-L3"' not in html


def test_every_miss_gets_the_same_answer_and_lookups_are_rate_limited(client, order, settings):
    settings.AFTERCART_LOOKUP_LIMIT_PER_ORDER = 3
    wrong_email = client.post("/returns", {"number": "1001", "contact": "bob@example.com"})
    unknown = client.post("/returns", {"number": "9999", "contact": "ana@example.com"})
    wrong_postal = client.post("/returns", {"number": "1001", "contact": "EC1A 1BB"})
    client.post("/returns", {"number": "#1001", "contact": "nobody@example.com"})
    bodies = {
        re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]*"|<style nonce="[^"]*">',  # new for every response
            "",
            r.content.decode().replace("9999", "1001"),
        )
        for r in (wrong_email, unknown, wrong_postal)
    }
    assert wrong_email.status_code == unknown.status_code == wrong_postal.status_code == 200
    assert len(bodies) == 1
    assert "We could not find an order with those details" in wrong_email.content.decode()
    limited = client.post("/returns", {"number": "1001", "contact": "ana@example.com"})
    assert limited.status_code == 429 and limited["Retry-After"]


def test_a_tampered_link_gets_a_clear_page_and_writes_nothing(client, token):
    forged = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    for response in (
        client.get(f"/returns/{forged}"),
        client.get(f"/returns/{forged}/review", jacket_and_socks()),
        client.post(f"/returns/{forged}/submit", {**jacket_and_socks(), "choice-0": "refund"}),
    ):
        assert response.status_code == 404
        assert "This returns link does not work" in response.content.decode()
    assert nothing_written()


def test_a_revoked_link_no_longer_opens_the_portal(client, order, token):
    order.token_version = (order.token_version or 0) + 1
    order.save(update_fields=["token_version"])
    assert client.get(f"/returns/{token}").status_code == 404


# --- the offers and the return --------------------------------------------------------------------


def test_an_open_return_keeps_its_links_working_until_it_closes_and_the_grace_period_after(
    client, token, settings, monkeypatch
):
    """The return e-mails link to the return's page through the order's link: it must keep working
    while the return is open, however long after delivery, and for the same grace period after it
    closed. Starting a new return is still the policy's window (closed here)."""
    settings.AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY = 10
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    assert client.post(f"/returns/{token}/submit", fields).status_code == 303
    ret = Return.objects.get()
    start = timezone.now()  # three days after delivery

    def on_day(days):
        moment = start + timedelta(days=days)
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    pages = [
        f"/t/{token}",
        f"/returns/{token}",
        f"/returns/{token}/{ret.rma}",
        f"/returns/{token}/{ret.rma}/label.pdf",
    ]
    on_day(30)  # 33 days after delivery: the order's own 10 days are long over, the return is open
    assert [client.get(url).status_code for url in pages] == [200, 200, 200, 200]
    tracking = client.get(f"/t/{token}").content.decode()
    assert f'href="/returns/{token}/{ret.rma}"' in tracking, "the order page's returns panel"
    late = review(client, token, **{"line-0": "1001-L3", "qty-0": "1", "reason-0": "changed_mind"})
    assert late.status_code == 400 and "The return window for this item closed on" in errors_of(late)

    closed_at = on_day(31)
    for event, extra in (
        (ReturnEvent.MARK_RECEIVED, {}),
        (ReturnEvent.INSPECT, {"inspection": Inspection.ACCEPT_ALL}),
        (ReturnEvent.RESOLVE, {}),
    ):
        return_transition(ret=ret, event=event, now=closed_at, **extra)
    assert Return.objects.get().status == "resolved"
    on_day(31 + 9)  # nine days after the refund
    assert [client.get(url).status_code for url in pages[:3]] == [200, 200, 200]
    on_day(31 + 10)  # ten days after: gone, like any link after the grace period
    assert [client.get(url).status_code for url in pages] == [410, 410, 410, 410]
    assert "This tracking link has expired" in client.get(f"/t/{token}").content.decode()


def test_offers_come_in_the_policys_order_with_the_domains_amounts(client, order, token, store):
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=2)])
    # Step 1 asks what comes back and why; the exchange is step 2's first offer, not a list here.
    assert "exchange-0" not in client.get(f"/returns/{token}").content.decode()
    response = review(client, token, **jacket_and_socks())
    assert response.status_code == 200, errors_of(response)
    html = response.content.decode()
    jacket = html[html.index('data-line="1001-L1"') : html.index('data-line="1001-L2"')]
    socks = html[html.index('data-line="1001-L2"') :]
    assert re.findall(r'data-offer="(\w+)"', jacket) == ["exchange", "store_credit", "refund"]
    assert 'value="exchange:L"' in jacket and "Exchange for L" in jacket
    # The socks come in one size only: nothing to exchange them for.
    assert re.findall(r'data-offer="(\w+)"', socks) == ["store_credit", "refund"]
    assert "You get: Rain jacket (L)" in jacket and "Same price: nothing to pay" in jacket
    assert "We send it once we have received and checked your return." in jacket
    assert "Ready to use once we have received and checked your return." in jacket
    # Store credit: 120.00 + a 10 % bonus shared over the lines by value; the fee is waived.
    from aftercart.domain.returns import OfferKind, Reason, RequestedLine
    from aftercart.orders.selectors import order_state
    from aftercart.returns.portal import quote

    decision = quote(
        order,
        order_state(order),
        [
            RequestedLine("1001-L1", 1, Reason.SIZE_TOO_SMALL),
            RequestedLine("1001-L2", 1, Reason.CHANGED_MIND),
        ],
        timezone.now(),
    )
    credit = decision.line("1001-L1").offer(OfferKind.STORE_CREDIT)
    refund = decision.line("1001-L2").offer(OfferKind.REFUND)
    assert credit.bonus > 0 and refund.fee > 0
    assert f"You get: €{credit.amount} in store credit" in jacket
    assert f"Includes a bonus of €{credit.bonus}" in jacket
    assert f"Fee: €{refund.fee}" in socks and f"You get back: €{refund.amount}" in socks
    assert "Send it back by" in jacket
    assert re.findall(r'data-method="(\w+)"', html) == ["label", "dropoff"]


def test_submitting_makes_the_return_and_shows_its_page_label_and_qr(client, order, token, store):
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=2)])
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "exchange:L", "choice-1": "store_credit", "method": "dropoff"})
    response = client.post(f"/returns/{token}/submit?lang=en", fields)
    assert response.status_code == 303, errors_of(response)
    ret = Return.objects.get()
    assert ret.source == "portal" and ret.method == "dropoff" and ret.status == "label_issued"
    assert {ln.line_id: ln.resolution for ln in ret.lines.all()} == {
        "1001-L1": "exchange",
        "1001-L2": "store_credit",
    }
    assert ret.lines.get(line_id="1001-L1").exchange_for["variant"] == "L"
    assert response["Location"].startswith(f"/returns/{token}/{ret.rma}")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert ret.rma in html
    assert 'data-step="return_send_items"' in html
    assert "<svg" in html and "data-qr" in html
    # A QR drop-off: nothing to print, so no label to download on its page (it still exists).
    assert "label.pdf" not in html and not re.search(r"\bprint\b", html, re.IGNORECASE)
    label = f"/returns/{token}/{ret.rma}/label.pdf"
    pdf = client.get(label)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The tracking page lists the return, linked to its page.
    tracking = client.get(f"/t/{token}").content.decode()
    assert f'href="/returns/{token}/{ret.rma}"' in tracking


def test_the_same_submission_again_is_the_same_return(client, token):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    first = client.post(f"/returns/{token}/submit", fields)
    second = client.post(f"/returns/{token}/submit", fields)
    assert first.status_code == second.status_code == 303
    assert Return.objects.count() == 1
    assert second["Location"].split("?")[0] == first["Location"].split("?")[0]
    assert "You already sent us this return" in client.get(second["Location"]).content.decode()


def _jpeg() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, format="JPEG")
    return image.getvalue()


def test_photos_are_checked_by_content_and_kept(client, token, tmp_path, django_capture_on_commit_callbacks):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    upload = _file("jacket.jpg", _jpeg())
    # The photos are written once the request's transaction commits (as it does outside a test).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/returns/{token}/submit", {**fields, "photos-0": [upload]})
    assert response.status_code == 303, errors_of(response)
    line = ReturnLine.objects.get(line_id="1001-L1")
    assert len(line.photos) == 1
    kept = photos_root() / line.photos[0]
    assert kept.is_file() and Image.open(kept).format == "JPEG"


def test_the_photos_of_a_request_that_rolls_back_are_never_written(
    client, token, monkeypatch, django_capture_on_commit_callbacks
):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})

    def fails(*args, **kwargs):
        assert ReturnLine.objects.exists(), "the lines naming the photos are saved by now"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(return_request_service, "_reserve_stock", fails)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        client.post(f"/returns/{token}/submit", {**fields, "photos-0": [_file("jacket.jpg", _jpeg())]})
    assert callbacks == [] and nothing_written()
    assert not (photos_root() / "returns").exists()


def test_photos_are_written_only_when_the_return_commits(order, django_capture_on_commit_callbacks):
    # The service's caller may hold a wider transaction: until it commits, no file exists.
    line = SubmittedLine(
        request=RequestedLine(line_id="1001-L1", quantity=1, reason=Reason.SIZE_TOO_SMALL),
        resolution="refund",
        photos=[("jacket.jpg", _jpeg())],
    )
    submit = {"order": order, "lines": [line], "method": "label", "client_key": "portal:k1"}

    def rolled_back():
        with transaction.atomic():
            assert return_submit(state=order_state(order), now=timezone.now(), **submit).created
            assert not (photos_root() / "returns").exists()
            raise RuntimeError("the caller rolls back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rolled_back()
    assert nothing_written() and not (photos_root() / "returns").exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = return_submit(state=order_state(order), now=timezone.now(), **submit)
    [path] = result.ret.lines.get().photos
    assert (photos_root() / path).is_file()


# --- bad input: a message by the field, nothing written -------------------------------------------


def test_over_quantity_is_refused_on_the_page(client, token):
    response = review(client, token, **{"line-1": "1001-L2", "qty-1": "3", "reason-1": "changed_mind"})
    assert response.status_code == 400
    assert "You can return at most 2 of this item." in errors_of(response)
    html = response.content.decode()
    # The message is tied to the field, and the summary at the top links to it.
    assert 'id="qty-1" name="qty-1" aria-invalid="true" aria-describedby="qty-1-error"' in html
    assert '<a href="#qty-1">Wool socks: You can return at most 2 of this item.</a>' in html
    assert nothing_written()


def test_a_line_from_another_order_is_refused(client, api, token):
    place(api, "2002", email="bob@example.com")
    fields = {"line-0": "2002-L1", "qty-0": "1", "reason-0": "changed_mind"}
    response = review(client, token, **fields)
    assert response.status_code == 400
    assert "This item is not part of this order." in errors_of(response)
    posted = client.post(f"/returns/{token}/submit", {**fields, "choice-0": "refund", "method": "label"})
    assert posted.status_code == 400 and "This item is not part of this order." in errors_of(posted)
    assert nothing_written()


def test_a_line_already_returned_is_refused(client, token):
    fields = submission(client, token, **{"line-0": "1001-L1", "qty-0": "1", "reason-0": "defective"})
    assert (
        client.post(
            f"/returns/{token}/submit", {**fields, "choice-0": "refund", "method": "label"}
        ).status_code
        == 303
    )
    before = (Return.objects.count(), ReturnFact.objects.count())
    again = review(client, token, **{"line-0": "1001-L1", "qty-0": "1", "reason-0": "defective"})
    assert again.status_code == 400
    assert "This item has already been returned." in errors_of(again)
    assert (Return.objects.count(), ReturnFact.objects.count()) == before


def test_an_expired_window_is_refused(client, api, policy):
    late = place(api, "3003", delivered_days_ago=45)
    token = make_tracking_token(late)
    page = client.get(f"/returns/{token}").content.decode()
    assert "Nothing on this order can be returned now." in page
    response = review(client, token, **{"line-0": "3003-L1", "qty-0": "1", "reason-0": "changed_mind"})
    assert response.status_code == 400
    assert "The return window for this item closed on" in errors_of(response)
    assert nothing_written()


def test_a_final_sale_item_is_refused(client, token):
    fields = {"line-0": "1001-L3", "qty-0": "1", "reason-0": "changed_mind"}
    response = review(client, token, **fields)
    assert response.status_code == 400
    assert "This item was a final sale and cannot be returned." in errors_of(response)
    posted = client.post(f"/returns/{token}/submit", {**fields, "choice-0": "refund", "method": "label"})
    assert posted.status_code == 400
    assert nothing_written()


def test_a_missing_reason_or_choice_is_asked_for(client, token):
    response = review(client, token, **{"line-0": "1001-L1", "qty-0": "1"})
    assert response.status_code == 400 and "Choose why you are returning this item." in errors_of(response)
    fields = submission(client, token, **jacket_and_socks())
    posted = client.post(f"/returns/{token}/submit", {**fields, "choice-0": "refund"})
    assert posted.status_code == 400
    text = errors_of(posted)
    assert "Choose what you would like for this item." in text
    assert "Choose how you will send the items back." in text
    assert nothing_written()


def test_nothing_picked_is_asked_for(client, token):
    response = review(client, token, **{"line-0": "1001-L1", "qty-0": "0"})
    assert response.status_code == 400
    assert "Choose at least one item to return." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "5 MB or smaller"),
        ("invoice.jpg", b"%PDF-1.4 not a photo", "must be JPEG, PNG or WebP"),
    ],
)
def test_an_oversized_or_non_image_photo_is_refused(client, token, name, data, message):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    response = client.post(f"/returns/{token}/submit", {**fields, "photos-0": [_file(name, data)]})
    assert response.status_code == 400
    assert message in errors_of(response)
    # The message sits by the photo field, which points to it; the summary links there.
    html = response.content.decode()
    assert 'aria-describedby="photos-0-hint photos-0-error" aria-invalid="true"' in html
    assert '<a href="#photos-0">Rain jacket: ' in html
    assert nothing_written()
    assert not (photos_root() / "returns").exists()


def test_more_than_three_photos_are_refused(client, token):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, format="PNG")
    files = [_file(f"p{i}.png", image.getvalue()) for i in range(4)]
    response = client.post(f"/returns/{token}/submit", {**fields, "photos-0": files})
    assert response.status_code == 400 and "at most 3 photos" in errors_of(response)
    assert nothing_written()


def _photo_at_the_limit() -> bytes:
    """A real JPEG padded to exactly the per-photo limit (re-encoding drops the padding)."""
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(image, format="JPEG")
    return image.getvalue() + bytes(MAX_BYTES - len(image.getvalue()))


@pytest.fixture
def body_never_parsed(monkeypatch):
    """Fail the test if anything parses a multipart body (the CSRF check would, before the view)."""

    def parse(self):
        raise AssertionError("the request body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", parse)


def test_an_over_large_submission_is_refused_before_it_is_read(client, token, body_never_parsed):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    huge = _file("huge.jpg", b"\xff\xd8\xff" + bytes(60 * 1024 * 1024))
    response = client.post(f"/returns/{token}/submit?lang=es", {**fields, "photos-0": [huge]})
    assert response.status_code == 413
    assert response["Content-Language"] == "es"
    html = response.content.decode()
    assert f"Las fotos de una devolución pueden sumar hasta {MAX_UPLOAD_BYTES // 2**20} MB en total." in html
    assert nothing_written()
    assert not (photos_root() / "returns").exists()


def test_full_sets_of_photos_at_their_limits_still_go_through(client, token):
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    photos = {
        f"photos-{row}": [_file(f"{row}-{n}.jpg", _photo_at_the_limit()) for n in range(MAX_PER_LINE)]
        for row in (0, 1)
    }
    response = client.post(f"/returns/{token}/submit", {**fields, **photos})
    assert response.status_code == 303, errors_of(response)
    assert sorted(len(line.photos) for line in ReturnLine.objects.all()) == [MAX_PER_LINE, MAX_PER_LINE]


def test_a_page_that_takes_no_files_refuses_a_body_over_the_form_limit(
    client, token, settings, body_never_parsed
):
    extra = _file("extra.jpg", bytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = client.post(f"/t/{token}/choices", {"subject": "", "choice": "wait", "file": extra})
    assert response.status_code == 413
    assert "This form sent more than we accept. Nothing was saved" in response.content.decode()


# --- languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("es", "Devolver o cambiar artículos"),
        ("fr", "Retourner ou échanger des articles"),
        ("de", "Artikel zurückgeben oder umtauschen"),
        ("pt-br", "Devolver ou trocar itens"),
    ],
)
def test_the_portal_speaks_the_shoppers_language(client, token, lang, heading):
    page = client.get(f"/returns/{token}?lang={lang}")
    assert page["Content-Language"] == lang
    assert heading in page.content.decode()


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_amounts_are_decimals_never_floats():
    from aftercart.web.returns.words import money

    assert money(Decimal("12.5"), "EUR", "en") == "€12.50"
    assert money(Decimal("12.5"), "EUR", "de") == "12,50\xa0€"


# --- every word on the portal is translated -------------------------------------------------------

#: Under templates/web/: the portal's own, and the tracking page's it shows (a body too large).
PORTAL_TEMPLATES = [
    "returns/lookup.html",
    "returns/start.html",
    "returns/review.html",
    "returns/status.html",
    "returns/link_problem.html",
    "track/too_large.html",
]


def _portal_messages() -> set[str]:
    """Message ids of the portal: its module's ``_()`` calls and its templates' translate tags."""
    import ast
    from pathlib import Path

    import aftercart.web.returns as package

    ids: set[str] = set()
    for source in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_" and node.args:
                ids.add(node.args[0].value)
    folder = Path(package.__file__).parents[1] / "templates" / "web"
    for name in PORTAL_TEMPLATES:
        text = (folder / name).read_text()
        ids.update(re.findall(r'{% translate "([^"]+)" %}', text))
        for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            ids.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body.split("{% plural %}")[0]))
    return ids


@pytest.mark.parametrize("lang", ["es", "fr", "de", "pt_BR"])
def test_every_portal_message_is_translated_with_its_placeholders(lang):
    from pathlib import Path

    from babel.messages.pofile import read_po

    import aftercart

    po = Path(aftercart.__file__).parent / "locale" / lang / "LC_MESSAGES" / "django.po"
    with po.open("rb") as source:
        catalog = read_po(source)
    messages = _portal_messages()
    assert len(messages) > 100
    for message_id in messages:
        entry = catalog.get(message_id)
        assert entry is not None and entry.string, f"{lang}: {message_id!r} is not translated"
        translated = entry.string if isinstance(entry.string, str) else entry.string[0]
        assert sorted(re.findall(r"%\(\w+\)s", translated)) == sorted(re.findall(r"%\(\w+\)s", message_id))


def test_a_return_of_another_order_is_not_found_through_this_orders_link(client, api, token, store):
    other = place(api, "4004", email="bob@example.com")
    other_token = make_tracking_token(other)
    fields = submission(client, other_token, **{"line-0": "4004-L1", "qty-0": "1", "reason-0": "defective"})
    posted = client.post(
        f"/returns/{other_token}/submit", {**fields, "choice-0": "refund", "method": "label"}
    )
    assert posted.status_code == 303
    rma = Return.objects.get().rma
    assert client.get(f"/returns/{other_token}/{rma}").status_code == 200
    for path in (f"/returns/{token}/{rma}", f"/returns/{token}/{rma}/label.pdf"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Return not found" in response.content.decode()


def test_a_size_sold_out_since_it_was_listed_is_said_by_the_line(client, token, store):
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=1)])
    fields = submission(client, token, **jacket_and_socks())
    assert "exchange:L" in review(client, token, **jacket_and_socks()).content.decode()
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=0)])
    fields.update({"choice-0": "exchange:L", "choice-1": "store_credit", "method": "label"})
    response = client.post(f"/returns/{token}/submit?lang=en", fields)
    assert response.status_code == 400
    assert "That size is no longer available. Choose another one." in errors_of(response)
    assert nothing_written()


def test_the_tracking_page_opens_the_portal_only_while_something_can_come_back(client, api, token):
    page = client.get(f"/t/{token}").content.decode()
    # Delivered and within the window: the next step's "Start a return" opens the portal (rather
    # than an e-mail to support), and no second link repeats it.
    links = re.findall(rf'<a [^>]*href="/returns/{re.escape(token)}"[^>]*>', page)
    assert len(links) == 1 and 'data-action="start_return"' in links[0]
    late = make_tracking_token(place(api, "5005", delivered_days_ago=45))
    assert f'href="/returns/{late}"' not in client.get(f"/t/{late}").content.decode()


def test_the_body_guard_must_run_before_the_csrf_check(settings):
    from django.core import checks

    def errors():
        return [e.id for e in checks.run_checks() if e.id == "aftercart.E005"]

    assert errors() == []
    guard = "aftercart.web.uploads.BodySizeMiddleware"
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != guard] + [guard]
    assert errors() == ["aftercart.E005"]


# --- an order known only from its tracking ------------------------------------------------------


def test_an_order_known_only_from_tracking_gets_a_friendly_page_and_writes_nothing(client, api, policy):
    # A carrier scan names the order before the shop has sent it: no order.placed, so no lines.
    scan = {
        "kind": "tracking.event",
        "order_id": "9001",
        "tracking_number": "1Z9001X",
        "carrier": "ups",
        "tag": "delivered",
        "occurred_at": iso(timezone.now() - timedelta(days=1)),
    }
    assert api.post("/api/v1/events", scan).status_code == 202
    order = Order.objects.get(external_id="9001")
    assert order.placed_at is None
    token = make_tracking_token(order)
    start = client.get(f"/returns/{token}")
    assert start.status_code == 200, start.content.decode()
    assert "Nothing on this order can be returned now." in start.content.decode()
    fields = {"line-0": "L1", "qty-0": "1", "reason-0": "changed_mind"}
    response = review(client, token, **fields)
    assert response.status_code == 400, response.content.decode()
    assert "This item is not part of this order." in errors_of(response)
    posted = client.post(f"/returns/{token}/submit", {**fields, "choice-0": "refund", "method": "label"})
    assert posted.status_code == 400, posted.content.decode()
    assert "This item is not part of this order." in errors_of(posted)
    assert client.get(f"/t/{token}").status_code == 200
    assert nothing_written()


def _png_16bit_rgba(width: int, height: int) -> bytes:
    """A real, valid 16-bit RGBA PNG (8 bytes a pixel), all transparent: a few hundred kB however
    large, written row by row so the test never holds the raw pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + width * 8)  # filter byte, then the row's pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_photo_too_large_once_decoded_is_refused_before_decoding_naming_the_limit(
    client, token, monkeypatch
):
    # 24 megapixels, under the 50-megapixel cap, but 8 bytes a pixel: 192 MB to inflate, and Pillow
    # would keep it as 96 MB of RGBA. It is refused from its header: nothing is decoded.
    from PIL import ImageFile

    from aftercart.returns import photos

    data = _png_16bit_rgba(6000, 4000)
    assert len(data) < MAX_BYTES and photos.MAX_PIXELS > 6000 * 4000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or None)
    with pytest.raises(photos.PhotoRefused) as refused:
        photos.photo_check(data, "scan.png")
    assert refused.value.code == "too_many_pixels" and not decoded
    assert photos.MAX_MEGAPIXELS == 32

    monkeypatch.undo()
    fields = submission(client, token, **jacket_and_socks())
    fields.update({"choice-0": "refund", "choice-1": "refund", "method": "label"})
    response = client.post(f"/returns/{token}/submit", {**fields, "photos-0": [_file("scan.png", data)]})
    assert response.status_code == 400
    assert "at most 32 megapixels (16 for 16-bit images)" in errors_of(response)
    assert nothing_written()
