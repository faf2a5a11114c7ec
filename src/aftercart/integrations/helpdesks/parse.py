"""Customer messages as Zendesk, Gorgias and Postmark deliver them: pure parsing and verification.

Each parser takes the decoded JSON and returns a :class:`ParsedMessage` (or ``None`` when the
payload is about something that is not a customer's message: an agent's comment, our own reply
coming back, a ticket event without a comment), or raises :class:`PayloadError` naming the field.

* **Zendesk** signs every webhook: ``X-Zendesk-Webhook-Signature`` is
  ``base64(HMAC-SHA256(secret, timestamp + body))`` with the timestamp from
  ``X-Zendesk-Webhook-Signature-Timestamp`` (:func:`zendesk_verify`). Two shapes are read: a
  trigger's JSON body (the template in docs/support.md: ``ticket`` with ``requester`` and
  ``comment``) and an event subscription's ``zen:event-type:ticket.comment_added``.
* **Gorgias** HTTP integrations are not signed: the integration sends the headers it is configured
  with, so a shared secret goes in a header (``X-Aftercart-Token``) and is compared in constant
  time (:func:`token_matches`). The body is the template in docs/support.md (``ticket`` and
  ``message``), or a ticket object with its ``messages``.
* **Postmark** inbound posts its parsed JSON (``From``, ``FromFull``, ``To``, ``Subject``,
  ``TextBody``, ``HtmlBody``, ``StrippedTextReply``, ``Headers``, ``MessageID`` ...), behind the
  basic-auth credentials put in the webhook URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

#: Most characters read from any one text field of a payload (the support app caps again).
MAX_FIELD = 200_000


class PayloadError(ValueError):
    """The payload cannot be read as a customer message: ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ParsedMessage:
    """One customer message, as the sender described it."""

    thread_id: str = ""
    message_id: str = ""
    sender_email: str = ""
    sender_name: str = ""
    sender_phone: str = ""
    recipient: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    stripped_text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    language: str = ""
    occurred_at: datetime | None = None


