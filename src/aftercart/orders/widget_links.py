"""Which order a widget URL names, and why none when none.

The widget is opened at ``/w/<store>/…`` in one of two ways:

- with the order's signed tracking token (:mod:`aftercart.orders.tokens`: the same signature,
  revocation and expiry as ``/t/<token>``; the widget shows that very link, so a token of its own
  would hide nothing more);
- from Shopify's order status page, with the order's id and Liquid's ``hmac_sha256`` of it under
  the store's widget secret (:func:`aftercart.domain.widget.shopify_digest_matches`).

Either way the order must be the store's: a token of another store's order is refused, so a
store's site can only ever show its own orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aftercart.domain.widget import shopify_digest_matches
from aftercart.orders.models import Order
from aftercart.orders.tokens import read_tracking_token
from aftercart.stores.models import Store

__all__ = ["WidgetMiss", "WidgetRead", "widget_order_by_shopify", "widget_order_by_token"]

#: Shopify order ids are numbers; anything longer than this is not one.
_MAX_ORDER_ID = 64


class WidgetMiss(StrEnum):
    """Why a widget URL opens no order."""

    #: Forged, truncated, revoked, or a Shopify digest that is not the store's.
    INVALID = "invalid"
    #: A good token, for an order of another store.
    OTHER_STORE = "other_store"
    #: A good Shopify digest for an order we have not (yet) received.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class WidgetRead:
    """The order a widget URL names (with its ``store`` loaded), or why there is none."""

    order: Order | None = None
    miss: WidgetMiss | None = None


def widget_order_by_token(store: Store, token: str) -> WidgetRead:
    """The order of ``store`` that a signed tracking token names. Expiry depends on the order's
    state: the caller checks it (:func:`aftercart.orders.tokens.link_expired`)."""
    order = read_tracking_token(token)
    if order is None:
        return WidgetRead(miss=WidgetMiss.INVALID)
    if order.store_id != store.pk:
        return WidgetRead(miss=WidgetMiss.OTHER_STORE)
    return WidgetRead(order=order)


def widget_order_by_shopify(store: Store, order_id: str, digest: str) -> WidgetRead:
    """The order of ``store`` whose Shopify id is ``order_id``, if ``digest`` is the store's
    HMAC of it. The digest is checked before the order is looked up, so an unsigned request
    learns nothing about which orders exist."""
    order_id = (order_id or "").strip()
    if len(order_id) > _MAX_ORDER_ID or not shopify_digest_matches(store.widget_secret, order_id, digest):
        return WidgetRead(miss=WidgetMiss.INVALID)
    order = Order.objects.filter(store=store, external_id=order_id).first()
    if order is None:
        return WidgetRead(miss=WidgetMiss.UNKNOWN)
    order.store = store
    return WidgetRead(order=order)
