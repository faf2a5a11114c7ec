"""``aftercart demo``: a working installation to click through in one command.

Migrates the database, seeds two simulated shops with a month of orders (through the real ingest
path), creates an operator login and API keys, prints where to look, and with ``--serve`` starts
the web server.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aftercart.core.console import ConsoleStream
from aftercart.demo.services import (
    OPERATOR_PASSWORD,
    OPERATOR_USERNAME,
    DemoSummary,
    demo_api_keys_issue,
    demo_operator_ensure,
    demo_order_count,
    demo_overview,
    demo_reset,
    seed_demo,
)
from aftercart.demo.simulate import BRANDS


class Command(BaseCommand):
    """``aftercart demo [--serve] [--reset] [--seed N] [--orders N]``."""

    help = "Seed two demo shops with a month of simulated orders, an operator login and API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help="Start the web server afterwards.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo shops and seed them afresh."
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed (same seed, same shops).")
        parser.add_argument("--orders", type=int, default=600, help="How many orders to simulate.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)

        if options["reset"]:
            removed = demo_reset()
            self.stdout.write(f"Removed the demo shops and their {removed:,} orders.")
        existing = demo_order_count()
        if existing:
            self.stdout.write(
                f"The demo shops already hold {existing:,} orders: not seeding again (use --reset to start over)."
            )
            summary = demo_overview()
        else:
            summary = self._seed(options["seed"], max(1, options["orders"]))

        demo_operator_ensure()
        tokens = demo_api_keys_issue()
        self._report(summary, tokens)
        if options["serve"]:
            call_command("aftercart_serve")

    def _seed(self, seed: int, orders: int) -> DemoSummary:
        console = Console(file=ConsoleStream(self.stdout), highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("Simulating and recording orders", total=orders)
            summary = seed_demo(seed=seed, orders=orders, progress=lambda n: progress.advance(task, n))
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.orders:,} orders (seed {seed}): {summary.facts_accepted:,} facts recorded"
                + (f", {summary.duplicates:,} already there" if summary.duplicates else "")
                + "."
            )
        )
        return summary

    def _report(self, summary: DemoSummary, tokens: dict[str, str]) -> None:
        base = settings.AFTERCART_BASE_URL.rstrip("/")
        write = self.stdout.write
        names = {brand.slug: brand.name for brand in BRANDS}
        write("")
        write(self.style.SUCCESS("Aftercart demo is ready."))
        write(f"  Home         {base}/")
        write(f"  Admin        {base}/admin/    log in as {OPERATOR_USERNAME} / {OPERATOR_PASSWORD}")
        write(f"  API docs     {base}/api/v1/docs")
        write("")
        for slug, count in summary.orders_by_store.items():
            carriers = ", ".join(summary.carriers.get(slug, []))
            write(f"  {names.get(slug, slug)} ({slug}): {count:,} orders; carriers: {carriers}")
        write(
            "  Orders by next step: " + ", ".join(f"{code} {n}" for code, n in summary.by_next_step.items())
        )
        write("")
        write("  API keys (shown once; running the demo again issues new ones):")
        for slug, token in tokens.items():
            write(f"    {slug:<10} {token}")
        slug, token = next(iter(tokens.items()))
        example = next(
            (ext for rows in summary.examples.values() for _, ext in rows if ext.startswith(slug)),
            f"{slug}-00001",
        )
        write("  Try:")
        write(f'    curl -H "Authorization: Bearer {token}" {base}/api/v1/orders/{example}')
        write("")
        write("  Orders worth opening (number, order id):")
        for code, rows in summary.examples.items():
            listed = ", ".join(f"{number} ({ext})" for number, ext in rows)
            write(f"    {code:<20} {listed}")
        if not summary.examples.get("out_for_delivery"):
            write("    (nothing is out for delivery right now: carriers deliver on business days, by day)")
