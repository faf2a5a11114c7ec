"""Receiving a customer's message from any channel: store it once, in its conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from aftercart.support.models import Conversation, Message


@dataclass(frozen=True)
class Inbound:
    """One customer message as a channel delivered it (already authenticated by the endpoint)."""

    channel: str
    #: The channel's thread id (ticket id, phone number); "" lets e-mail threading decide.
    thread_id: str = ""
    #: The channel's message id (comment id, Message-ID, Twilio SID); "": a content hash is used.
    message_id: str = ""
    sender_email: str = ""
    sender_phone: str = ""
    sender_name: str = ""
    recipient: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    #: Header name (lower case) → value: in-reply-to, references, auto-submitted, precedence ...
    headers: dict[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None
    #: Known from a signed tracking link (contact form): the order's primary key.
    order_id: int | None = None
    language: str = ""


@dataclass(frozen=True)
class Received:
    conversation: Conversation
    message: Message
    #: False: the same message had been received before (nothing written).
    created: bool


def message_receive(*, store_id: int, inbound: Inbound, now: datetime) -> Received:
    """Store ``inbound`` once in its conversation (a new one, or the thread it continues)."""
    raise NotImplementedError
