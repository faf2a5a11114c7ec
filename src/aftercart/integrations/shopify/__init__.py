"""Shopify: webhook and REST payloads → canonical facts (see :mod:`.parse`)."""

from aftercart.integrations.shopify.parse import (
    ShopifyError,
    ShopifyPayloadError,
    UnsupportedTopic,
    parse_rest,
    parse_webhook,
    rest_payloads,
    verify_hmac,
)
from aftercart.integrations.shopify.statuses import SHOPIFY_EVENT_STATUS, shopify_event_status

__all__ = [
    "SHOPIFY_EVENT_STATUS",
    "ShopifyError",
    "ShopifyPayloadError",
    "UnsupportedTopic",
    "parse_rest",
    "parse_webhook",
    "rest_payloads",
    "shopify_event_status",
    "verify_hmac",
]
