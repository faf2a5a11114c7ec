"""``aftercart aftercart_deliver``: deliver due messages from the notification outbox.

``--once`` delivers what is due now (in batches until none is left) and exits; ``--loop`` keeps
polling until SIGINT/SIGTERM, finishing the message in hand first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.kernel.loops import loops_run
from aftercart.notifications.delivery import DeliveryReport, message_deliver_due
from aftercart.notifications.worker import delivery_loop


class Command(BaseCommand):
    help = "Deliver due customer messages (e-mail) from the outbox, with retries."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="Deliver what is due now, then exit.")
        mode.add_argument("--loop", action="store_true", help="Keep delivering until interrupted (default).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls when idle.")
        parser.add_argument("--limit", type=int, default=50, help="Messages claimed per batch.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["limit"] < 1 or opts["interval"] < 0:
            raise CommandError("--limit must be at least 1 and --interval not negative")
        if opts["once"]:
            total = DeliveryReport()
            while True:
                report = message_deliver_due(limit=opts["limit"])
                for name in vars(total):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                if report.claimed < opts["limit"] and not report.deferred:
                    break
            self._print(total)
            return
        loops_run([delivery_loop(interval=opts["interval"], limit=opts["limit"], on_report=self._print)])

    def _print(self, report: DeliveryReport) -> None:
        self.stdout.write(", ".join(f"{k} {v}" for k, v in vars(report).items() if v) or "nothing due")
