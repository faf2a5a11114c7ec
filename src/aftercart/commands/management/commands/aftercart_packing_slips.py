"""``aftercart packing-slips``: a pick list's packing slips as one PDF, with a progress bar.

The orders are named by the store's own ids (``--orders A B C``), read from a file (``--from-file
ids.txt``, one id a line, ``#`` comments; ``-`` reads stdin), or taken as every order of the store
still to pack (``--unshipped``). An unknown id stops the command before anything is written,
naming it. Unlike the API there is no batch limit: the PDF is written to ``--out`` when complete.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aftercart.kernel.console import ConsoleStream
from aftercart.packing.batch import SlipsRefused, orders_for_slips, unshipped_orders
from aftercart.packing.slips import packing_slips_pdf
from aftercart.stores.models import Store


def read_ids(path: str) -> list[str]:
    """Order ids from a file (or stdin for ``-``): one a line, blank lines and ``#`` comments skipped."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


class Command(BaseCommand):
    help = "Packing slips for many orders as one PDF (a pick list), in each order's language."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="The store's slug.")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--orders", nargs="+", metavar="ORDER_ID", help="The store's own order ids.")
        which.add_argument(
            "--from-file", metavar="FILE", help="A file of order ids, one a line (- for stdin)."
        )
        which.add_argument("--unshipped", action="store_true", help="Every order of the store still to pack.")
        parser.add_argument(
            "--out", required=True, type=Path, metavar="FILE.pdf", help="Where to write the PDF."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r}.")
        if options["unshipped"]:
            orders = unshipped_orders(store)
            if not orders:
                raise CommandError(f"{store.name} has no orders to pack; no PDF written.")
        else:
            try:
                ids = options["orders"] or read_ids(options["from_file"])
            except OSError as exc:
                raise CommandError(f"Cannot read {options['from_file']}: {exc.strerror or exc}") from exc
            try:
                orders = orders_for_slips(store, ids)
            except SlipsRefused as refused:
                raise CommandError(f"{refused.detail}") from None
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a folder; no PDF written.")

        started = time.monotonic()
        console = Console(file=ConsoleStream(self.stderr), highlight=False)
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # A live bar only on a terminal: in logs and under call_command the summary says it all.
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            read = progress.add_task("Reading", total=len(orders))
            laid_out = progress.add_task("Layout", total=len(orders))
            pdf = packing_slips_pdf(
                orders,
                read=lambda: progress.advance(read),
                laid_out=lambda: progress.advance(laid_out),
            )
        # Written whole once made: an interrupted run leaves no half PDF behind.
        partial = out.with_name(out.name + ".part")
        partial.write_bytes(pdf)
        partial.replace(out)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(orders):,} packing slips to {out} ({len(pdf) / 1024:,.0f} KiB) in {seconds:.1f}s"
            )
        )
