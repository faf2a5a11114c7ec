"""Who "this customer" is on a channel: the key consent and preferences are stored under.

A choice must hold however the address was typed on the next order or arrives in an SMS webhook
(Twilio sends ``From`` in E.164), so addresses are normalised the same way everywhere: e-mail
lower-cased, phone numbers in E.164 read in the order's (else the store's) country.
"""

from __future__ import annotations

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.messaging import Channel
from aftercart.domain.projection.state import OrderState


def contact_key(channel: Channel | str, address: str, region: str = "") -> str:
    """The normalised address of a customer on ``channel`` ("" when there is none).

    A phone number that does not parse is kept as typed (without spaces): the choice still
    applies to that exact string, and such a number cannot be texted anyway.
    """
    if channel == Channel.SMS:
        return phone_key(address, region)
    return email_key(address)


def order_contact(channel: Channel | str, state: OrderState, store_country: str = "") -> str:
    """The order's current address on ``channel``, normalised (what messages go to now, and
    what a preference link is bound to); "" when it has none."""
    raw = state.email if channel == Channel.EMAIL else state.phone if channel == Channel.SMS else ""
    return contact_key(channel, raw, state.country or store_country)
