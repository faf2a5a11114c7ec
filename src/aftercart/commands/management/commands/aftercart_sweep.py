"""``aftercart sweep``: open exceptions that time alone caused (stalls, missed SLAs, pickup deadlines)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from aftercart.exceptions.services import exceptions_sweep


class Command(BaseCommand):
    help = "Sweep active orders for exceptions no new fact would reveal (e.g. no scan for too long)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Sweep once and exit (else every --interval)."
        )
        parser.add_argument("--interval", type=int, default=300, help="Seconds between sweeps (default 300).")
        parser.add_argument(
            "--batch", type=int, default=5000, help="Candidate orders synced per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = exceptions_sweep(now=timezone.now(), batch=options["batch"])
            self.stdout.write(
                f"{result.candidates} candidates, {result.opened} opened, {result.resolved} resolved "
                f"(select {result.select_seconds:.2f}s, sync {result.sync_seconds:.2f}s)"
            )
            if options["once"]:
                return
            time.sleep(options["interval"])
