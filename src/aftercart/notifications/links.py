"""Links put in messages: the tracking page and the preferences (unsubscribe) page; and the
order-confirmation widget's, which a store puts on its thank-you page (docs/widget.md)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token

#: Salt of preference-page tokens; the preference page (to come) verifies with the same salt.
PREFERENCES_SALT = "aftercart.notifications.preferences"


def base_url() -> str:
    """The public base URL, without a trailing slash."""
    return str(settings.AFTERCART_BASE_URL).rstrip("/")


def tracking_url(order: Order) -> str:
    """The order's tracking page, ``/t/<token>`` (a signed link that opens without a login)."""
    return f"{base_url()}/t/{make_tracking_token(order)}"


def widget_url(order: Order, store_slug: str) -> str:
    """The order's confirmation widget, ``/w/<store>/<token>``: the tracking link's token, since
    the widget shows that very link (same signature, revocation and expiry)."""
    return f"{base_url()}/w/{store_slug}/{make_tracking_token(order)}"


def preferences_token(order: Order, channel: str) -> str:
    """A signed, non-expiring token naming the order (by its opaque id) and the channel.

    It does not expire on purpose: an unsubscribe link must work however old the message is
    (RFC 8058). It carries no address, so URLs in logs reveal nobody's e-mail.
    """
    return signing.Signer(salt=PREFERENCES_SALT).sign_object({"o": order.public_id, "c": channel})


def preferences_token_read(token: str) -> tuple[str, str] | None:
    """(order public id, channel) from a token, or ``None`` if it was tampered with."""
    try:
        data = signing.Signer(salt=PREFERENCES_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    return str(data.get("o", "")), str(data.get("c", ""))


def preferences_url(order: Order, channel: str) -> str:
    """The one-click unsubscribe / preferences URL for this order and channel."""
    return f"{base_url()}/p/{preferences_token(order, channel)}"
