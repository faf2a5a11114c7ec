"""Packing slips: the PDF rendered to an image, its QR codes decoded as a phone would and followed
to the order's own pages; the order's language and letters; the store's care instructions; and
every bad request refused with a problem, nothing rendered and nothing written."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from aftercart.orders.models import Fact, Order
from aftercart.stores.models import CareInstruction
from aftercart.stores.services import api_key_issue, store_create

pytestmark = pytest.mark.django_db


def iso(dt):
    return dt.isoformat().replace("+00:00", "Z")


def place(api, order_id, *, locale="", name="Ana Souza", lines=None):
    order = {
        "order_id": order_id,
        "number": f"#{order_id}",
        "placed_at": iso(timezone.now() - timedelta(days=1)),
        "email": f"{order_id}@example.com",
        "customer_name": name,
        "locale": locale,
        "lines": lines
        or [
            {"line_id": f"{order_id}-L1", "sku": "JMP-M", "title": "Merino jumper", "variant": "M",
             "quantity": 2, "category": "Knitwear"},
            {"line_id": f"{order_id}-L2", "sku": "MUG", "title": "Enamel mug", "quantity": 1,
             "category": "kitchen"},
        ],
    }  # fmt: skip
    response = api.post("/api/v1/orders", order)
    assert response.status_code == 201, response.content
    return Order.objects.get(external_id=order_id)


@pytest.fixture
def shop(store):
    store.branding = {"primary_colour": "#7a1f3d", "support_email": "help@acme.example"}
    store.review_url = "https://reviews.example.com/acme"
    store.save()
    CareInstruction.objects.create(
        store=store, category="knitwear", language="fr", text="Laver à 30 °C, à plat, sans essorage."
    )
    CareInstruction.objects.create(store=store, category="knitwear", language="en", text="Wash at 30 °C.")
    return store


def pages_of(pdf: bytes) -> list:
    return [page.render(scale=200 / 72).to_pil() for page in pypdfium2.PdfDocument(pdf)]


def codes_on(image) -> list[str]:
    """The QR codes on a rendered page, top to bottom, left to right."""
    found = [b for b in zxingcpp.read_barcodes(image) if b.format.name == "QRCode"]
    return [b.text for b in sorted(found, key=lambda b: (b.position.top_left.y // 50, b.position.top_left.x))]


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:8000"  # AFTERCART_BASE_URL
    return parts.path


def test_each_code_opens_this_orders_own_pages_and_the_review_page(api, client, shop):
    mine = place(api, "1001", locale="fr", name="Łucja Dvořák")
    other = place(api, "1002")
    response = api.get("/api/v1/orders/1001/packing-slip.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    pages = pages_of(pdf)
    assert len(pages) == 1
    tracking, portal, review = codes_on(pages[0])

    page = client.get(local(tracking))
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html and other.number not in html
    assert local(tracking) == f"/t/{tracking.rsplit('/', 1)[1]}"

    page = client.get(local(portal))
    assert page.status_code == 200
    assert local(portal).startswith("/returns/")
    html = page.content.decode()
    assert mine.number in html and other.number not in html
    assert review == "https://reviews.example.com/acme"

    # The other order's slip links to the other order.
    other_codes = codes_on(pages_of(api.get("/api/v1/orders/1002/packing-slip.pdf").content)[0])
    assert other_codes[0] != tracking
    assert other.number in client.get(local(other_codes[0])).content.decode()


def test_the_slip_speaks_the_orders_language_with_its_letters_and_care_text(api, shop):
    place(api, "1001", locale="fr", name="Łucja Dvořák")
    pdf = api.get("/api/v1/orders/1001/packing-slip.pdf").content
    text = text_of(pdf)
    assert "Merci pour votre commande, Łucja" in text
    assert "Bordereau de colis" in text
    assert "Laver à 30 °C" in text  # the French care text for knitwear, not the English one
    assert "Wash at 30" not in text
    assert "Enamel mug" in text  # a category without a text: the item, no care section for it
    # Every letter is drawn with the embedded DejaVu subsets (the base fonts cannot draw "Ł").
    fonts = {
        str(font["/BaseFont"])
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts == {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"}, fonts


def test_an_english_order_gets_the_english_text_and_no_review_code_when_the_store_has_none(api, shop):
    shop.review_url = ""
    shop.save()
    place(api, "1001", locale="en")
    pdf = api.get("/api/v1/orders/1001/packing-slip.pdf").content
    assert "Wash at 30 °C." in text_of(pdf)
    assert len(codes_on(pages_of(pdf)[0])) == 2  # tracking and returns only


def test_a_language_without_its_own_text_falls_back_to_the_stores(api, shop):
    shop.default_locale = "fr"
    shop.save()
    place(api, "1001", locale="de")
    text = text_of(api.get("/api/v1/orders/1001/packing-slip.pdf").content)
    assert "Vielen Dank für Ihre Bestellung" in text  # the slip in German
    assert "Laver à 30 °C" in text  # the store's own language beats no care text at all


def test_a_pick_list_is_one_pdf_with_each_order_in_the_order_asked(api, client, shop):
    for order_id in ("1001", "1002", "1003"):
        place(api, order_id)
    response = api.post("/api/v1/packing-slips.pdf", {"order_ids": ["1003", "1001", "1003"]})
    assert response.status_code == 200, response.content
    pages = pages_of(response.content)
    assert len(pages) == 2  # a repeated id prints once
    numbers = []
    for image in pages:
        tracking = codes_on(image)[0]
        html = client.get(local(tracking)).content.decode()
        numbers.append(next(n for n in ("#1001", "#1002", "#1003") if n in html))
    assert numbers == ["#1003", "#1001"]


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return json.loads(response.content)


def test_unknown_orders_and_another_stores_orders_are_not_found(api, shop):
    place(api, "1001")
    other = store_create(slug="globex", name="Globex")
    other_api_key = api_key_issue(store=other).token
    facts = Fact.objects.count()
    body = problem(api.get("/api/v1/orders/nope/packing-slip.pdf"), 404)
    assert "'nope'" in body["detail"]
    # Store B's key asking for store A's order: not found, exactly like an unknown one.

    foreign = Client().get(
        "/api/v1/orders/1001/packing-slip.pdf", HTTP_AUTHORIZATION=f"Bearer {other_api_key}"
    )
    assert problem(foreign, 404)["title"] == "Order not found"
    batch = Client().post(
        "/api/v1/packing-slips.pdf",
        json.dumps({"order_ids": ["1001"]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other_api_key}",
    )
    assert problem(batch, 422)["errors"] == [
        {"field": "order_ids[0]", "message": "no order '1001' in this store"}
    ]
    assert Fact.objects.count() == facts


def test_a_batch_with_unknown_ids_names_each_and_makes_no_pdf(api, shop):
    place(api, "1001")
    body = problem(api.post("/api/v1/packing-slips.pdf", {"order_ids": ["1001", "X-9", "1001", "Y-2"]}), 422)
    assert body["errors"] == [
        {"field": "order_ids[1]", "message": "no order 'X-9' in this store"},
        {"field": "order_ids[3]", "message": "no order 'Y-2' in this store"},
    ]
    assert "'X-9', 'Y-2'" in body["detail"]


def test_an_over_large_or_empty_batch_is_refused(api, shop, settings):
    settings.AFTERCART_PACKING_SLIPS_MAX = 2
    for order_id in ("1001", "1002", "1003"):
        place(api, order_id)
    body = problem(api.post("/api/v1/packing-slips.pdf", {"order_ids": ["1001", "1002", "1003"]}), 413)
    assert "at most 2" in body["detail"]
    assert problem(api.post("/api/v1/packing-slips.pdf", {"order_ids": []}), 400)["errors"][0]["field"] == (
        "order_ids"
    )
    assert problem(api.post("/api/v1/packing-slips.pdf", {"orders": ["1001"]}), 400)["errors"]


def test_care_instructions_are_written_read_and_removed_through_the_api(api, client, shop):
    response = client.put(
        "/api/v1/care-instructions/Knitwear/pt-BR",
        json.dumps({"text": "Lavar a 30 °C.", "title": "Tricô"}),
        content_type="application/json",
        **api.headers,
    )
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["category"] == "knitwear"
    assert json.loads(response.content)["language"] == "pt-br"
    listed = json.loads(api.get("/api/v1/care-instructions").content)
    assert [(c["category"], c["language"]) for c in listed] == [
        ("knitwear", "en"),
        ("knitwear", "fr"),
        ("knitwear", "pt-br"),
    ]
    place(api, "1001", locale="pt-BR")
    text = text_of(api.get("/api/v1/orders/1001/packing-slip.pdf").content)
    assert "Tricô" in text and "Lavar a 30 °C." in text

    bad = client.put(
        "/api/v1/care-instructions/knitwear/not a language",
        json.dumps({"text": "x"}),
        content_type="application/json",
        **api.headers,
    )
    assert problem(bad, 400)["errors"][0]["field"] == "language"
    assert CareInstruction.objects.count() == 3
    assert client.delete("/api/v1/care-instructions/KNITWEAR/pt-br", **api.headers).status_code == 204
    assert problem(client.delete("/api/v1/care-instructions/knitwear/pt-br", **api.headers), 404)


def test_a_review_url_that_is_not_a_web_page_is_refused(shop):
    shop.review_url = "javascript:alert(1)"
    with pytest.raises(ValidationError) as refused:
        shop.full_clean()
    assert "review_url" in refused.value.message_dict


def test_the_command_writes_a_pick_list_from_ids_a_file_or_the_unshipped_orders(api, shop, tmp_path):
    for order_id in ("1001", "1002"):
        place(api, order_id)
    out = tmp_path / "pick.pdf"
    stdout = io.StringIO()
    call_command(
        "aftercart_packing_slips", "--store", "acme", "--orders", "1002", "--out", str(out), stdout=stdout
    )
    assert "Wrote 1 packing slips" in stdout.getvalue()
    assert len(PdfReader(out).pages) == 1

    ids = tmp_path / "ids.txt"
    ids.write_text("# today's cart\n1001\n\n1002\n")
    call_command("aftercart_packing_slips", "--store", "acme", "--from-file", str(ids), "--out", str(out))
    assert len(PdfReader(out).pages) == 2

    Order.objects.filter(external_id="1002").update(stage="in_transit")
    call_command("aftercart_packing_slips", "--store", "acme", "--unshipped", "--out", str(out))
    assert len(PdfReader(out).pages) == 1

    out.unlink()
    with pytest.raises(CommandError, match="'nope'"):
        call_command(
            "aftercart_packing_slips", "--store", "acme", "--orders", "1001", "nope", "--out", str(out)
        )
    assert not out.exists()


def test_operators_find_every_orders_slip_and_print_all_to_pack(api, client, shop, django_user_model):
    first, second = place(api, "1001"), place(api, "1002")
    Order.objects.filter(pk=second.pk).update(stage="in_transit")
    listing = "/ops/packing-slips?store=acme"
    assert client.get(listing).status_code == 302  # staff only: to the admin login
    client.force_login(django_user_model.objects.create_user("ops", password="x", is_staff=True))

    html = client.get(listing).content.decode()
    assert f"/ops/packing-slips/orders/{first.pk}.pdf" in html
    assert f"/ops/packing-slips/orders/{second.pk}.pdf" not in html  # shipped: not to pack
    assert f"/ops/packing-slips/orders/{second.pk}.pdf" in client.get(listing + "&show=all").content.decode()
    # The order's ops page links its slip too.
    assert (
        f"/ops/packing-slips/orders/{second.pk}.pdf"
        in client.get(f"/ops/exceptions/orders/{second.pk}").content.decode()
    )

    slip = client.get(f"/ops/packing-slips/orders/{second.pk}.pdf")
    assert slip["Content-Type"] == "application/pdf"
    tracking = codes_on(pages_of(slip.content)[0])[0]
    assert second.number in client.get(local(tracking)).content.decode()

    to_pack = client.get("/ops/packing-slips/acme/to-pack.pdf")
    assert to_pack.status_code == 200 and len(PdfReader(io.BytesIO(to_pack.content)).pages) == 1
