"""Inbound webhooks: Shopify and AfterShip. Verify the signature on the raw body, deduplicate by
delivery id, parse into facts, record. 401 for a bad signature, 2xx for a duplicate, 400 naming
the field for a payload we cannot read.

An unknown store gets the very answer a bad signature gets (401, same body), after checking the
signature against a secret nobody has: the endpoint does not tell which store slugs exist."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aftercart.api.problems import Problem, field_problem, problem_response
from aftercart.domain.facts import content_key
from aftercart.integrations.aftership import parse as aftership
from aftercart.integrations.shopify import inventory as shopify_stock
from aftercart.integrations.shopify import parse as shopify
from aftercart.orders.services import inbound_delivery_record
from aftercart.returns.services.stock import stock_shopify_webhook_record
from aftercart.stores.models import Store
from aftercart.stores.selectors import store_by_slug

#: Checked against when the store is unknown, so that it costs what a wrong signature costs.
_NOBODYS_SECRET = secrets.token_hex(32)


def _signed_store(
    slug: str, secret_of: Callable[[Store], str], verify: Callable[[str], bool]
) -> Store | None:
    """The store the slug names if the request is signed with its secret (``verify(secret)``), else
    ``None``: unknown store, no secret set and a wrong signature are one answer."""
    store = store_by_slug(slug)
    secret = secret_of(store) if store is not None else ""
    signed = verify(secret or _NOBODYS_SECRET)
    return store if store is not None and secret and signed else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Invalid JSON", f"The body is not valid JSON: {exc}", kind="validation") from exc
    except RecursionError as exc:
        # A signed body is still the sender's to shape: thousands of nested brackets are not a
        # payload, and the parser's recursion limit is not a server error.
        raise field_problem("Invalid JSON", [{"field": "body", "message": "is nested too deeply"}]) from exc


def _answer(is_new: bool, result: Any) -> JsonResponse:
    return JsonResponse(
        {
            "duplicate": not is_new,
            "received": result.received,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "unmatched": result.orphaned,
        },
        status=202 if is_new else 200,
    )


def _problems(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Problem as problem:
            return problem_response(problem)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@csrf_exempt
@require_POST
@_problems
def shopify_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """``/webhooks/shopify/<store>``: orders, fulfillments and fulfillment events; products and
    inventory levels (the stock exchanges are offered from)."""
    shop = _signed_store(
        store,
        lambda found: found.shopify_webhook_secret,
        lambda secret: shopify.verify_hmac(
            secret, request.body, request.headers.get(shopify.SIGNATURE.header)
        ),
    )
    if shop is None:
        raise Problem(401, "Invalid signature", "X-Shopify-Hmac-Sha256 does not match the body.")
    topic = request.headers.get("X-Shopify-Topic", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id") or content_key(topic, request.body.hex())
    payload = _json(request.body)
    if topic.strip().lower() in shopify_stock.STOCK_TOPICS:
        return _shopify_stock(shop, topic.strip().lower(), payload, webhook_id)
    try:
        facts = shopify.parse_webhook(topic, payload, webhook_id)
    except shopify.UnsupportedTopic:
        # Shopify disables endpoints that keep failing; a topic we do not use is simply ignored.
        return JsonResponse({"ignored": True, "topic": topic}, status=200)
    except shopify.ShopifyPayloadError as exc:
        raise _shopify_payload_problem(exc) from exc
    is_new, result = inbound_delivery_record(
        store=shop, source="shopify", delivery_id=webhook_id, topic=topic, facts=facts
    )
    return _answer(is_new, result)


def _shopify_payload_problem(exc: shopify.ShopifyPayloadError) -> Problem:
    return field_problem("Invalid Shopify payload", [{"field": exc.field, "message": exc.message}])


def _shopify_stock(shop: Store, topic: str, payload: Any, webhook_id: str) -> JsonResponse:
    """Products and inventory levels: the store's stock for exchanges, not ledger facts."""
    try:
        if topic == shopify_stock.INVENTORY_LEVELS_UPDATE:
            level, variants = shopify_stock.parse_inventory_level(payload), []
        else:
            level, variants = None, shopify_stock.parse_product(payload)
    except shopify.ShopifyPayloadError as exc:
        raise _shopify_payload_problem(exc) from exc
    is_new, result = stock_shopify_webhook_record(
        store=shop, delivery_id=webhook_id, topic=topic, variants=variants, level=level
    )
    return JsonResponse(
        {
            "duplicate": not is_new,
            "topic": topic,
            "updated": result.updated,
            "stale": result.stale,
            "untracked": result.untracked,
            "unknown_items": list(result.unknown_items),
        },
        status=202 if is_new else 200,
    )


@csrf_exempt
@require_POST
@_problems
def aftership_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """``/webhooks/aftership/<store>``: AfterShip tracking updates."""
    shop = _signed_store(
        store,
        lambda found: found.aftership_webhook_secret,
        lambda secret: aftership.verify_signature(
            secret, request.body, request.headers.get(aftership.SIGNATURE.header)
        ),
    )
    if shop is None:
        raise Problem(401, "Invalid signature", "aftership-hmac-sha256 does not match the body.")
    body = _json(request.body)
    try:
        facts = aftership.parse_webhook(body)
    except aftership.AfterShipPayloadError as exc:
        raise field_problem(
            "Invalid AfterShip payload", [{"field": exc.field, "message": exc.message}]
        ) from exc
    delivery_id = str(body.get("event_id") or content_key(request.body.hex()))
    is_new, result = inbound_delivery_record(
        store=shop,
        source="aftership",
        delivery_id=delivery_id,
        topic=str(body.get("event") or ""),
        facts=facts,
    )
    return _answer(is_new, result)
