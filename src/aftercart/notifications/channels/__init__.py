"""Channel transports: one module per channel, each rendering the order's next step and sending it.

A transport raises :class:`PermanentError` for what retrying cannot fix (the mailbox does not
exist, the address is invalid) and :class:`RetryableError` for what it may (the server is down,
a 4xx); the delivery service turns that into a retry schedule or a final failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aftercart.domain.messaging import Channel

if TYPE_CHECKING:
    from aftercart.domain.next_step import NextStep
    from aftercart.domain.projection import OrderState
    from aftercart.notifications.models import Message


class ChannelError(Exception):
    """A send that did not succeed. ``permanent``: retrying will not help."""

    permanent = False


class PermanentError(ChannelError):
    """The message can never be delivered as it is (bad address, mailbox unavailable)."""

    permanent = True


class RetryableError(ChannelError):
    """The message may go through later (server unreachable, temporary refusal)."""

    permanent = False


@dataclass(frozen=True, slots=True)
class Outbound:
    """What a transport needs to send one message: the outbox row (with its store and order
    loaded), the order's latest state and next step, and the address to use."""

    message: Message
    state: OrderState
    step: NextStep
    address: str


class Transport(Protocol):
    """One channel's sender. Instances live for one delivery batch (connections are reused)."""

    channel: Channel

    def address(self, state: OrderState) -> str:
        """The customer's address on this channel in the latest state ("" if none)."""
        ...

    def send(self, outbound: Outbound) -> str:
        """Render and send; return the provider's message id. Raises :class:`ChannelError`."""
        ...

    def close(self) -> None:
        """Release connections held for the batch."""
        ...


def transport_for(channel: str) -> Transport:
    """A fresh transport for a channel."""
    if channel == Channel.EMAIL:
        from aftercart.notifications.channels.email import EmailTransport

        return EmailTransport()
    raise PermanentError(f"no transport for channel {channel!r}")
