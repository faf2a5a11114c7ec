"""``aftercart worker``: background work — the projection of appended carrier events, the message
outbox, the periodic exception sweep and the purchase of prepaid return labels, each a loop of :mod:`aftercart.kernel.loops`, until
SIGTERM or SIGINT."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from aftercart.claims.worker import claims_sla_loop, claims_sla_pass
from aftercart.exceptions.worker import sweep_loop
from aftercart.feedback.worker import feedback_loop, feedback_pass
from aftercart.kernel.gc_policy import tune_for_batch_work
from aftercart.kernel.loops import loops_run
from aftercart.notifications.worker import delivery_loop
from aftercart.orders.worker import projection_loop, projections_catch_up
from aftercart.privacy.services import retention_purge
from aftercart.privacy.worker import retention_loop
from aftercart.returns.worker import label_purchase_loop, label_purchase_pass
from aftercart.support.worker import support_loop, support_pass


class Command(BaseCommand):
    help = "Run the background worker: projections, due messages (with retries) and sweeps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is due now, then exit.")
        # Kept so that existing start scripts still work: it was the poll interval of a task queue
        # nothing enqueued to (django-tasks, dropped; see docs/architecture.md).
        parser.add_argument("--interval", type=float, default=1.0, help="Ignored (there is no task queue).")
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
            "--labels-interval",
            type=float,
            default=5.0,
            help="Seconds between polls for return labels to buy (EasyPost).",
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
            # Labels before the outbox: a label bought now is e-mailed in this same run.
            while label_purchase_pass():
                pass
            while feedback_pass():  # surveys and reminders due: e-mailed in this same run
                pass
            while claims_sla_pass():  # claims past their decision or resolution time
                pass
            call_command("aftercart_deliver", "--once")
            while support_pass():  # inbound support messages decided, replies sent
                pass
            while retention_purge():  # off unless AFTERCART_RETENTION_DAYS is set
                pass
            return
        # The outbox is polled: messages fall due by time (consolidation windows, quiet hours,
        # retries), which no event would signal.
        loops_run(
            [
                projection_loop(interval=opts["project_interval"]),
                delivery_loop(interval=opts["deliver_interval"], lease=timedelta(seconds=opts["lease"])),
                sweep_loop(interval=opts["sweep_interval"]),
                label_purchase_loop(interval=opts["labels_interval"]),
                feedback_loop(),
                claims_sla_loop(interval=opts["sweep_interval"]),
                support_loop(interval=1.0),
                *([retention_loop()] if settings.AFTERCART_RETENTION_DAYS else []),
            ]
        )
