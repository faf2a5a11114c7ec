"""Which URLs and addresses from outside may be put in front of a customer: the one rule the pages
(tracking, returns) and the messages (e-mail) follow.

A store's branding (logo, support link and e-mail, footer links) is what its staff typed; a
parcel's tracking URL is what a carrier or platform sent. Either may be ``javascript:…`` or
garbage: such a value is dropped ("") and the caller shows its fallback (the store's name, our own
tracking page, no link at all).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = ["WEB", "safe_url", "support_address", "support_link"]

#: The schemes of a page a customer may be sent to.
WEB = ("https", "http")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def safe_url(url: Any, schemes: tuple[str, ...] = WEB) -> str:
    """``url`` if it is an absolute URL with one of ``schemes``, else "" (no ``javascript:``, no
    ``data:``, no relative or control-character tricks)."""
    text = str(url or "").strip()
    if not text or any(ch in text for ch in "\r\n\t\0"):
        return ""
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in schemes or (scheme in WEB and not parts.netloc):
        return ""
    return text


def support_link(url: Any, order_number: str = "") -> str:
    """A store's support URL, with ``{order_number}`` filled in (so the help desk opens on the
    customer's order), or "" when it is not a safe web URL."""
    return safe_url(url).replace("{order_number}", quote(order_number, safe=""))


def support_address(address: Any) -> str:
    """A store's support e-mail address if it is a plain address (it goes into a ``mailto:`` URL and
    a ``Reply-To`` header as is), else ""."""
    text = str(address or "").strip()
    return text if _ADDRESS.fullmatch(text) else ""
