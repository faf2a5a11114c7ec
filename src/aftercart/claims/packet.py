"""The carrier claim packet: one PDF the store sends the carrier with its claim for a lost or
damaged parcel — the order and shipment identifiers, the declared value of the claimed items,
the parcel's tracking history (every scan with its time and place), the customer's account and
photos. English (what carriers' claims desks read), in the vendored DejaVu font so any name prints.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from aftercart.claims.models import Claim
from aftercart.claims.payloads import money_text
from aftercart.claims.selectors import claim_photo_file
from aftercart.domain.carriers import carrier_info
from aftercart.domain.projection.state import Checkpoint, ShipmentState
from aftercart.integrations.labels.fonts import FONT, FONT_BOLD, register_fonts
from aftercart.orders.selectors import order_state

_GREY = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")
_PHOTO_WIDTH = 80 * mm
_PHOTO_HEIGHT = 60 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=8),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=_GREY),
    }


def _table(rows: list[list[object]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5))
    table.setStyle(TableStyle(style))
    return table


def _when(moment: object) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")  # type: ignore[attr-defined]


def _scans(shipment: ShipmentState | None) -> list[Checkpoint]:
    return sorted(shipment.checkpoints, key=lambda c: c.occurred_at) if shipment else []


def claim_packet_pdf(claim: Claim) -> bytes:
    """The packet of ``claim`` as PDF bytes."""
    register_fonts()
    s = _styles()
    p = lambda text, style="base": Paragraph(escape(str(text)), s[style])  # noqa: E731
    state = order_state(claim.order)
    shipment = state.shipments.get(claim.shipment_key) if claim.shipment_key else None
    carrier = carrier_info(claim.carrier).name if claim.carrier else ""
    cur = claim.currency
    story: list[object] = [
        p(f"Carrier claim packet · claim {claim.number}", "title"),
        p(f"{claim.store.name} · prepared {_when(claim.updated_at)}", "small"),
        Spacer(1, 4 * mm),
        p("Identifiers", "h2"),
        _table(
            [
                [
                    p("Claim"),
                    p(f"{claim.number} ({claim.kind.replace('_', ' ')}, {claim.status.replace('_', ' ')})"),
                ],
                [p("Filed"), p(_when(claim.created_at))],
                [
                    p("Order"),
                    p(f"{claim.order.number or claim.order.external_id} (id {claim.order.external_id})"),
                ],
                [p("Order placed"), p(_when(state.placed_at))],
                [p("Carrier"), p(carrier or "-")],
                [p("Tracking number"), p(claim.tracking_number or "-")],
                [
                    p("Shipment"),
                    p(shipment.shipment_id or shipment.key if shipment else claim.shipment_key or "-"),
                ],
                [p("Shipped"), p(_when(shipment.created_at or shipment.first_scan_at) if shipment else "-")],
                [p("Delivered (carrier)"), p(_when(shipment.delivered_at) if shipment else "-")],
                [p("Destination"), p(" ".join(x for x in (state.postal_code, state.country) if x) or "-")],
            ],
            [45 * mm, 125 * mm],
            header=False,
        ),
        p("Declared value", "h2"),
    ]
    rows: list[list[object]] = [[p("Item"), p("SKU"), p("Qty"), p(f"Value ({cur})")]]
    for line in claim.lines.all():
        title = line.title + (f" ({line.variant})" if line.variant else "")
        rows.append([p(title or line.line_id), p(line.sku), p(line.quantity), p(money_text(line.value, cur))])
    rows.append([p("Total declared"), p(""), p(""), p(money_text(claim.claimed_value, cur))])
    story.append(_table(rows, [80 * mm, 35 * mm, 15 * mm, 40 * mm]))
    try:
        carrier_claim = claim.carrier_claim
    except Claim.carrier_claim.RelatedObjectDoesNotExist:
        carrier_claim = None
    if carrier_claim is not None:
        story.append(
            p(
                f"Amount claimed from the carrier: {money_text(carrier_claim.amount_claimed, cur)} {cur}"
                + (f" · carrier's reference {carrier_claim.reference}" if carrier_claim.reference else ""),
            )
        )
    story.append(p("Tracking history", "h2"))
    scans = _scans(shipment)
    if scans:
        history: list[list[object]] = [[p("Time"), p("Status"), p("Carrier's message"), p("Location")]]
        for scan in scans:
            history.append(
                [
                    p(_when(scan.occurred_at)),
                    p(scan.tag.value.replace("_", " ")),
                    p(" ".join(x for x in (scan.raw_code, scan.raw_message) if x)),
                    p(scan.location),
                ]
            )
        story.append(_table(history, [35 * mm, 28 * mm, 72 * mm, 35 * mm]))
    else:
        story.append(p("The carrier reported no scans for this parcel."))
    if claim.description:
        story += [p("Customer's account", "h2"), p(claim.description)]
    photos = [ph for ph in claim.photos.all() if claim_photo_file(ph).is_file()]
    if photos:
        story.append(p(f"Photos ({len(photos)})", "h2"))
        for photo in photos:
            image = Image(str(claim_photo_file(photo)))
            ratio = min(_PHOTO_WIDTH / image.imageWidth, _PHOTO_HEIGHT / image.imageHeight)
            image.drawWidth, image.drawHeight = image.imageWidth * ratio, image.imageHeight * ratio
            image.hAlign = "LEFT"
            story += [image, p(f"Uploaded {_when(photo.uploaded_at)}", "small"), Spacer(1, 2 * mm)]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Carrier claim {claim.number}",
        author=claim.store.name,
    ).build(story)
    return out.getvalue()
