"""``aftercart inbox``: receive customers' e-mail over SMTP (see :mod:`aftercart.support.smtp`)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aftercart.support.smtp import inbox_server


class Command(BaseCommand):
    help = "Receive customers' e-mail over SMTP for the stores' inbound addresses, until SIGTERM or SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."
        )
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on (25 needs privileges).")

    def handle(self, *args: Any, **opts: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        server = inbox_server(host=opts["host"], port=opts["port"])
        server.start()
        self.stdout.write(f"Receiving e-mail on {opts['host']}:{opts['port']} (Ctrl+C to stop).")
        try:
            stop.wait()
        finally:
            server.stop()
            server.handler.close()
