"""The printable return label and drop-off QR codes, read back the way a scanner would: the PDF is
rasterised (PDFium) and its barcodes decoded (ZXing)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from aftercart.integrations.labels.pdf import render_return_label
from aftercart.integrations.labels.providers import (
    CarrierLabel,
    ManualLabelProvider,
    ReturnParcel,
    label_provider,
)
from aftercart.integrations.labels.qr import dropoff_qr_png, dropoff_qr_svg

PARCEL = ReturnParcel(
    rma="RMA-7KQ2-M9XD",
    store_name="Northwind Outfitters",
    return_address=("Returns dept.", "200 Harbor Way", "Oakland CA 94607", "United States"),
    order_number="#NW1042",
    customer_name="Ana Souza",
    customer_address=("12 Elm Street", "Portland OR 97201"),
    items=(("Rain jacket, M", 1), ("Wool socks", 2)),
)


def decoded(pdf: bytes, dpi: int = 300) -> dict[str, str]:
    """Every barcode on the label's only page: text → format name."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=dpi / 72).to_pil()
    return {b.text: b.format.name for b in zxingcpp.read_barcodes(image)}


def test_a_manual_label_is_one_4x6_page_with_the_rma_as_a_scannable_code128():
    pdf = render_return_label(PARCEL, ManualLabelProvider().purchase(PARCEL))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (288, 432)  # 4 × 6 in at 72 pt/in
    text = reader.pages[0].extract_text()
    for expected in ("RMA-7KQ2-M9XD", "Northwind Outfitters", "200 Harbor Way", "#NW1042", "Ana Souza"):
        assert expected in text
    assert "Postage not included" in text
    assert decoded(pdf) == {"RMA-7KQ2-M9XD": "Code128"}


def test_a_prepaid_label_also_carries_the_carrier_tracking_barcode():
    carrier = CarrierLabel(
        provider="test", carrier="UPS", service="Ground", tracking_number="1Z999AA10123456784"
    )
    pdf = render_return_label(PARCEL, carrier)
    assert decoded(pdf) == {"RMA-7KQ2-M9XD": "Code128", "1Z999AA10123456784": "Code128"}
    assert "Postage not included" not in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_box_free_return_prints_the_dropoff_qr_code():
    parcel = ReturnParcel(**{**PARCEL.__dict__, "dropoff_code": "DROP-5521-AX"})
    pdf = render_return_label(parcel, ManualLabelProvider().purchase(parcel))
    assert decoded(pdf) == {"RMA-7KQ2-M9XD": "Code128", "DROP-5521-AX": "QRCode"}


def test_captions_can_be_translated():
    pdf = render_return_label(PARCEL, CarrierLabel(provider="manual"), text={"return_to": "RETOUR À"})
    assert "RETOUR À" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_long_rma_still_fits_the_page_and_scans():
    parcel = ReturnParcel(**{**PARCEL.__dict__, "rma": "RMA-" + "ABCDEFGH" * 3})
    pdf = render_return_label(parcel, CarrierLabel(provider="manual"))
    assert decoded(pdf) == {parcel.rma: "Code128"}


def test_dropoff_qr_codes_decode_to_the_code_in_svg_and_png():
    png = Image.open(io.BytesIO(dropoff_qr_png("DROP-5521-AX")))
    assert [b.text for b in zxingcpp.read_barcodes(png)] == ["DROP-5521-AX"]
    svg = dropoff_qr_svg("DROP-5521-AX", title="Drop-off code DROP-5521-AX")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}title").text.startswith(
        "Drop-off"
    )
    assert not svg.startswith("<?xml")  # inline in a page


def test_unknown_label_providers_are_refused():
    assert label_provider("manual").name == "manual"
    with pytest.raises(ValueError, match="unknown label provider 'ups'"):
        label_provider("ups")
