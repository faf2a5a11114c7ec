"""The printable return label: one 4×6 inch page (the thermal-printer size carriers use).

It carries the return address, the sender, the RMA number in large type and as a Code 128
barcode (what the warehouse scans to open the return), the order number and items, and either
the carrier's tracking barcode (prepaid) or a plain note that postage is not included (manual
provider), plus the drop-off QR code when the shopper chose a box-free return.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from aftercart.integrations.labels.providers import CarrierLabel, ReturnParcel
from aftercart.integrations.labels.qr import dropoff_qr_png

PAGE = (4 * inch, 6 * inch)
_MARGIN = 0.18 * inch
_TEXT = {
    "return_to": "RETURN TO",
    "from": "FROM",
    "order": "Order",
    "no_postage": "Postage not included: use the carrier of your choice or wait for the store's label.",
    "tracking": "Tracking",
    "dropoff": "Drop-off code: show this at the counter, no box needed",
    "items": "Items",
}


def render_return_label(
    parcel: ReturnParcel, carrier: CarrierLabel, *, text: dict[str, str] | None = None
) -> bytes:
    """The label as PDF bytes. ``text`` overrides the printed captions (translations)."""
    words = {**_TEXT, **(text or {})}
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PAGE, pageCompression=1)
    canvas.setTitle(f"Return {parcel.rma}")
    canvas.setAuthor(parcel.store_name)
    width, height = PAGE
    left, right = _MARGIN, width - _MARGIN
    y = height - _MARGIN

    y = _block(
        canvas, words["from"], _with_name(parcel.customer_name, parcel.customer_address), left, y, size=8
    )
    y -= 6
    canvas.setLineWidth(1.5)
    canvas.line(left, y, right, y)
    y -= 14
    y = _block(canvas, words["return_to"], (parcel.store_name, *parcel.return_address), left, y, size=11)
    y -= 8
    canvas.line(left, y, right, y)

    # The RMA: what the warehouse scans to open the return.
    y -= 30
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawString(left, y, parcel.rma)
    y -= 58
    _barcode(canvas, parcel.rma, left, y, right - left, 52)
    y -= 14
    canvas.setFont("Helvetica", 8)
    canvas.drawString(left, y, f"{words['order']} {parcel.order_number}")

    y -= 8
    canvas.line(left, y, right, y)
    y -= 14
    if carrier.prepaid:
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(left, y, " ".join(p for p in (carrier.carrier, carrier.service) if p).upper())
        y -= 40
        _barcode(canvas, carrier.tracking_number, left, y, right - left, 34)
        y -= 11
        canvas.setFont("Helvetica", 8)
        canvas.drawString(left, y, f"{words['tracking']} {carrier.tracking_number}")
    else:
        canvas.setFont("Helvetica", 8)
        y = _wrapped(canvas, words["no_postage"], left, y, right - left, 8)

    bottom = _MARGIN
    if parcel.dropoff_code:
        size = 1.25 * inch
        canvas.drawImage(
            ImageReader(io.BytesIO(dropoff_qr_png(parcel.dropoff_code))), right - size, bottom, size, size
        )
        canvas.setFont("Helvetica", 7)
        _wrapped(canvas, words["dropoff"], left, min(y - 10, bottom + size - 8), right - left - size - 8, 7)
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(left, bottom + 4, parcel.dropoff_code)
    elif parcel.items:
        lines = [f"{qty} × {title}" for title, qty in parcel.items]
        _block(
            canvas,
            words["items"],
            lines[:6],
            left,
            bottom + 12 + 9 * min(len(lines), 6),
            size=7,
            bold_first=False,
        )

    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _with_name(name: str, address: Sequence[str]) -> tuple[str, ...]:
    return tuple(part for part in (name, *address) if part)


def _block(
    canvas: Canvas,
    caption: str,
    lines: Sequence[str],
    x: float,
    y: float,
    *,
    size: int,
    bold_first: bool = True,
) -> float:
    canvas.setFont("Helvetica-Bold", 6.5)
    canvas.drawString(x, y, caption)
    y -= size + 3
    for index, line in enumerate(lines):
        canvas.setFont("Helvetica-Bold" if index == 0 and bold_first else "Helvetica", size)
        canvas.drawString(x, y, line[:60])
        y -= size + 2
    return y


def _wrapped(canvas: Canvas, text: str, x: float, y: float, width: float, size: int) -> float:
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and canvas.stringWidth(candidate, "Helvetica", size) > width:
            canvas.drawString(x, y, line)
            y -= size + 2
            line = word
        else:
            line = candidate
    if line:
        canvas.drawString(x, y, line)
        y -= size + 2
    return y


def _barcode(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """Code 128, scaled to fit ``width`` but never thinner than a scanner can read (0.01 in bars)."""
    probe = Code128(value, barHeight=height, barWidth=1, quiet=True)
    bar = max(0.72, min(2.0, width / probe.width))
    Code128(value, barHeight=height, barWidth=bar, quiet=True, humanReadable=False).drawOn(canvas, x, y)
