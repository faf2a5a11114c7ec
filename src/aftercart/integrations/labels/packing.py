"""The packing insert (packing slip): one A4 page per order, put in the parcel with the items.

It carries the store's name in its colour, the order number, the items and their quantities, the
store's care instructions for the items' categories, and QR codes a phone opens: the order's
tracking page, the returns portal and, when the store has one, its review page. Everything it
prints arrives here already in the customer's language (the caller translates); this module only
lays it out, so it is pure apart from reportlab. A batch (a pick list) is one PDF, each order
starting on a new page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from aftercart.integrations.labels.fonts import FONT, FONT_BOLD, register_fonts
from aftercart.integrations.labels.qr import qr_matrix

PAGE = A4
_MARGIN = 16 * mm
#: Printed QR size: 32 mm keeps a module of a ~100-character URL (version 7, 53 modules with the
#: quiet zone) at 0.6 mm, which any phone camera reads from a hand's length.
QR_SIZE = 32 * mm
_GREY = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")


@dataclass(frozen=True)
class SlipItem:
    """One line in the box: what it is, its variant and SKU, how many."""

    title: str
    detail: str
    quantity: int


@dataclass(frozen=True)
class SlipCode:
    """A QR code and what it opens (``caption``), with a line saying why to scan it."""

    caption: str
    hint: str
    url: str


@dataclass(frozen=True)
class SlipCare:
    """The store's care instructions for one category of the items in the box."""

    heading: str
    text: str


@dataclass(frozen=True)
class PackingSlip:
    """Everything one order's insert prints, translated, and the store's colours (``#rrggbb``)."""

    store_name: str
    colour: str
    on_colour: str
    language: str
    heading: str
    order_line: str
    greeting: str
    items_caption: str
    quantity_caption: str
    items: tuple[SlipItem, ...]
    care_caption: str = ""
    care: tuple[SlipCare, ...] = ()
    codes_caption: str = ""
    codes: tuple[SlipCode, ...] = ()
    footer: str = ""


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=13.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=_GREY),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=12, leading=16, spaceBefore=8),
        "bold": ParagraphStyle("bold", parent=base, fontName=FONT_BOLD),
        "greeting": ParagraphStyle("greeting", parent=base, fontSize=11.5, leading=16),
    }


def _text(value: str) -> str:
    """Text for a Paragraph, which parses markup: a store's or customer's ``<`` and ``&`` are
    characters, never tags (and line breaks the store typed are kept)."""
    return escape(value).replace("\n", "<br/>")


def _slip_story(
    slip: PackingSlip,
    styles: dict[str, ParagraphStyle],
    matrices: dict[str, tuple[tuple[bool, ...], ...]],
) -> list[Flowable]:
    width = PAGE[0] - 2 * _MARGIN - 12  # inside the frame's own 6 pt padding on each side
    on = colors.HexColor(slip.on_colour)
    name = ParagraphStyle("store", parent=styles["bold"], fontSize=17, leading=21, textColor=on)
    order = ParagraphStyle("order", parent=styles["base"], alignment=2, textColor=on)
    header = Table(
        [
            [
                Paragraph(_text(slip.store_name), name),
                Paragraph(f"<b>{_text(slip.heading)}</b><br/>{_text(slip.order_line)}", order),
            ]
        ],
        colWidths=[width * 0.55, width * 0.45],
    )
    header.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(slip.colour)),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    story: list[Flowable] = [header, Spacer(1, 8 * mm), Paragraph(_text(slip.greeting), styles["greeting"])]

    rows: list[list[Flowable | str]] = [
        [
            Paragraph(_text(slip.items_caption), styles["bold"]),
            Paragraph(_text(slip.quantity_caption), styles["bold"]),
        ]
    ]
    for item in slip.items:
        cell = _text(item.title)
        if item.detail:
            cell += f'<br/><font size="8" color="#52606d">{_text(item.detail)}</font>'
        rows.append([Paragraph(cell, styles["base"]), Paragraph(str(item.quantity), styles["base"])])
    items = Table(rows, colWidths=[width - 22 * mm, 22 * mm], repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, _RULE),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story += [Spacer(1, 6 * mm), items]

    if slip.care:
        story.append(Paragraph(_text(slip.care_caption), styles["h2"]))
        for care in slip.care:
            story.append(Paragraph(f"<b>{_text(care.heading)}</b><br/>{_text(care.text)}", styles["base"]))
            story.append(Spacer(1, 2 * mm))

    if slip.codes:
        cells = [_code_cell(code, styles, matrices) for code in slip.codes]
        codes = Table([cells], colWidths=[width / 3] * len(cells), hAlign="LEFT")
        codes.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        # The codes and their heading stay together on one page: a code split from its caption
        # is a square nobody scans.
        story.append(
            KeepTogether([Paragraph(_text(slip.codes_caption), styles["h2"]), Spacer(1, 2 * mm), codes])
        )
    if slip.footer:
        story += [Spacer(1, 8 * mm), Paragraph(_text(slip.footer), styles["small"])]
    return story


