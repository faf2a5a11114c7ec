"""Receiving a customer's message from any channel: store it once, in its conversation.

Every endpoint (helpdesk webhooks, e-mail over SMTP or Postmark, SMS, contact form, API) turns
what it received into an :class:`Inbound` and calls :func:`message_receive`. It is the first
thing done with a message and does nothing that can fail on the message's content: the text is
reduced (HTML to text, quoted history and signature stripped), capped, and written with its
headers in one short transaction. Deciding about it comes after (:mod:`aftercart.support.process`).

Deduplication: by the channel's own id (helpdesk comment id, ``Message-ID``, Twilio
``MessageSid``), else by a hash of who wrote what in which thread within the same ten minutes
(a double-submitted form, a webhook retried without an id). A repeat writes nothing.

Threading: a helpdesk ticket or an SMS number is its conversation's thread id; an e-mail joins
the conversation of the message named in its ``In-Reply-To`` or ``References`` (ours or the
customer's), else starts one whose thread id is its own ``Message-ID``. A customer writing again
in a resolved or answered conversation reopens it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.support.text import cap, content_hash_key, html_to_text, normalise, strip_reply
from aftercart.support.models import Conversation, Message

#: Headers kept with a message (lower case): threading, loops, language.
KEPT_HEADERS = (
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "content-language",
    "list-id",
    "return-path",
)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


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
    #: The text without quoted history, when the channel already stripped it (Postmark).
    stripped_text: str = ""
    #: Header name (lower case) → value: in-reply-to, references, auto-submitted, precedence ...
    headers: dict[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None
    #: Known from a signed tracking link (contact form): the order's primary key.
    order_id: int | None = None
    language: str = ""
    #: Region to read a national phone number in (the store's country).
    region: str = ""


@dataclass(frozen=True)
class Received:
    conversation: Conversation
    message: Message
    #: False: the same message had been received before (nothing written).
    created: bool


def message_ids(value: str) -> list[str]:
    """The ``<id@host>`` message ids in a header value, in order."""
    return _MESSAGE_ID.findall(value or "")


def message_receive(*, store_id: int, inbound: Inbound, now: datetime) -> Received:
    """Store ``inbound`` once in its conversation (a new one, or the thread it continues)."""
    body = inbound.text or html_to_text(inbound.html)
    body = normalise(body)
    body, truncated = cap(body)
    said = strip_reply(inbound.stripped_text or body)
    said, cut = cap(said)
    truncated = truncated or cut
    email = email_key(inbound.sender_email)
    phone = phone_key(inbound.sender_phone, inbound.region) if inbound.sender_phone else ""
    occurred = inbound.occurred_at or now
    headers = {k.lower(): str(v)[:2000] for k, v in inbound.headers.items() if k.lower() in KEPT_HEADERS}
    if inbound.message_id:
        dedupe = f"{inbound.channel}:id:{inbound.message_id}"[:255]
    else:
        bucket = occurred.replace(minute=occurred.minute - occurred.minute % 10, second=0, microsecond=0)
        dedupe = f"{inbound.channel}:hash:" + content_hash_key(
            inbound.thread_id, email or phone, inbound.subject, body, bucket.isoformat()
        )
    existing = (
        Message.objects.filter(store_id=store_id, dedupe_key=dedupe).select_related("conversation").first()
    )
    if existing is not None:
        return Received(existing.conversation, existing, created=False)
    try:
        with transaction.atomic():
            conversation = _conversation_for(store_id, inbound, email, phone, headers, now)
            message = Message.objects.create(
                store_id=store_id,
                conversation=conversation,
                direction=Message.Direction.IN,
                kind=Message.Kind.MESSAGE,
                author=Message.Author.CUSTOMER,
                channel=inbound.channel,
                dedupe_key=dedupe,
                external_id=inbound.message_id[:255],
                sender=(email or phone or inbound.sender_name)[:254],
                recipient=inbound.recipient[:254],
                subject=" ".join(inbound.subject.split())[:300],
                body=body,
                text=said,
                truncated=truncated,
                # prior_state: how the conversation stood when this arrived (an ignored auto-reply
                # puts it back; a conversation with a person stays with the person).
                payload={
                    "headers": headers,
                    "name": inbound.sender_name[:200],
                    "prior_state": conversation.state,
                },
                occurred_at=occurred,
                recorded_at=now,
            )
            updates: dict[str, object] = {"updated_at": now, "last_inbound_at": now}
            if conversation.state in (
                Conversation.State.RESOLVED,
                Conversation.State.ANSWERED,
                Conversation.State.WAITING,
            ):
                updates["state"] = Conversation.State.NEW
                updates["resolved_at"] = None
            Conversation.objects.filter(pk=conversation.pk).update(**updates)
            conversation.refresh_from_db()
    except IntegrityError:
        # The same message arrived twice at once: the other request stored it.
        existing = (
            Message.objects.filter(store_id=store_id, dedupe_key=dedupe)
            .select_related("conversation")
            .first()
        )
        if existing is None:
            raise
        return Received(existing.conversation, existing, created=False)
    return Received(conversation, message, created=True)


def _conversation_for(
    store_id: int, inbound: Inbound, email: str, phone: str, headers: dict[str, str], now: datetime
) -> Conversation:
    thread = inbound.thread_id[:255]
    found: Conversation | None = None
    if thread:
        found = (
            Conversation.objects.select_for_update()
            .filter(store_id=store_id, channel=inbound.channel, external_id=thread)
            .first()
        )
    elif inbound.channel == "email":
        refs = message_ids(headers.get("in-reply-to", "")) + list(
            reversed(message_ids(headers.get("references", "")))
        )
        if refs:
            ids = [r for r in refs][:50]
            earlier = (
                Message.objects.filter(store_id=store_id, external_id__in=ids)
                .order_by("-id")
                .values_list("conversation_id", flat=True)
                .first()
            )
            if earlier is not None:
                found = Conversation.objects.select_for_update().filter(pk=earlier).first()
        if found is None:
            thread = (inbound.message_id or "")[:255]
    if found is not None:
        changed: list[str] = []
        if email and not found.customer_email:
            found.customer_email, changed = email, [*changed, "customer_email"]
        if phone and not found.customer_phone:
            found.customer_phone, changed = phone, [*changed, "customer_phone"]
        if inbound.order_id and not found.order_id:
            found.order_id, found.match, changed = (
                inbound.order_id,
                Conversation.Match.TOKEN,
                [*changed, "order", "match"],
            )
        if changed:
            found.save(update_fields=changed)
        return found
    conversation = Conversation(
        store_id=store_id,
        channel=inbound.channel,
        external_id=thread,
        subject=" ".join(inbound.subject.split())[:300],
        customer_name=inbound.sender_name[:200],
        customer_email=email,
        customer_phone=phone[:32],
        language=(inbound.language or "")[:16],
        created_at=now,
        updated_at=now,
    )
    if inbound.order_id:
        conversation.order_id = inbound.order_id
        conversation.match = Conversation.Match.TOKEN
    if thread:
        # Two first messages of one thread at once: one creates, the other joins it.
        try:
            with transaction.atomic():
                conversation.save()
        except IntegrityError:
            return Conversation.objects.select_for_update().get(
                store_id=store_id, channel=inbound.channel, external_id=thread
            )
    else:
        conversation.save()
    return conversation