def zendesk_verify(secret: str, body: bytes, signature: str | None, timestamp: str | None) -> bool:
    """Whether ``signature`` is Zendesk's ``base64(HMAC-SHA256(secret, timestamp + body))``."""
    if not secret or not signature or not timestamp:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    try:
        received = base64.b64decode(signature.strip(), validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(expected, received)


def token_matches(secret: str, given: str | None) -> bool:
    """A shared secret compared in constant time (an empty secret accepts nothing)."""
    if not secret or not given:
        return False
    a = hashlib.sha256(secret.encode()).digest()
    b = hashlib.sha256(given.strip().encode()).digest()
    return hmac.compare_digest(a, b)


def _obj(value: Any, name: str, *, required: bool = True) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if value is None and not required:
        return {}
    raise PayloadError(name, "must be an object")


def _text(value: Any, name: str, *, limit: int = MAX_FIELD) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    return value[:limit]


def _ident(value: Any, name: str) -> str:
    text = _text(value, name, limit=200).strip()
    if text and not all(ch.isalnum() or ch in "-_.:@<>+=/" for ch in text):
        raise PayloadError(name, "is not an id")
    return text


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zendesk_parse(payload: Any, *, api_user: str = "") -> ParsedMessage | None:
    """A Zendesk webhook: our trigger template or a ``ticket.comment_added`` event. ``None`` for an
    agent's comment (``is_staff``, or written by ``api_user``, the account we reply with)."""
    data = _obj(payload, "body")
    if str(data.get("type") or "").startswith("zen:event-type:"):
        if data.get("type") != "zen:event-type:ticket.comment_added":
            return None
        detail = _obj(data.get("detail"), "detail")
        event_comment = _obj(_obj(data.get("event"), "event").get("comment"), "event.comment")
        author = _obj(event_comment.get("author"), "event.comment.author", required=False)
        if _truthy(author.get("is_staff")) or not _truthy(event_comment.get("is_public", True)):
            return None
        ticket_id = _ident(detail.get("id"), "detail.id")
        if not ticket_id:
            raise PayloadError("detail.id", "is required")
        return ParsedMessage(
            thread_id=ticket_id,
            message_id=_ident(event_comment.get("id"), "event.comment.id"),
            sender_name=_text(author.get("name"), "event.comment.author.name", limit=200),
            subject=_text(detail.get("subject"), "detail.subject", limit=300),
            text=_text(event_comment.get("body"), "event.comment.body"),
            occurred_at=_when(data.get("time")),
        )
    ticket = _obj(data.get("ticket"), "ticket")
    ticket_id = _ident(ticket.get("id"), "ticket.id")
    if not ticket_id:
        raise PayloadError("ticket.id", "is required")
    requester = _obj(ticket.get("requester"), "ticket.requester", required=False)
    comment = _obj(ticket.get("comment"), "ticket.comment", required=False)
    author_email = (
        _text(comment.get("author_email"), "ticket.comment.author_email", limit=254).strip().lower()
    )
    if (api_user and author_email == api_user.strip().lower()) or _truthy(comment.get("is_staff")):
        return None
    if "public" in comment and not _truthy(comment.get("public")):
        return None
    body = _text(comment.get("body") if comment else ticket.get("latest_comment"), "ticket.comment.body")
    if not body.strip():
        raise PayloadError("ticket.comment.body", "is empty")
    return ParsedMessage(
        thread_id=ticket_id,
        message_id=_ident(comment.get("id"), "ticket.comment.id"),
        sender_email=_text(requester.get("email"), "ticket.requester.email", limit=254).strip(),
        sender_name=_text(requester.get("name"), "ticket.requester.name", limit=200).strip(),
        sender_phone=_text(requester.get("phone"), "ticket.requester.phone", limit=40).strip(),
        subject=_text(ticket.get("subject"), "ticket.subject", limit=300),
        text=body,
        html=_text(comment.get("html_body"), "ticket.comment.html_body"),
        language=_text(requester.get("locale") or ticket.get("locale"), "ticket.requester.locale", limit=16),
        occurred_at=_when(comment.get("created_at")),
    )


def gorgias_parse(payload: Any) -> ParsedMessage | None:
    """A Gorgias HTTP integration's body: ``ticket`` and ``message`` (our template), or a ticket
    object with its ``messages`` (the latest customer message is read). ``None`` when the message
    is from an agent (``from_agent``)."""
    data = _obj(payload, "body")
    ticket = _obj(data.get("ticket"), "ticket", required=False) or data
    ticket_id = _ident(ticket.get("id"), "ticket.id")
    if not ticket_id:
        raise PayloadError("ticket.id", "is required")
    message = _obj(data.get("message"), "message", required=False)
    if not message:
        messages = ticket.get("messages")
        if messages is not None and not isinstance(messages, list):
            raise PayloadError("ticket.messages", "must be a list")
        from_customer = [
            m for m in messages or [] if isinstance(m, Mapping) and not _truthy(m.get("from_agent"))
        ]
        if not from_customer:
            if any(isinstance(m, Mapping) for m in messages or []):
                return None
            raise PayloadError("message", "is required")
        message = from_customer[-1]
    if _truthy(message.get("from_agent")):
        return None
    customer = _obj(ticket.get("customer"), "ticket.customer", required=False)
    sender = _obj(message.get("sender"), "message.sender", required=False)
    text = _text(message.get("body_text") or message.get("stripped_text"), "message.body_text")
    html = _text(message.get("body_html"), "message.body_html")
    if not text.strip() and not html.strip():
        raise PayloadError("message.body_text", "is empty")
    return ParsedMessage(
        thread_id=ticket_id,
        message_id=_ident(message.get("id"), "message.id"),
        sender_email=_text(
            sender.get("email") or customer.get("email"), "message.sender.email", limit=254
        ).strip(),
        sender_name=_text(
            sender.get("name") or customer.get("name"), "message.sender.name", limit=200
        ).strip(),
        subject=_text(ticket.get("subject") or message.get("subject"), "ticket.subject", limit=300),
        text=text,
        html=html,
        stripped_text=_text(message.get("stripped_text"), "message.stripped_text"),
        language=_text(ticket.get("language"), "ticket.language", limit=16),
        occurred_at=_when(message.get("created_datetime") or message.get("sent_datetime")),
    )


def postmark_parse(payload: Any) -> ParsedMessage:
    """Postmark's inbound JSON (its headers as ``[{"Name", "Value"}]``)."""
    data = _obj(payload, "body")
    full = _obj(data.get("FromFull"), "FromFull", required=False)
    email = (
        _text(full.get("Email"), "FromFull.Email", limit=254) or parseaddr(_text(data.get("From"), "From"))[1]
    )
    if not email or "@" not in email:
        raise PayloadError("From", "is not an e-mail address")
    headers: dict[str, str] = {}
    raw_headers = data.get("Headers") or []
    if not isinstance(raw_headers, list):
        raise PayloadError("Headers", "must be a list")
    for i, item in enumerate(raw_headers[:200]):
        item = _obj(item, f"Headers[{i}]")
        name = _text(item.get("Name"), f"Headers[{i}].Name", limit=100).strip().lower()
        if name:
            headers[name] = _text(item.get("Value"), f"Headers[{i}].Value", limit=4000)
    # Postmark's MessageID is its own; the sender's Message-ID (what replies refer to) is a header.
    message_id = headers.get("message-id", "").strip() or _ident(data.get("MessageID"), "MessageID")
    text = _text(data.get("TextBody"), "TextBody")
    html = _text(data.get("HtmlBody"), "HtmlBody")
    if not text.strip() and not html.strip():
        raise PayloadError("TextBody", "is empty (and so is HtmlBody)")
    to_full = data.get("ToFull")
    recipient = ""
    if isinstance(to_full, list) and to_full and isinstance(to_full[0], Mapping):
        recipient = _text(to_full[0].get("Email"), "ToFull[0].Email", limit=254)
    recipient = recipient or parseaddr(_text(data.get("OriginalRecipient") or data.get("To"), "To"))[1]
    return ParsedMessage(
        message_id=message_id[:250],
        sender_email=email.strip(),
        sender_name=_text(full.get("Name") or data.get("FromName"), "FromName", limit=200).strip(),
        recipient=recipient.strip(),
        subject=_text(data.get("Subject"), "Subject", limit=300),
        text=text,
        html=html,
        stripped_text=_text(data.get("StrippedTextReply"), "StrippedTextReply"),
        headers=headers,
        occurred_at=_when(data.get("Date")),
    )
