"""Support latency: from a customer's e-mail arriving to the automated answer leaving, worker running.

    .venv/bin/python bench/support.py --messages 50
    .venv/bin/python bench/support.py --messages 50 --database-url postgresql://postgres@127.0.0.1:5432/postgres

Creates a temporary database (as the other benchmarks), migrates it, records N shipped orders,
then runs, in this process, what production runs: ``aftercart inbox`` (the aiosmtpd receiver,
:func:`aftercart.support.smtp.inbox_server`), the worker's ``support`` loop (every second, as
``aftercart worker`` runs it) and a local SMTP sink as the outgoing mail server. N customers each
send "where is my order #N?" with smtplib, one every ``--gap`` seconds; the latency of each is
from the moment ``sendmail`` returned to the moment the answer (``In-Reply-To`` that message)
reached the sink. Prints one JSON line (p50, p95, max seconds). A benchmark: it never fails.

The store's confidence threshold is set to 0.4 so the interface stub of the intent classifier
(confidence 0.5 for "where is my order") answers; the shipped model answers with its own.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(messages: int, gap: float) -> dict[str, object]:
    from aiosmtpd.controller import Controller
    from django.conf import settings

    from aftercart.domain.facts import Fact, FactKind
    from aftercart.kernel.loops import loop_run
    from aftercart.orders.services import facts_record
    from aftercart.stores.services import store_create
    from aftercart.support.models import SupportSettings
    from aftercart.support.smtp import inbox_server
    from aftercart.support.worker import support_loop

    arrived: dict[str, float] = {}

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            parsed = BytesParser(policy=default).parsebytes(envelope.content)
            arrived[str(parsed.get("In-Reply-To", ""))] = time.monotonic()
            return "250 OK"

    sink_port = _port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "orders@bench.example"
    store = store_create(slug="bench", name="Bench Shop")
    SupportSettings.objects.create(
        store=store, confidence_threshold=0.4, inbound_addresses=["support@bench.example"]
    )
    now = datetime.now(UTC)
    facts = []
    for i in range(messages):
        ref = f"B{i}"
        facts += [
            Fact(
                FactKind.ORDER_PLACED,
                now - timedelta(days=2),
                f"{ref}:p",
                "bench",
                ref,
                None,
                {
                    "number": f"#{5000 + i}",
                    "email": f"c{i}@example.com",
                    "lines": [{"line_id": "L1", "title": "Lamp"}],
                },
            ),
            Fact(
                FactKind.SHIPMENT_CREATED,
                now - timedelta(days=1),
                f"{ref}:s",
                "bench",
                ref,
                None,
                {
                    "shipment_id": "S1",
                    "carrier": "UPS",
                    "tracking_number": f"1ZB{i}",
                    "lines": [{"line_id": "L1", "quantity": 1}],
                },
            ),
            Fact(
                FactKind.TRACKING_EVENT,
                now - timedelta(hours=3),
                f"{ref}:e",
                "bench",
                None,
                f"1ZB{i}",
                {"tag": "in_transit", "raw_message": "Departed"},
            ),
        ]
    facts_record(store=store, facts=facts, now=now, notify=False)

    sink = Controller(Sink(), hostname="127.0.0.1", port=sink_port)
    sink.start()
    inbox_port = _port()
    inbox = inbox_server(host="127.0.0.1", port=inbox_port)
    inbox.start()
    stop = threading.Event()
    worker = threading.Thread(target=loop_run, args=(support_loop(interval=1.0),), kwargs={"stop": stop})
    worker.start()
    sent: dict[str, float] = {}
    try:
        for i in range(messages):
            mail = EmailMessage()
            mail["From"], mail["To"] = f"c{i}@example.com", "support@bench.example"
            mail["Subject"], mail["Message-ID"] = "Order status", f"<bench-{i}@example.com>"
            mail.set_content(f"Hello, where is my order #{5000 + i}?")
            with smtplib.SMTP("127.0.0.1", inbox_port, timeout=30) as client:
                client.send_message(mail)
            sent[mail["Message-ID"]] = time.monotonic()
            time.sleep(gap)
        deadline = time.monotonic() + 60
        while len(arrived) < messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join()
        inbox.stop()
        sink.stop()
    latencies = sorted(arrived[mid] - at for mid, at in sent.items() if mid in arrived)
    return {
        "benchmark": "support",
        "messages": messages,
        "answered": len(latencies),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.2, help="Seconds between two customers' e-mails.")
    parser.add_argument("--database-url", default=None, help="A PostgreSQL server URL (default: SQLite).")
    args = parser.parse_args()
    from aftercart.benchmarks import temporary_database

    with temporary_database(args.database_url) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("AFTERCART_SECRET_KEY", "bench-" + "x" * 40)
        os.environ["AFTERCART_DEBUG"] = "0"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        try:
            print(json.dumps(measure(args.messages, args.gap)))
        finally:
            from django.db import connections

            connections.close_all()


if __name__ == "__main__":
    main()
