"""QR codes (segno): box-free drop-off codes as SVG for pages and PNG for e-mails and labels, and
the modules of the links printed on packing slips (tracking page, returns portal, review page), which
the slip draws as vector shapes: crisp at any printer's resolution, and no PNG to encode and decode
per code (a pick list has hundreds).

Error correction "M" (15%) survives a cracked phone screen at a counter scanner while keeping
the symbol small; a quiet zone of four modules, as the QR spec requires.
"""

from __future__ import annotations

import io

import segno

_ERROR = "m"
_BORDER = 4


def dropoff_qr_svg(code: str, *, scale: int = 6, title: str = "") -> str:
    """An inline ``<svg>`` of ``code`` (no XML declaration), sized in pixels of ``scale`` per module."""
    qr = segno.make(code, error=_ERROR, micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=scale, border=_BORDER, xmldecl=False, svgns=True, title=title or None)
    return out.getvalue().decode()


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A PNG of ``data`` (a code or a URL)."""
    qr = segno.make(data, error=_ERROR, micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=_BORDER)
    return out.getvalue()


def dropoff_qr_png(code: str, *, scale: int = 8) -> bytes:
    """A PNG of a drop-off ``code``."""
    return qr_png(code, scale=scale)


def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The rows of ``data``'s QR code, quiet zone included, ``True`` for a dark module."""
    qr = segno.make(data, error=_ERROR, micro=False)
    return tuple(tuple(bool(module) for module in row) for row in qr.matrix_iter(scale=1, border=_BORDER))
