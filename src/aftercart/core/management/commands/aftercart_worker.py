"""``aftercart worker``: runs background tasks from the database queue (django-tasks-db)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker: delivers queued work with retries."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        argv = ["--interval", str(opts["interval"])]
        if opts["batch"]:
            argv.append("--batch")
        call_command("db_worker", *argv)
