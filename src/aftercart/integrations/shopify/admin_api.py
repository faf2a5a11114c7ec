"""Shopify's REST Admin API, the few calls onboarding needs: list and create webhook
subscriptions, count and page through orders (with their fulfillments embedded).

HTTP only (``urllib``), every request with ``X-Shopify-Access-Token`` and an explicit timeout;
errors are typed (:class:`ShopifyApiError` with the status and Shopify's ``errors``). Pages follow
the ``Link`` header's ``rel="next"`` URL (cursor pagination with ``page_info``: the next URL carries
every parameter it needs, so it is kept as the resume point).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_API_VERSION = "2025-01"
TIMEOUT = 20.0
#: Orders per page (Shopify's maximum).
PAGE_SIZE = 250

_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_LOCAL = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?$")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ShopifyApiError(Exception):
    """Shopify refused or could not be reached; ``status`` 0 when there was no answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Shopify answered {status}: {message}" if status else message)
        self.status = status
        self.message = message


def shop_base(shop: str) -> str:
    """``https://<shop>`` for a ``name.myshopify.com`` (``name`` alone is completed); a local
    stand-in (``http://127.0.0.1:port``) is kept as it is. Anything else: ``ValueError``."""
    shop = shop.strip().lower().rstrip("/")
    if _LOCAL.match(shop):
        return shop
    shop = shop.removeprefix("https://")
    if "." not in shop:
        shop = f"{shop}.myshopify.com"
    if not _SHOP.match(shop):
        raise ValueError(f"{shop!r} is not a shop domain like your-shop.myshopify.com")
    return f"https://{shop}"


def next_link(header: str | None) -> str:
    """The ``rel="next"`` URL of a ``Link`` header ("" on the last page)."""
    match = _NEXT.search(header or "")
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Page:
    """One page of a list: the response body and the URL of the next page ("" at the end)."""

    body: Mapping[str, Any]
    next_url: str


class ShopifyAdmin:
    """A shop's Admin API with an access token."""

    def __init__(
        self, shop: str, token: str, api_version: str = DEFAULT_API_VERSION, timeout: float = TIMEOUT
    ):
        self.base = shop_base(shop)
        self.token = token
        self.api_version = api_version
        self.timeout = timeout

    def url(self, resource: str, **query: str | int) -> str:
        """``<base>/admin/api/<version>/<resource>.json?query``."""
        qs = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.base}/admin/api/{self.api_version}/{resource}.json{qs}"

    def _request(
        self, method: str, url: str, body: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        if not url.startswith(self.base + "/"):
            raise ShopifyApiError(0, f"refusing to follow a link off the shop: {url[:200]}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("X-Shopify-Access-Token", self.token)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                link = response.headers.get("Link", "")
        except urllib.error.HTTPError as failed:
            detail = failed.read()[:2000].decode("utf-8", "replace")
            with contextlib.suppress(ValueError, AttributeError):
                detail = json.dumps(json.loads(detail).get("errors", detail))
            raise ShopifyApiError(failed.code, detail) from None
        except (urllib.error.URLError, TimeoutError, OSError) as failed:
            raise ShopifyApiError(
                0, f"could not reach {self.base}: {getattr(failed, 'reason', failed)}"
            ) from None
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            raise ShopifyApiError(0, "Shopify answered something that is not JSON") from None
        if not isinstance(parsed, dict):
            raise ShopifyApiError(0, "Shopify answered JSON that is not an object")
        return parsed, link

    def webhooks(self) -> list[dict[str, Any]]:
        """The app's webhook subscriptions on the shop."""
        body, _ = self._request("GET", self.url("webhooks", limit=PAGE_SIZE))
        return [w for w in body.get("webhooks", []) if isinstance(w, dict)]

    def webhook_create(self, *, topic: str, address: str) -> dict[str, Any]:
        """Subscribe ``address`` to ``topic`` (JSON bodies)."""
        body, _ = self._request(
            "POST", self.url("webhooks"), {"webhook": {"topic": topic, "address": address, "format": "json"}}
        )
        hook = body.get("webhook")
        if not isinstance(hook, dict):
            raise ShopifyApiError(0, "Shopify's answer has no webhook")
        return hook

    def orders_count(self, *, since: datetime) -> int:
        """How many orders were created since ``since`` (any status)."""
        body, _ = self._request(
            "GET", self.url("orders/count", status="any", created_at_min=since.isoformat())
        )
        count = body.get("count")
        return count if isinstance(count, int) and count >= 0 else 0

    def orders_first_url(self, *, since: datetime) -> str:
        """The first page of the orders created since ``since``, oldest first."""
        return self.url(
            "orders", status="any", limit=PAGE_SIZE, created_at_min=since.isoformat(), order="created_at asc"
        )

    def page(self, url: str) -> Page:
        """One page at ``url`` (a first URL or a ``Link`` next URL)."""
        body, link = self._request("GET", url)
        return Page(body, next_link(link))
