"""``aftercart demo``: a working installation to click through in one command.

Migrates the database, seeds two simulated shops with a month of orders (through the real ingest
path), creates an operator login and API keys, prints where to look, and with ``--serve`` starts
the web server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aftercart.demo.easypost import DEMO_API_KEY, api_base, easypost_standin
from aftercart.demo.mailbox import mailbox_running
from aftercart.demo.returns import demo_easypost_configure
from aftercart.demo.services import (
    OPERATOR_PASSWORD,
    OPERATOR_USERNAME,
    DemoSummary,
    demo_api_keys_issue,
    demo_operator_ensure,
    demo_order_count,
    demo_overview,
    demo_reset,
    demo_stores_ensure,
    demo_widget_ensure,
    seed_demo,
)
from aftercart.demo.simulate import BRANDS
from aftercart.exceptions.worker import sweep_loop
from aftercart.feedback.worker import feedback_loop
from aftercart.kernel.console import ConsoleStream
from aftercart.kernel.loops import loops_start
from aftercart.notifications.worker import delivery_loop
from aftercart.returns.worker import label_purchase_loop
from aftercart.support.worker import support_loop


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
        parser.add_argument(
            "--mailbox-port",
            type=int,
            default=int(os.environ.get("AFTERCART_MAILBOX_PORT", "1025")),
            help="Port of the demo's local SMTP mailbox on 127.0.0.1 (0: any free port).",
        )
        parser.add_argument(
            "--easypost-port",
            type=int,
            default=int(os.environ.get("AFTERCART_DEMO_EASYPOST_PORT", "8377")),
            help="Port of the demo's local EasyPost stand-in on 127.0.0.1, which sells the US shop's "
            "prepaid return labels (the same port when seeding and serving: labels link to it).",
        )

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
            with (
                mailbox_running(port=0) as (host, port),
                _email_to(host, port),
                easypost_standin(port=options["easypost_port"]) as easypost,
            ):
                summary = self._seed(options["seed"], max(1, options["orders"]), api_base(easypost))

        demo_operator_ensure()
        demo_widget_ensure(settings.AFTERCART_BASE_URL)
        tokens = demo_api_keys_issue()
        self._report(summary, tokens)
        if options["serve"]:
            self._serve(options["mailbox_port"], options["easypost_port"])

    def _serve(self, mailbox_port: int, easypost_port: int) -> None:
        """The web server, with the worker's outbox, sweep and label loops, the local mailbox and
        the EasyPost stand-in running beside it in this process, so events sent to the API reach
        the mailbox within seconds and returns approved meanwhile get their prepaid labels."""
        with (
            mailbox_running(port=mailbox_port) as (host, port),
            _email_to(host, port),
            easypost_standin(port=easypost_port) as easypost,
        ):
            # The US shop buys its labels from this stand-in (the port may differ from seeding's).
            demo_easypost_configure(demo_stores_ensure(), api_base(easypost), DEMO_API_KEY)
            with loops_start(
                [
                    delivery_loop(interval=2.0),
                    sweep_loop(interval=300.0),
                    label_purchase_loop(interval=2.0),
                    support_loop(interval=1.0),
                    feedback_loop(interval=60.0),  # surveys and reminders as deliveries come due
                ]
            ):
                self.stdout.write(
                    f"  Mailbox      smtp://{host}:{port} → {settings.AFTERCART_BASE_URL.rstrip('/')}/ops/mailbox/"
                )
                self.stdout.write(
                    f"  EasyPost     {api_base(easypost)} (local stand-in: the US shop's prepaid labels)"
                )
                self._run_server()

    def _run_server(self) -> None:
        server = subprocess.Popen([sys.executable, "-m", "aftercart.cli", "serve"])
        try:
            server.wait()
        except KeyboardInterrupt:
            server.terminate()
            server.wait(10)

    def _seed(self, seed: int, orders: int, easypost_url: str) -> DemoSummary:
        console = Console(file=ConsoleStream(self.stdout), highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("Replaying a month of orders and messages", total=orders)
            summary = seed_demo(
                seed=seed,
                orders=orders,
                deliver=True,
                progress=lambda n: progress.advance(task, n),
                easypost=(easypost_url, DEMO_API_KEY),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.orders:,} orders (seed {seed}): {summary.facts_accepted:,} facts recorded"
                + (f", {summary.duplicates:,} already there" if summary.duplicates else "")
                + f"; {summary.emails_sent:,} e-mails delivered to the demo mailbox."
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
        write(f"  Mailbox      {base}/ops/mailbox/    the e-mails the demo customers received")
        write(f"  Exceptions   {base}/ops/exceptions    the back office: queue, returns, setup, settings")
        write(
            f"  Support      {base}/ops/support/    the agents' inbox, order timelines, figures (/ops/support/metrics)"
        )
        for slug in names:
            write(
                f"  Thank-you    {base}/demo/thank-you/{slug}    {names[slug]}'s page, with the order widget"
            )
        write(
            f"  Packing      {base}/ops/packing-slips    a printable packing slip for every order, one PDF per pick list"
        )
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
        write("  Exceptions end to end (open the tracking page; the answers go to the ledger):")
        for label, number, url in summary.showcase:
            write(f"    {label:<48} {number:<8} {url}")
        if summary.labels_bought:
            write(
                f"  Prepaid return labels: {summary.labels_bought} bought by the US shop from the local EasyPost "
                "stand-in (admin → Returns, filter by label purchase; the label and carrier QR code on each return's page)"
            )
        if summary.returns:
            write("")
            write("  Returns, one in every state (their pages in the shoppers' portal; /returns starts one):")
            for what, status in summary.returns.items():
                number, url = summary.return_links.get(what, ("", ""))
                write(f"    {what:<14} {status:<13} {number:<8} {url}")
        if summary.claims:
            write("")
            write("  Claims, one of each kind and state (the claim's page; the queue is /ops/claims):")
            for what, (status, number, url) in summary.claims.items():
                write(f"    {what:<22} {status:<14} {number:<8} {url}")
        if summary.support:
            decided = ", ".join(f"{what} {n}" for what, n in sorted(summary.support.items()))
            write(
                f"  Support inbox: {sum(summary.support.values())} customer messages ({decided}); docs/support.md"
            )
        write("")
        write("  Orders worth opening (number, order id):")
        for code, rows in summary.examples.items():
            listed = ", ".join(f"{number} ({ext})" for number, ext in rows)
            write(f"    {code:<20} {listed}")
        if not summary.examples.get("out_for_delivery"):
            write("    (nothing is out for delivery right now: carriers deliver on business days, by day)")


@contextmanager
def _email_to(host: str, port: int) -> Iterator[None]:
    """Point the e-mail channel at the demo mailbox (plain SMTP, no login) while the block runs."""
    names: tuple[str, ...] = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL")
    names += ("EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD")
    saved = {name: getattr(settings, name) for name in names}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
