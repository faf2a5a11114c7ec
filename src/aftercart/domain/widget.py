"""The order-confirmation widget's two rules that are not about the order: which sites may frame
it, and whether a Shopify-made token names an order.

**Sites.** A store lists the origins of its own site (``https://shop.example.com``); the widget's
``frame-ancestors`` names exactly those, so no other site can frame a customer's order. An origin
is a scheme, a host and a port, nothing else: a path, a query, a wildcard or a user name in it is
refused rather than trimmed, because an operator who typed ``https://*.example.com`` or
``https://shop.example.com/thanks`` meant something a browser would not enforce.

**Shopify tokens.** On Shopify's order status page Liquid can compute
``{{ order.id | hmac_sha256: secret }}`` on Shopify's servers: the lower-case hex HMAC-SHA256 of
the order id's digits under the store's widget secret. Only someone holding the secret can make
one, and it names exactly one order of one store (the secret is the store's own).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import urlsplit

__all__ = ["MAX_ORIGINS", "shopify_digest", "shopify_digest_matches", "site_origin"]

#: More than a handful of sites framing one store's widget is a mistake, not a shop.
MAX_ORIGINS = 10
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1"})
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def site_origin(value: str) -> str | None:
    """``value`` as a web origin (``scheme://host[:port]``, lower-cased, default port dropped), or
    ``None`` when it is not exactly one: ``https`` only, except ``http`` on a loopback host (a
    local test shop); no path beyond ``/``, query, fragment, credentials or wildcard."""
    text = (value or "").strip()
    if not text or len(text) > 300 or any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    if "[" in parts.netloc or not _HOST.match(host):  # IPv6 literals: not a shop's site
        return None
    if scheme != "https" and not (scheme == "http" and host in _LOOPBACK):
        return None
    default = {"https": 443, "http": 80}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def shopify_digest(secret: str, order_id: str) -> str:
    """What Liquid's ``{{ order.id | hmac_sha256: secret }}`` prints for this order id."""
    return hmac.new(secret.encode(), order_id.encode(), hashlib.sha256).hexdigest()


def shopify_digest_matches(secret: str, order_id: str, digest: str) -> bool:
    """Whether ``digest`` is the store's HMAC of ``order_id`` (compared in constant time). A store
    without a secret matches nothing."""
    digest = (digest or "").lower()
    if not secret or not order_id or not _HEX_DIGEST.match(digest):
        return False
    return hmac.compare_digest(shopify_digest(secret, order_id), digest)
