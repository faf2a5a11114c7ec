"""The shopper's instructions always match the way they send the items back.

For every method (a label, a QR drop-off, in store, keep it) and every status a return can be in,
every place that tells the shopper what to do — the return's page in the portal, each return
e-mail and the API's next step — is read and checked against the method: a QR drop-off never
says "print" nor offers a label; a store return names the store's return location and what to
bring; a label return says to print it while it is to be sent; a return the shopper keeps asks
them to send nothing. Then: a return e-mail that waited in the outbox while the return moved on
is withdrawn at send time rather than sent out of date.

Return states are set on the row, as in ``test_return_next_step_consistency`` (the lifecycle
that reaches each state has its own tests)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.domain.milestones import RETURN_CUSTOMER, Milestone
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import Message
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import Return
from tests.integration.test_return_next_step_consistency import _text, email_view, made  # noqa: F401
from tests.integration.test_returns_api import place
from tests.integration.test_returns_flow import ask, outbox, policy, put, sandbox_labels  # noqa: F401

pytestmark = pytest.mark.django_db

LOCATION = "Acme Leeds, 12 Briggate — returns desk, first floor"
METHODS = ("label", "dropoff", "in_store", "keep_it")
STATUSES = (
    "requested",
    "approved",
    "label_issued",
    "in_transit",
    "received",
    "inspected",
    "resolved",
    "rejected",
    "cancelled",
)
#: The statuses each method's returns can reach (the lifecycle in docs/returns.md): a store return
#: has no label to issue, a kept item is settled without travelling.
REACHABLE = {
    "label": STATUSES,
    "dropoff": STATUSES,
    "in_store": tuple(s for s in STATUSES if s != "label_issued"),
    "keep_it": ("requested", "approved", "resolved", "rejected", "cancelled"),
}
PRINT = re.compile(r"\bprint\b", re.IGNORECASE)
#: What telling the shopper to send or bring something looks like, whatever the method.
SENDING = re.compile(r"drop-off point|Bring the items|Send the items|hand it to the carrier|Print", re.I)


@pytest.fixture
def stores_policy(policy):  # noqa: F811
    return policy(methods=["label", "dropoff", "in_store"], in_store_location=[LOCATION])


def touchpoints(client, api, ret: Return) -> dict[str, str]:
    """Everything the shopper reads about the return now: its page, each e-mail, the API."""
    token = make_tracking_token(ret.order)
    page = client.get(f"/returns/{token}/{ret.rma}?lang=en")
    assert page.status_code == 200
    read = {"page": page.content.decode()}
    milestones = sorted(RETURN_CUSTOMER - ({Milestone.LABEL_READY} if ret.method == "in_store" else set()))
    for milestone in milestones:
        read[f"e-mail {milestone.value}"] = email_view(ret, milestone)["text"]
        Message.objects.filter(dedupe_key=f"consistency:{ret.rma}:{milestone.value}").delete()
    step = api.get(f"/api/v1/returns/{ret.rma}").json()["next_step"]
    read["api"] = f"{step['headline']} {step['detail']} {' '.join(a['label'] for a in step['actions'])}"
    return read


@pytest.mark.parametrize(("method", "status"), [(m, s) for m in METHODS for s in REACHABLE[m]])
def test_every_instruction_matches_the_method(method, status, made, stores_policy, client, api):  # noqa: F811
    fields: dict = {"status": status, "method": "label" if method == "keep_it" else method}
    if method == "keep_it":
        fields["keep_items"] = True
    if method == "dropoff" and status != "requested":
        fields["dropoff_code"] = "D0123456789AB"
    ret = made(fields)
    read = touchpoints(client, api, ret)
    for where, text in read.items():
        said = _text(text) if where == "page" else text
        if method in ("dropoff", "in_store", "keep_it"):
            assert not PRINT.search(said), f"{method}/{status}: {where} says print: {PRINT.search(said)}"
        if method == "dropoff":
            assert "label.pdf" not in text and "return label" not in said.lower(), f"{where} offers a label"
        if method == "in_store":
            assert "QR code" not in said and "drop-off" not in said, f"{where}: a store return has no QR code"
        if method == "keep_it" and status in ("approved", "resolved"):
            assert not SENDING.search(said), f"{where} asks to send back what the shopper keeps"
        if method == "label" and status in ("approved", "label_issued"):
            assert "QR code" not in said and "drop-off point" not in said, (
                f"{where}: a label return has no QR code"
            )
    api_text = read["api"]
    if status == "approved" and method == "in_store":
        # Where to go, and what to bring: the items and the return number.
        assert LOCATION in api_text and ret.rma in api_text and "Bring the items" in api_text
        assert LOCATION in _text(read["page"])
        assert LOCATION in read["e-mail return_requested"]
    if status == "label_issued" and method == "label":
        assert "Print your label" in api_text and "label.pdf" in read["page"]
    if status == "label_issued" and method == "dropoff":
        assert "show your QR code" in api_text and "data-qr" in read["page"]
        assert "Show your drop-off QR code" in api_text
    if status == "approved" and method == "keep_it":
        assert "Keep the items" in api_text


def test_a_store_without_a_return_location_says_one_of_our_stores(made, policy, api):  # noqa: F811
    policy(methods=["label", "in_store"])
    ret = made({"status": "approved", "method": "in_store"})
    detail = api.get(f"/api/v1/returns/{ret.rma}").json()["next_step"]["detail"]
    assert detail.startswith(f"Bring the items and your return number {ret.rma} to one of our stores by ")


def test_a_return_email_the_return_has_moved_past_is_not_sent(api, policy, smtp):  # noqa: F811
    """A delayed "label ready" e-mail would render the return's current step ("we received your
    return") next to "print the attached label": it is withdrawn as superseded instead, and the
    store's webhook event for the same moment still goes."""
    place(api)
    ret = Return.objects.get(rma=ask(api).json()["rma"])
    assert ret.status == "label_issued" and outbox(ret)["label_ready"].status == Message.Status.PENDING
    # The parcel arrives before the worker got to the e-mail.
    assert api.post(f"/api/v1/returns/{ret.rma}/in-transit", {}).status_code == 200
    assert api.post(f"/api/v1/returns/{ret.rma}/receive", {}).status_code == 200
    message_deliver_due(now=timezone.now() + timedelta(seconds=1), limit=100)
    mails = outbox(ret)
    assert mails["label_ready"].status == Message.Status.SUPERSEDED
    assert mails["label_ready"].reason == "superseded by return received"
    assert mails["return_received"].status == Message.Status.SENT
    subjects = [m["Subject"] for m in smtp.received]
    assert subjects == [f"Your return has arrived · return {ret.rma}"]
    assert not any("label" in m.get_body(("plain",)).get_content().lower() for m in smtp.received)


