"""Links put in messages: the tracking page and the preferences (unsubscribe) page; and the
order-confirmation widget's, which a store puts on its thank-you page (docs/widget.md)."""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from aftercart.domain.projection.state import OrderState
from aftercart.notifications.contacts import order_contact
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import make_tracking_token

#: Salt of preference-page tokens; the preference page verifies with the same salt.
PREFERENCES_SALT = "aftercart.notifications.preferences"
_ADDRESS_SALT = "aftercart.notifications.preferences.address"


class PreferencesToken(NamedTuple):
    """What a preference link names: the order (opaque id), the channel, and the digest of the
    address the message went to ("" in links made before links were bound to an address)."""

    order: str
    channel: str
    address: str


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


def address_digest(channel: str, address: str) -> str:
    """A keyed digest of a normalised address: binds a link to it without revealing it (a plain
    hash of an e-mail address is found again by hashing guesses)."""
    return salted_hmac(_ADDRESS_SALT, f"{channel}\0{address}").hexdigest()[:20]


def address_matches(token: PreferencesToken, address: str) -> bool:
    """Whether ``address`` (normalised) is the one the link was sent to."""
    return bool(address) and constant_time_compare(token.address, address_digest(token.channel, address))


def preferences_token(order: Order, channel: str, state: OrderState | None = None) -> str:
    """A signed, non-expiring token naming the order (by its opaque id), the channel and the
    address the message goes to (the order's current one on that channel; ``state`` spares
    reading it again).

    It does not expire on purpose: an unsubscribe link must work however old the message is
    (RFC 8058). It is bound to the address, so once the order's address changes an old link no
    longer acts on the new one. It carries only a keyed digest of the address, so URLs in logs
    reveal nobody's e-mail.
    """
    if state is None:
        state = order_view(order, timezone.now())[0]
    address = order_contact(channel, state, order.store.country)
    data = {"o": order.public_id, "c": channel, "a": address_digest(channel, address) if address else ""}
    return signing.Signer(salt=PREFERENCES_SALT).sign_object(data)


def preferences_token_read(token: str) -> PreferencesToken | None:
    """What a token names, or ``None`` if it was tampered with."""
    try:
        data = signing.Signer(salt=PREFERENCES_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    return PreferencesToken(str(data.get("o", "")), str(data.get("c", "")), str(data.get("a", "")))


def preferences_url(order: Order, channel: str, state: OrderState | None = None) -> str:
    """The one-click unsubscribe / preferences URL for this order and channel, bound to the
    address a message on that channel goes to now."""
    return f"{base_url()}/p/{preferences_token(order, channel, state)}"
