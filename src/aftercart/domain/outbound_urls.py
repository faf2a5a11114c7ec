"""Which URLs and addresses from outside may be put in front of a customer: the one rule the pages
(tracking, returns) and the messages (e-mail) follow.

A store's branding (logo, support link and e-mail, footer links) is what its staff typed; a
parcel's tracking URL is what a carrier or platform sent. Either may be ``javascript:…`` or
garbage: such a value is dropped ("") and the caller shows its fallback (the store's name, our own
tracking page, no link at all).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "WEB",
    "contact_href",
    "contact_text",
    "safe_url",
    "support_address",
    "support_contacts",
    "support_link",
]

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


def support_contacts(branding: Mapping[str, Any], order_number: str = "") -> dict[str, str]:
    """A store's support contacts as a customer may be shown them (each "" when missing or unsafe):
    ``email``, ``url`` (with the order number filled in), ``phone`` and ``phone_href``."""
    phone = str(branding.get("support_phone") or "").strip()
    return {
        "email": support_address(branding.get("support_email")),
        "phone": phone,
        "phone_href": "tel:" + re.sub(r"[^0-9+]", "", phone) if re.search(r"\d", phone) else "",
        "url": support_link(branding.get("support_url"), order_number),
    }


def contact_href(support: Mapping[str, str], subject: str) -> str:
    """Where "contact us" leads, the same on the tracking page, in the e-mail and in the SMS: the
    store's support e-mail with ``subject`` (naming the order and what it is about) filled in, else
    its help centre, else its phone; "" when it gave none. E-mail first because it reaches a
    person with the order already named, and it is the address every e-mail replies to."""
    if support.get("email"):
        return f"mailto:{support['email']}?subject={quote(subject)}"
    return support.get("url") or support.get("phone_href", "")


def contact_text(support: Mapping[str, str]) -> str:
    """The same contact as :func:`contact_href`, written out for a text message (an SMS cannot
    carry a ``mailto:`` link): the address, else the help centre's URL, else the phone number."""
    return support.get("email") or support.get("url") or support.get("phone", "")