# -- unknown stock: the inventory API's documented rule, and the portal -----------------------------


def test_the_portal_and_the_inventory_api_agree_that_unknown_stock_is_available(
    api,
    put,  # noqa: F811
    policy,  # noqa: F811
    client,
):
    """docs/returns.md: "Items never fed are taken to be available, so a store without a feed keeps
    offering exchanges." The portal lists what the quote API accepts, and nothing it refuses."""
    place(api)  # a rain jacket in M
    order = Order.objects.get(external_id="1001")
    jacket_s = {"line_id": "S1", "sku": "JKT-S", "product_id": "JKT", "variant": "S", "title": "Rain jacket"}
    other = {
        "order_id": "2002",
        "number": "#2002",
        "placed_at": timezone.now().isoformat(),
        "currency": "EUR",
    }
    assert (
        api.post("/api/v1/orders", {**other, "lines": [{**jacket_s, "unit_price": "120.00"}]}).status_code
        == 201
    )
    items = [
        {"sku": "JKT-L", "product_id": "JKT", "variant": "L", "available": 0},
        {"sku": "JKT-XL", "product_id": "JKT", "variant": "XL", "available": 3},
    ]
    assert put("/api/v1/inventory", {"items": items}).json() == {"updated": 2}
    # XL is fed (3), S is known from an order and never fed, L is fed as sold out.
    review = client.get(
        f"/returns/{make_tracking_token(order)}/review",
        {"line-0": "L1", "qty-0": "1", "reason-0": "size_too_small", "lang": "en"},
    )
    assert review.status_code == 200
    cards = re.findall(r'name="choice-0" value="([^"]+)"', review.content.decode())
    assert cards == ["exchange:S", "exchange:XL", "store_credit", "refund"]

    def quoted(variant: str, sku: str) -> dict:
        target = {"product_id": "JKT", "variant": variant, "sku": sku, "unit_price": "120.00"}
        line = {"line_id": "L1", "reason": "size_too_small", "resolution": "exchange", "exchange_for": target}
        response = api.post("/api/v1/returns/quote", {"order_id": "1001", "lines": [line]})
        assert response.status_code == 200, response.content
        return response.json()["lines"][0]

    unfed = quoted("S", "JKT-S")
    assert unfed["offers"][0]["kind"] == "exchange", "never fed: available"
    sold_out = quoted("L", "JKT-L")
    assert "exchange" not in [o["kind"] for o in sold_out["offers"]]
    assert "out_of_stock" in [r["code"] for r in sold_out["reasons"]]
    # The card's figures are the quote's: same price, nothing to pay or get back.
    assert unfed["offers"][0]["charge"] == unfed["offers"][0]["difference_back"] == "0.00"
    page = review.content.decode()
    card = page[page.index('value="exchange:S"') : page.index('value="exchange:XL"')]
    assert "Exchange for S" in card and "Same price: nothing to pay" in card
