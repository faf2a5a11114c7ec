"""The typeface printed documents use: DejaVu Sans, vendored under ``static/labels/fonts``.

The PDF base fonts (Helvetica and friends) only cover WinAnsi: "é", "ã" and "ß" print, but "Ł",
"ř" or "ő" in a Polish, Czech or Hungarian customer's name come out as blanks. DejaVu Sans covers
Latin, Greek and Cyrillic; reportlab embeds the subset a document uses (a few kilobytes per file).
It is vendored, not looked up in ``/usr/share/fonts``, so a PDF reads the same on any machine.
Licence: Bitstream Vera (permissive; ``static/labels/fonts/LICENSE``).
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "AftercartSans"
FONT_BOLD = "AftercartSans-Bold"
_DIR = Path(__file__).parent / "static" / "labels" / "fonts"
_lock = threading.Lock()


def register_fonts() -> None:
    """Register the fonts with reportlab once per process (idempotent, thread-safe)."""
    with _lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(FONT, str(_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_DIR / "DejaVuSans-Bold.ttf")))
        # <b> inside a paragraph picks the bold face.
        addMapping(FONT, 0, 0, FONT)
        addMapping(FONT, 1, 0, FONT_BOLD)
        addMapping(FONT, 0, 1, FONT)
        addMapping(FONT, 1, 1, FONT_BOLD)
