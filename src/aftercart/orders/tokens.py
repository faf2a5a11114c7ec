"""Signed tracking links: ``/t/<token>`` opens one order's tracking page without a login.

The token is ``django.core.signing`` over ``{"o": public_id, "v": token_version}``: it names the
order by its opaque public id (never the sequential key) and cannot be forged without the secret
key. Bumping the order's ``token_version`` revokes every link issued before. Links do not expire
while the order is under way or one of its returns is open; they stop working
``AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY`` days (90 by default) after the order was delivered,
collected or cancelled and its last return closed, because an old link in a forwarded e-mail should
not show someone's items and address forever (:mod:`aftercart.domain.link_life` holds the rule).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing

from aftercart.domain.link_life import LinkedReturn, link_live
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.kernel.reads import FixedRead
from aftercart.orders.models import Order
from aftercart.stores.models import Store

SALT = "aftercart.web.tracking-link"
#: Every tracking page, choice and return page opens with these two reads (see
#: aftercart.kernel.reads for why they are not querysets).
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
    """How many days a tracking link keeps working after the order ends (and after its last
    return closes)."""
    return int(getattr(settings, "AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY", 90))


def link_expired(order: Order, state: OrderState, now: datetime) -> bool:
    """Whether links to this order have expired at ``now`` (the rule is
    :func:`aftercart.domain.link_life.link_live`: the order's state and its returns decide)."""
    # A generator over a lazy queryset: the returns are only read once the order's own grace
    # period is over, so most page views cost no extra query.
    returns = (
        LinkedReturn(ReturnStatus(status), changed_at)
        for status, changed_at in order.returns.values_list("status", "updated_at")
    )
    return not link_live(state, returns, now, grace=timedelta(days=link_days_after_delivery()))
