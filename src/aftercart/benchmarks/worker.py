"""Worker benchmark: e-mails delivered per second from the outbox to a local SMTP server.

``messages`` orders are recorded through the ledger (one confirmation each, due now: the
consolidation window has passed), then the outbox is drained the way ``aftercart worker`` drains
it: claim a batch, render each message from its order's latest state (HTML with inlined CSS and
plain text, in the customer's language), send it over the batch's SMTP connections (up to
``ON_THE_WIRE`` messages awaiting the server's reply at once), record the attempt and the outcome.
The SMTP server is aiosmtpd's sink in a process of its own, so it is a real server on a real socket
that keeps nothing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from aftercart.benchmarks import Reporter

BATCH = 200


@dataclass
class WorkerReport:
    messages: int
    sent: int
    failed: int
    seconds: float
    cpu_seconds: float
    emails_per_s: float
    batch: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


def seed_outbox(messages: int, reporter: Reporter) -> None:
    """``messages`` orders, each with its confirmation due now."""
    from django.utils import timezone

    from aftercart.domain.facts import Fact, FactKind
    from aftercart.orders.services import facts_record
    from aftercart.stores.services import store_create

    store = store_create(
        slug="bench-mail",
        name="Bench Outfitters",
        branding={"primary_colour": "#0f766e", "support_email": "help@bench.example"},
    )
    placed = timezone.now() - timedelta(minutes=30)
    reporter.phase("Recording orders", messages)
    for start in range(0, messages, 500):
        facts = [
            Fact(
                kind=FactKind.ORDER_PLACED,
                occurred_at=placed,
                idempotency_key=f"placed-{i}",
                source="bench",
                order_ref=f"M{i:07d}",
                payload={
                    "number": f"#{300000 + i}",
                    "email": f"shopper{i}@example.com",
                    "lines": [{"line_id": "L1", "title": "Rain jacket", "variant": "M", "quantity": 1}],
                },
            )
            for i in range(start, min(messages, start + 500))
        ]
        facts_record(store=store, facts=facts, now=placed)
        reporter.advance(len(facts))
    reporter.close()


def run_worker(*, messages: int = 5000, reporter: Reporter) -> WorkerReport:
    """Seed, start the SMTP sink, drain the outbox; the figures."""
    from django.conf import settings
    from django.utils import timezone

    from aftercart.notifications.delivery import message_deliver_due
    from aftercart.notifications.models import Message

    seed_outbox(messages, reporter)
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        reporter.phase("Delivering", messages)
        now = timezone.now()
        started, cpu = time.perf_counter(), time.process_time()
        while True:
            report = message_deliver_due(now=now, limit=BATCH)
            reporter.advance(report.claimed)
            if not report.claimed and not report.deferred:
                break
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        reporter.close()
    finally:
        sink.terminate()
        sink.wait(10)
    sent = Message.objects.filter(status=Message.Status.SENT).count()
    failed = Message.objects.exclude(status=Message.Status.SENT).count()
    return WorkerReport(
        messages=messages,
        sent=sent,
        failed=failed,
        seconds=round(seconds, 2),
        cpu_seconds=round(cpu_seconds, 2),
        emails_per_s=round(sent / seconds, 1),
        batch=BATCH,
    )
