"""A local stand-in for Shopify's REST Admin API on 127.0.0.1: webhook subscriptions (list,
create) and orders (count, pages linked with ``Link: <...page_info=...>; rel="next"``). It records
every request (method, path, query, token header, body) and answers 401 to a wrong token, as
Shopify does, so tests check what Aftercart sends, not only what it does with the answers."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ORDER = json.loads((Path(__file__).parent / "fixtures/real/shopify/order.json").read_text())["order"]


def make_orders(count: int) -> list[dict[str, Any]]:
    """``count`` distinct orders shaped like Shopify's documented example (with a fulfillment)."""
    out = []
    for i in range(count):
        order = copy.deepcopy(ORDER)
        order["id"] = 9_000_000 + i
        order["name"] = f"#{5000 + i}"
        order["order_number"] = 5000 + i
        for n, fulfillment in enumerate(order.get("fulfillments", [])):
            fulfillment["id"] = 7_000_000 + i * 10 + n
            fulfillment["order_id"] = order["id"]
            fulfillment["status"] = "success"  # the documented example's failed one shipped nothing
            fulfillment["tracking_number"] = f"1Z{i:06d}{n}"
            fulfillment["tracking_numbers"] = [fulfillment["tracking_number"]]
        out.append(order)
    return out


class ShopifyStandIn:
    def __init__(self, *, token: str, orders: int = 5, page_size: int = 2, fail_page: int | None = None):
        self.token = token
        self.orders = make_orders(orders)
        self.page_size = page_size
        self.fail_page = fail_page
        self.requests: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                stand_in.requests.append(
                    {
                        "method": method,
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "token": self.headers.get("X-Shopify-Access-Token"),
                        "body": body,
                    }
                )
                if self.headers.get("X-Shopify-Access-Token") != stand_in.token:
                    self._answer(
                        401,
                        {
                            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
                        },
                    )
                    return
                stand_in.route(self, method, parts.path, parse_qs(parts.query), body)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, handler: Any, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        prefix = "/admin/api/2025-01/"
        if not path.startswith(prefix):
            handler._answer(404, {"errors": "Not Found"})
            return
        resource = path.removeprefix(prefix)
        if resource == "webhooks.json" and method == "GET":
            handler._answer(200, {"webhooks": self.webhooks})
        elif resource == "webhooks.json" and method == "POST":
            hook = (body or {}).get("webhook") or {}
            if any(
                w["topic"] == hook.get("topic") and w["address"] == hook.get("address") for w in self.webhooks
            ):
                handler._answer(422, {"errors": {"address": ["for this topic has already been taken"]}})
                return
            created = {"id": 100 + len(self.webhooks), **hook}
            self.webhooks.append(created)
            handler._answer(201, {"webhook": created})
        elif resource == "orders/count.json":
            handler._answer(200, {"count": len(self.orders)})
        elif resource == "orders.json":
            page = int(query.get("page_info", ["p0"])[0].removeprefix("p"))
            if self.fail_page is not None and page == self.fail_page:
                self.fail_page = None  # fails once
                handler._answer(503, {"errors": "Service unavailable"})
                return
            start = page * self.page_size
            chunk = self.orders[start : start + self.page_size]
            headers = {}
            if start + self.page_size < len(self.orders):
                headers["Link"] = (
                    f'<{self.base}{prefix}orders.json?limit=250&page_info=p{page + 1}>; rel="next"'
                )
            handler._answer(200, {"orders": chunk}, headers)
        else:
            handler._answer(404, {"errors": "Not Found"})

    def __enter__(self) -> ShopifyStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