def _code_cell(
    code: SlipCode, styles: dict[str, ParagraphStyle], matrices: dict[str, tuple[tuple[bool, ...], ...]]
) -> list[Flowable]:
    if code.url not in matrices:  # the store's review page is the same on every slip of a batch
        matrices[code.url] = qr_matrix(code.url)
    return [
        _QRCode(matrices[code.url], QR_SIZE),
        Paragraph(_text(code.caption), styles["bold"]),
        Paragraph(_text(code.hint), styles["small"]),
    ]


class _QRCode(Flowable):
    """A QR code drawn as black rectangles (one per run of dark modules in a row): vector, so it
    prints sharp on any printer, and no image to encode per code."""

    def __init__(self, matrix: tuple[tuple[bool, ...], ...], size: float) -> None:
        super().__init__()
        self._matrix = matrix
        self._size = size
        self.hAlign = "LEFT"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._size, self._size + 2

    def draw(self) -> None:
        module = self._size / len(self._matrix)
        # Written as PDF path operators directly: reportlab's path object formats each number
        # through a slow generic routine, and a pick list draws ~100,000 of these rectangles.
        ops = ["q 0 g"]
        for index, row in enumerate(self._matrix):
            # A hair taller than the module: no anti-aliased seam between rows on screen.
            y = self._size - (index + 1) * module + 2 - 0.05
            start = None
            for column, dark in enumerate((*row, False)):
                if dark and start is None:
                    start = column
                elif not dark and start is not None:
                    ops.append(
                        f"{start * module:.2f} {y:.2f} {(column - start) * module:.2f} {module + 0.1:.2f} re"
                    )
                    start = None
        ops.append("f Q")
        self.canv.addLiteral("\n".join(ops))


class _Tick(Flowable):
    """A zero-size mark after each slip: drawing it reports one slip laid out (the slow part of a
    batch is reportlab's layout, which runs in ``build``, after every slip was read)."""

    def __init__(self, advance: Callable[[], None]) -> None:
        super().__init__()
        self._advance = advance

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self._advance()


def render_packing_slips(
    slips: Iterable[PackingSlip],
    *,
    title: str = "Packing slips",
    author: str = "",
    advance: Callable[[], None] | None = None,
) -> bytes:
    """The slips as one PDF (bytes), each starting on a new page. ``advance`` is called once per
    slip laid out (a progress bar's step)."""
    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title,
        author=author,
        pageCompression=1,
        # Every page starts in DejaVu too (reportlab's default is Helvetica): no base font at all.
        initialFontName=FONT,
    )
    story: list[Flowable] = []
    matrices: dict[str, tuple[tuple[bool, ...], ...]] = {}
    for slip in slips:
        if story:
            story.append(PageBreak())
        story += _slip_story(slip, styles, matrices)
        if advance is not None:
            story.append(_Tick(advance))
    if not story:
        raise ValueError("no packing slips to render")
    doc.build(story)
    return out.getvalue()
