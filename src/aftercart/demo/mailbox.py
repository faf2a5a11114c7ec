"""The demo's local mailbox: a real SMTP server on 127.0.0.1 that keeps every e-mail it receives.

The demo points Aftercart's e-mail channel at it, so the messages customers would have received
arrive over SMTP exactly as a mail relay would take them, and the operator can read them at
``/demo/mailbox/``. One ``.eml`` file per message under ``AFTERCART_MAILBOX_DIR``; nothing leaves
the machine.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings

from aftercart.notifications.channels.email import message_id
from aftercart.notifications.models import Message


def mailbox_dir() -> Path:
    """Where received e-mails are kept."""
    return Path(settings.AFTERCART_MAILBOX_DIR)


class _KeepHandler:
    """aiosmtpd handler: each accepted message becomes one file, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        digest = hashlib.sha256(content).hexdigest()[:12]
        name = f"{time.time_ns()}-{digest}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, self.directory / name)
        return "250 Message accepted for delivery"


@contextmanager
def mailbox_running(*, port: int = 0, directory: Path | None = None) -> Iterator[tuple[str, int]]:
    """Run the mailbox's SMTP server on 127.0.0.1 (``port`` 0: any free port) while the block
    runs; yields ``(host, port)`` to point the e-mail backend at."""
    directory = directory or mailbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(_KeepHandler(directory), hostname="127.0.0.1", port=port or _free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port
    finally:
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One received e-mail, as listed in the mailbox."""

    key: str  # the file name without .eml: stable, not guessable from the order
    subject: str
    to: str
    sender: str
    message_id: str
    language: str
    date: datetime | None


def _parse(path: Path, *, headers_only: bool) -> EmailMessage:
    with path.open("rb") as handle:
        parser = email.parser.BytesParser(policy=email.policy.default)
        message = parser.parse(handle, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def _received(path: Path, message: EmailMessage) -> Received:
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return Received(
        key=path.stem,
        subject=str(message["Subject"] or ""),
        to=str(message["To"] or ""),
        sender=str(message["From"] or ""),
        message_id=str(message["Message-ID"] or "").strip(),
        language=str(message["Content-Language"] or ""),
        date=date,
    )


def mailbox_list(directory: Path | None = None) -> list[Received]:
    """Every received e-mail, newest first (headers only: the list stays cheap)."""
    directory = directory or mailbox_dir()
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)
    return [_received(path, _parse(path, headers_only=True)) for path in paths]


def mailbox_read(key: str, directory: Path | None = None) -> tuple[Received, str, str] | None:
    """One e-mail by key: its headers, HTML body and plain-text body; ``None`` if there is none."""
    directory = directory or mailbox_dir()
    if not key or "/" in key or key.startswith("."):
        return None
    path = directory / f"{key}.eml"
    if not path.is_file():
        return None
    message = _parse(path, headers_only=False)
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    return (
        _received(path, message),
        html.get_content() if html is not None else "",
        text.get_content() if text is not None else "",
    )


@dataclass(frozen=True)
class Sent:
    """What the outbox knows about a received e-mail."""

    milestone: str
    store: str
    order_id: int
    order_number: str


def outbox_by_digest() -> dict[str, Sent]:
    """Sent outbox rows by the local part of their Message-ID, to label received e-mails with the
    milestone that caused them (the Message-ID is a keyed hash of the row's dedupe key)."""

    rows = (
        Message.objects.filter(channel="email", status=Message.Status.SENT)
        .select_related("store", "order")
        .only("dedupe_key", "milestone", "store__slug", "order__number")
    )
    found = {}
    for row in rows.iterator(chunk_size=2000):
        digest = message_id(row, "x@x").strip("<>").partition("@")[0]
        found[digest] = Sent(row.milestone, row.store.slug, row.order_id, row.order.number)
    return found


def digest_of(message_id_header: str) -> str:
    """The local part of a Message-ID header: ``<abc@host>`` → ``abc``."""
    return message_id_header.strip().strip("<>").partition("@")[0]
