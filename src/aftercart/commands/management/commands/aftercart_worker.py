"""``aftercart worker``: background work — queued tasks (django-tasks-db), the message outbox, the
projection of appended carrier events and the periodic exception sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from aftercart.exceptions.worker import start_sweep_thread
from aftercart.kernel.gc_policy import tune_for_batch_work
from aftercart.notifications.worker import start_delivery_thread
from aftercart.orders.worker import projections_catch_up, start_projection_thread


class Command(BaseCommand):
    help = "Run the background worker: queued tasks and due messages, with retries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between task polls.")
        parser.add_argument(
            "--deliver-interval", type=float, default=5.0, help="Seconds between outbox polls."
        )
        parser.add_argument(
            "--project-interval",
            type=float,
            default=1.0,
            help="Seconds between drains of orders pending projection (facts appended by carrier feeds).",
        )
        parser.add_argument(
            "--sweep-interval", type=float, default=300.0, help="Seconds between exception sweeps."
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=300.0,
            help="Seconds a claimed message stays with this worker before another may take it over "
            "(a worker that died): longer than a batch takes to send.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        tune_for_batch_work()
        if opts["batch"]:
            # First: the sweep and the outbox then see the orders as their facts say.
            projections_catch_up()
            call_command("aftercart_sweep", "--once")
            call_command("aftercart_deliver", "--once")
            call_command("db_worker", "--batch", "--interval", str(opts["interval"]))
            return
        # The outbox is polled in a thread beside the task worker: messages fall due by time
        # (consolidation windows, quiet hours, retries), which no enqueued task would signal.
        threads = [
            start_projection_thread(interval=opts["project_interval"]),
            start_delivery_thread(interval=opts["deliver_interval"], lease=timedelta(seconds=opts["lease"])),
            start_sweep_thread(interval=opts["sweep_interval"]),
        ]
        try:
            call_command("db_worker", "--interval", str(opts["interval"]))
        finally:
            for _, stop in threads:
                stop.set()
            for thread, _ in threads:
                thread.join(30)
