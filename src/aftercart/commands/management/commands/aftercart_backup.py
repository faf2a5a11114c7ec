"""``aftercart backup create|restore|verify``: back up the database, restore it, and check that a
backup's projections are what its ledger says (docs/backups.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.kernel.backups import BackupError, backup_create, backup_opened, backup_restore
from aftercart.orders.verify import VerifyReport, projections_verify

#: Mismatches printed one by one; beyond, only counted.
SHOWN = 50


class Command(BaseCommand):
    help = "Back up the database (safe while the app runs), restore a backup, verify one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("create", help="Write a backup to PATH.").add_argument("path", type=Path)
        actions.add_parser("restore", help="Replace the database with the backup at PATH.").add_argument(
            "path", type=Path
        )
        actions.add_parser(
            "verify",
            help="Rebuild projections from the ledger in memory and compare (PATH, else the database).",
        ).add_argument("path", type=Path, nargs="?")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path | None = opts.get("path")
        try:
            if opts["action"] == "create":
                assert path is not None
                backup_create(path)
                self.stdout.write(self.style.SUCCESS(f"Backed up to {path}."))
            elif opts["action"] == "restore":
                assert path is not None
                backup_restore(path)
                self.stdout.write(
                    self.style.SUCCESS(f"Restored {path}. Run `aftercart migrate`, then verify.")
                )
            elif path is None:
                self._report(projections_verify())
            else:
                with backup_opened(path) as alias:
                    self._report(projections_verify(using=alias))
        except BackupError as exc:
            raise CommandError(str(exc)) from None

    def _report(self, report: VerifyReport) -> None:
        for mismatch in report.mismatches[:SHOWN]:
            self.stdout.write(str(mismatch))
        if len(report.mismatches) > SHOWN:
            self.stdout.write(f"... and {len(report.mismatches) - SHOWN} more")
        summary = f"{report.orders} orders checked ({report.pending} pending projection, left to the worker)"
        if not report.clean:
            raise CommandError(f"{len(report.mismatches)} mismatch(es); {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Projections match the ledger: {summary}."))
