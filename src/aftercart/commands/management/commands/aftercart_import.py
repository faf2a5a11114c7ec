"""``aftercart import <format> ...``: load orders from files into the ledger.

One subcommand per source format (``olist`` today). Each importer parses with its pure adapter in
``aftercart/integrations/<format>/`` and records facts through :func:`facts_record`, a batch of
orders per call, so a large file never sits in memory as facts and a crash loses at most one batch
(re-running the import skips what was kept: facts are idempotent).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aftercart.domain.facts import Fact
from aftercart.integrations.olist.parse import Malformed, OlistReader, count_lines
from aftercart.kernel.console import ConsoleStream
from aftercart.kernel.gc_policy import tune_for_batch_work
from aftercart.orders.services import facts_record
from aftercart.stores.models import Store
from aftercart.stores.services import store_create

#: Malformed rows listed in the summary (all of them go to stderr, up to :data:`STDERR_LIMIT`).
SUMMARY_LIMIT = 10
STDERR_LIMIT = 200


@dataclass
class ImportSummary:
    """What an import did, for the closing report (and tests)."""

    orders: int = 0
    facts_received: int = 0
    facts_accepted: int = 0
    duplicates: int = 0
    orphaned: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    malformed_count: int = 0
    seconds: float = 0.0


class Importer:
    """One source format: its arguments and how it runs. Subclass and add to :data:`IMPORTERS`."""

    name = ""
    help = ""
    default_store = ""

    def add_arguments(self, parser: CommandParser) -> None:
        """Arguments after ``aftercart import <name>``."""
        parser.add_argument("--store", default=self.default_store, help="Store slug (created if missing).")
        parser.add_argument("--batch-size", type=int, default=500, help="Orders per ledger transaction.")

    def run(self, command: Command, options: dict[str, Any]) -> ImportSummary:  # pragma: no cover
        """Import and return the summary."""
        raise NotImplementedError


class OlistImporter(Importer):
    """Olist's public marketplace dataset (a folder of its CSV tables)."""

    name = "olist"
    help = "Olist-format CSV tables in DIR (missing tables are looked for in DIR's parent)."
    default_store = "olist"

    def add_arguments(self, parser: CommandParser) -> None:
        """``DIR`` plus the common options."""
        parser.add_argument("directory", type=Path, metavar="DIR")
        super().add_arguments(parser)

    def store(self, slug: str) -> Store:
        """The target store, created with Brazilian defaults the first time."""
        store = Store.objects.filter(slug=slug).first()
        if store is None:
            store = store_create(
                slug=slug,
                name="Olist (imported)" if slug == "olist" else slug,
                country="BR",
                timezone="America/Sao_Paulo",
                default_locale="pt-br",
            )
        return store

    def run(self, command: Command, options: dict[str, Any]) -> ImportSummary:
        """Read the lookup tables, then stream the orders into the ledger in batches."""
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        batch_size = max(1, options["batch_size"])
        summary = ImportSummary()
        started = time.monotonic()
        console = Console(file=ConsoleStream(command.stderr), highlight=False)

        def report(problem: Malformed) -> None:
            summary.malformed_count += 1
            if len(summary.malformed) < SUMMARY_LIMIT:
                summary.malformed.append(problem)
            if summary.malformed_count <= STDERR_LIMIT:
                console.print(f"malformed row skipped: {problem}", markup=False, soft_wrap=True)
            elif summary.malformed_count == STDERR_LIMIT + 1:
                console.print("... further malformed rows are only counted", markup=False, soft_wrap=True)

        try:
            reader = OlistReader.from_directory(directory, report)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        store = self.store(options["store"])
        for table in sorted(reader.tables):
            command.stdout.write(f"  {table:<11} {reader.tables[table]}")

        lookup_lines = sum(count_lines(reader.tables[t]) for t in reader.lookup_tables)
        order_lines = count_lines(reader.tables["orders"])
        columns = (
            TextColumn("{task.description:<14}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("lines {task.fields[status]}"),
            TimeElapsedColumn(),
        )
        # A live bar only on a terminal: in logs and under call_command the summary says it all.
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            lookups = progress.add_task("Lookup tables", total=lookup_lines, status="")
            reader.load(advance=lambda n: progress.advance(lookups, n))
            progress.update(lookups, completed=lookup_lines)
            task = progress.add_task("Orders", total=order_lines, status="")

            def record(batch: list[Fact]) -> None:
                result = facts_record(
                    store=store, facts=batch, notify=False
                )  # history: never message about it
                summary.facts_received += result.received
                summary.facts_accepted += result.accepted
                summary.duplicates += result.duplicates
                summary.orphaned += result.orphaned
                progress.update(task, status=f"· {summary.orders:,} orders")

            for batch in _batches(reader.orders(advance=lambda n: progress.advance(task, n)), batch_size):
                summary.orders += len(batch)
                record([fact for order in batch for fact in order.facts])
            progress.update(task, completed=order_lines)
        summary.seconds = time.monotonic() - started
        return summary


def _batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


IMPORTERS: dict[str, Importer] = {importer.name: importer for importer in (OlistImporter(),)}


class Command(BaseCommand):
    """``aftercart import FORMAT ...``: one subcommand per entry of :data:`IMPORTERS`."""

    help = "Import orders from files into the ledger (formats: " + ", ".join(IMPORTERS) + ")."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        for importer in IMPORTERS.values():
            sub = subparsers.add_parser(importer.name, help=importer.help, description=importer.help)
            importer.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        tune_for_batch_work()
        importer = IMPORTERS[options["format"]]
        summary = importer.run(self, options)
        self.stdout.write(self.style.SUCCESS(f"Imported {importer.name} in {summary.seconds:.1f}s"))
        self.stdout.write(f"  orders read      {summary.orders:>10,}")
        self.stdout.write(f"  facts received   {summary.facts_received:>10,}")
        self.stdout.write(f"  facts accepted   {summary.facts_accepted:>10,}")
        self.stdout.write(f"  duplicates       {summary.duplicates:>10,}")
        if summary.orphaned:
            self.stdout.write(f"  unattached       {summary.orphaned:>10,}")
        self.stdout.write(f"  malformed rows   {summary.malformed_count:>10,}")
        for problem in summary.malformed:
            self.stdout.write(f"    {problem}")
        if summary.malformed_count > len(summary.malformed):
            self.stdout.write(f"    ... and {summary.malformed_count - len(summary.malformed):,} more")
