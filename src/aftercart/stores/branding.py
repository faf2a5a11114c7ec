"""A store's colours made readable (WCAG contrast): the one rule every branded surface follows,
the customer pages (``aftercart.web.branding``) and the printed packing slips alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aftercart.kernel.caches import memoised

DEFAULT_PRIMARY = "#1f2933"
DEFAULT_ACCENT = "#0b5cad"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_colour(value: Any) -> tuple[int, int, int] | None:
    """An ``#rgb`` or ``#rrggbb`` colour as a tuple, else ``None`` (anything else is ignored)."""
    match = _HEX.match(str(value or "").strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def text_colour_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or black, whichever reads better on ``background``; pure black and white guarantee at
    least 4.58:1 on any background, so brand colours can never make text unreadable."""
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(BLACK, background) else BLACK


def darken_to_contrast(
    colour: tuple[int, int, int], against: tuple[int, int, int] = WHITE, ratio: float = 4.5
) -> tuple[int, int, int]:
    """``colour``, darkened just enough to reach ``ratio`` against ``against`` (for link text)."""
    r, g, b = colour
    for step in range(101):
        factor = 1 - step / 100
        candidate = (round(r * factor), round(g * factor), round(b * factor))
        if contrast_ratio(candidate, against) >= ratio:
            return candidate
    return BLACK


def brand_theme(branding: Mapping[str, Any] | None) -> dict[str, str]:
    """CSS colours for a store's branding, with safe defaults and readable text on each.

    ``primary`` fills the header, ``accent`` the buttons; ``link`` is the accent darkened until it
    reads at 4.5:1 on the white page.
    """
    branding = branding or {}
    return dict(_theme(str(branding.get("primary_colour") or ""), str(branding.get("accent_colour") or "")))


@memoised("stores.branding.theme", maxsize=256)
def _theme(primary_colour: str, accent_colour: str) -> tuple[tuple[str, str], ...]:
    # Every page of a store asks for the same colours: the contrast search runs once per pair.
    primary = parse_colour(primary_colour) or parse_colour(DEFAULT_PRIMARY)
    accent = parse_colour(accent_colour) or parse_colour(DEFAULT_ACCENT)
    assert primary is not None and accent is not None  # the defaults parse
    return (
        ("primary", _hex(primary)),
        ("on_primary", _hex(text_colour_on(primary))),
        ("accent", _hex(accent)),
        ("on_accent", _hex(text_colour_on(accent))),
        ("link", _hex(darken_to_contrast(accent))),
    )
