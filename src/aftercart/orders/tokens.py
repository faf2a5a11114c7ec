"""Signed tracking links: ``/t/<token>`` opens one order's tracking page without a login.

The token is ``django.core.signing`` over ``{"o": public_id, "v": token_version}``: it names the
order by its opaque public id (never the sequential key) and cannot be forged without the secret
key. Bumping the order's ``token_version`` revokes every link issued before. Links do not expire
while the order is under way; they stop working ``AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY``
days (90 by default) after the order was delivered, collected or cancelled, because an old link in
a forwarded e-mail should not show someone's items and address forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing

from aftercart.core.reads import FixedRead
from aftercart.domain.projection import OrderState
from aftercart.domain.vocabulary import Stage
from aftercart.orders.models import Order
from aftercart.stores.models import Store

SALT = "aftercart.web.tracking-link"
#: Every tracking page, choice and return page opens with these two reads (see
#: aftercart.core.reads for why they are not querysets).
_ORDER_BY_PUBLIC_ID = FixedRead(Order, where="public_id = %s")
_STORE_BY_ID = FixedRead(Store, where="id = %s")
#: Real tokens are under 100 characters; refuse anything far longer before verifying it.
MAX_TOKEN_LENGTH = 400


def token_version(order: Order) -> int:
    """The order's current link version (0 until the model has a ``token_version`` field)."""
    return int(order.token_version or 0)


def make_tracking_token(order: Order) -> str:
    """A signed, URL-safe token for the order's tracking page."""
    return signing.dumps({"o": order.public_id, "v": token_version(order)}, salt=SALT)


def read_tracking_token(token: str) -> Order | None:
    """The order a token names, or ``None`` when it is forged, malformed or revoked.

    Expiry depends on the order's projected state, so it is checked by the caller with
    :func:`link_expired` once the state is at hand.
    """
    payload = _payload(token)
    if payload is None:
        return None
    found = _ORDER_BY_PUBLIC_ID.instances([payload["o"]])
    if not found or token_version(found[0]) != payload["v"]:
        return None
    order: Order = found[0]
    stores = _STORE_BY_ID.instances([order.store_id])
    if not stores:
        return None  # deleted between the two reads
    order.store = stores[0]
    return order


def _payload(token: str) -> dict[str, Any] | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    public_id, version = payload.get("o"), payload.get("v")
    # bool is an int in Python; a signed payload is ours, but be strict about its shape anyway.
    if not isinstance(public_id, str) or not isinstance(version, int) or isinstance(version, bool):
        return None
    return {"o": public_id, "v": version}


def link_days_after_delivery() -> int:
    """How many days a tracking link keeps working after the order ends."""
    return int(getattr(settings, "AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY", 90))


def order_ended_at(state: OrderState) -> datetime | None:
    """When the order was last delivered or collected (or cancelled, if nothing shipped); ``None``
    while anything is still under way."""
    if state.stage is Stage.CANCELLED:
        return state.cancelled_at
    if state.stage is not Stage.POST_DELIVERY:
        return None
    moments = [s.delivered_at for s in state.shipments.values() if s.delivered_at]
    moments += [ln.pickup.collected_at for ln in state.lines.values() if ln.pickup and ln.pickup.collected_at]
    return max(moments) if moments else None


def link_expires_at(state: OrderState) -> datetime | None:
    """When links to this order stop working; ``None`` while the order is under way."""
    ended = order_ended_at(state)
    return ended + timedelta(days=link_days_after_delivery()) if ended else None


def link_expired(state: OrderState, now: datetime) -> bool:
    """Whether links to this order have expired at ``now``."""
    expires = link_expires_at(state)
    return expires is not None and now >= expires
