"""Inbound e-mail over SMTP: the server ``aftercart inbox`` runs (aiosmtpd).

Mail is accepted for the addresses stores list as their inbound addresses
(``SupportSettings.inbound_addresses``: support@shop.example); any other recipient is refused at
``RCPT`` with 550, so nothing is accepted that no store can read. Each message is parsed
(:func:`inbound_from_email`: sender, subject, the plain or HTML body, threading and auto-reply
headers), stored in the store's conversation and decided at once
(:func:`aftercart.support.process.message_take`); the reply goes out through the worker's
support pass. Messages over :data:`MAX_MESSAGE_BYTES` are refused by the server (552), as are
those not parseable as mail (554).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections
from django.utils import timezone

from aftercart.domain.contacts import email_key
from aftercart.support.inbound import KEPT_HEADERS, Inbound
from aftercart.support.models import Channel, SupportSettings
from aftercart.support.process import message_take

logger = logging.getLogger(__name__)

#: Largest message accepted (attachments included); the text kept is capped again when stored.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def stores_by_address() -> dict[str, int]:
    """Each store's inbound addresses (normalised) → the store's id."""
    found: dict[str, int] = {}
    for store_id, addresses in SupportSettings.objects.values_list("store_id", "inbound_addresses"):
        for address in addresses or []:
            if isinstance(address, str) and email_key(address):
                found.setdefault(email_key(address), store_id)
    return found


def inbound_from_email(raw: bytes, *, recipient: str = "", region: str = "") -> Inbound:
    """One e-mail as an :class:`Inbound` (``ValueError`` when it is not mail at all)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise ValueError("not an e-mail message")
    name, sender = parseaddr(str(message.get("Reply-To") or message.get("From") or ""))
    if not name:
        name = parseaddr(str(message.get("From") or ""))[0]
    text = html = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            content = part.get_payload(decode=True) or b""
            content = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        if part.get_content_subtype() == "html":
            html = str(content)
        else:
            text = str(content)
    headers = {k.lower(): str(v) for k, v in message.items() if k.lower() in KEPT_HEADERS}
    occurred = None
    if message.get("Date"):
        try:
            occurred = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError, IndexError):
            occurred = None
    return Inbound(
        channel=Channel.EMAIL.value,
        message_id=str(message.get("Message-ID") or "").strip()[:250],
        sender_email=sender,
        sender_name=name,
        recipient=recipient,
        subject=str(message.get("Subject") or ""),
        text=text,
        html=html,
        headers=headers,
        occurred_at=occurred if occurred is not None and occurred.tzinfo is not None else None,
        region=region,
    )


def _store_message(raw: bytes, recipients: list[str]) -> str:
    """Store one accepted message for each store it was addressed to (SMTP reply text)."""
    close_old_connections()
    try:
        routes = stores_by_address()
        store_ids = list(dict.fromkeys(routes[a] for a in map(email_key, recipients) if a in routes))
        if not store_ids:
            return "550 5.1.1 No such mailbox here"
        for store_id in store_ids:
            recipient = next(a for a in map(email_key, recipients) if routes.get(a) == store_id)
            try:
                inbound = inbound_from_email(raw, recipient=recipient)
            except ValueError:
                return "554 5.6.0 Not an e-mail message"
            message_take(store_id=store_id, inbound=inbound, now=timezone.now())
        return "250 Message accepted"
    finally:
        close_old_connections()


class InboxHandler:
    """aiosmtpd handler: recipients checked at RCPT, messages stored at DATA (in a worker thread:
    the ORM is synchronous)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inbox")

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        loop = asyncio.get_running_loop()
        routes = await loop.run_in_executor(self._executor, _routes)
        if email_key(address) not in routes:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _store_message, raw, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("inbox: message could not be stored")
            return "451 4.3.0 Temporary failure, try again later"

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _routes() -> dict[str, int]:
    close_old_connections()
    try:
        return stores_by_address()
    finally:
        close_old_connections()


def inbox_server(*, host: str = "127.0.0.1", port: int = 2525) -> Controller:
    """The SMTP server (not started): ``.start()`` it, ``.stop()`` it."""
    return Controller(
        InboxHandler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
        ready_timeout=10,
    )
