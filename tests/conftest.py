"""Shared fixtures. ``SHARED_DATA`` points at ../shared/data; tests that need it skip when absent."""

from __future__ import annotations

import email
import email.policy
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test with a clear reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data is absent (fresh clone): {path} not found")
    return path


@pytest.fixture
def store(db):
    from aftercart.stores.services import store_create

    return store_create(
        slug="acme",
        name="Acme Outfitters",
        shopify_webhook_secret="shpss_test_secret",
        aftership_webhook_secret="as_test_secret",
    )


@pytest.fixture
def api_token(store):
    from aftercart.stores.services import api_key_issue

    return api_key_issue(store=store).token


@pytest.fixture
def api(client, api_token):
    """A test client that sends the store's bearer key and JSON by default."""

    class Api:
        def __init__(self) -> None:
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}

        def post(self, path, data=None, **extra):
            import json

            body = data if isinstance(data, (str, bytes)) else json.dumps(data)
            return client.post(
                path,
                body,
                content_type=extra.pop("content_type", "application/json"),
                **self.headers,
                **extra,
            )

        def patch(self, path, data=None, **extra):
            import json

            return client.patch(
                path, json.dumps(data), content_type="application/json", **self.headers, **extra
            )

        def get(self, path, **extra):
            return client.get(path, **self.headers, **extra)

    return Api()


@pytest.fixture(autouse=True)
def _demo_standins_on_free_ports(monkeypatch):
    """The demo's EasyPost stand-in on any free port: 8377 may be a running `make demo`'s."""
    monkeypatch.setenv("AFTERCART_DEMO_EASYPOST_PORT", "0")


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Every test starts with the process caches empty, as a new process would
    (:func:`aftercart.kernel.caches.caches_reset`), and leaves none of its entries to the next."""
    from aftercart.kernel.caches import caches_reset

    caches_reset()
    yield
    caches_reset()


@pytest.fixture(autouse=True)
def _mailbox_in_tmp(settings, tmp_path):
    """The demo mailbox keeps e-mails under the test's own folder, never the checkout's var/."""
    settings.AFTERCART_MAILBOX_DIR = tmp_path / "mailbox"


# --- a real SMTP server on 127.0.0.1 ------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses some mailboxes with a 550."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        return self.inbox.received


@pytest.fixture
def mail_settings(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "orders@acme.example"
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    return settings


@pytest.fixture
def smtp(mail_settings):
    """A running SMTP server the e-mail backend is pointed at."""
    server = SmtpServer(mail_settings.EMAIL_PORT)
    server.start()
    yield server
    server.stop()
