"""``aftercart shopify connect STORE --shop NAME.myshopify.com --token shpat_... [--secret ...]``
registers Aftercart's webhooks on the shop and backfills its recent orders; ``aftercart shopify
backfill STORE [--days N] [--resume]`` backfills again (or resumes where a failed one stopped).
Progress is a rich bar on a terminal, a line per page otherwise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aftercart.integrations.shopify.admin_api import ShopifyApiError
from aftercart.kernel.console import ConsoleStream
from aftercart.orders.shopify_connect import (
    DEFAULT_BACKFILL_DAYS,
    ConnectRefused,
    shopify_backfill_resume,
    shopify_backfill_start,
    shopify_backfill_step,
    shopify_connect,
)
from aftercart.stores.models import ShopifyConnection, Store


class Command(BaseCommand):
    help = "Connect a Shopify shop (webhooks) and backfill its recent orders and fulfillments."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        connect = sub.add_parser("connect", help="Register the webhooks, then backfill.")
        connect.add_argument("store", help="The store's slug.")
        connect.add_argument("--shop", required=True, help="your-shop.myshopify.com")
        connect.add_argument("--token", required=True, help="The custom app's Admin API access token.")
        connect.add_argument("--secret", default="", help="The app's API secret key (signs webhooks).")
        connect.add_argument(
            "--days", type=int, default=DEFAULT_BACKFILL_DAYS, help="How far back to backfill."
        )
        connect.add_argument("--no-backfill", action="store_true", help="Only register the webhooks.")
        backfill = sub.add_parser("backfill", help="Backfill recent orders again, or resume.")
        backfill.add_argument("store")
        backfill.add_argument("--days", type=int, default=DEFAULT_BACKFILL_DAYS)
        backfill.add_argument("--resume", action="store_true", help="Continue a failed backfill at its page.")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r} (aftercart store list).")
        if options["action"] == "connect":
            try:
                result = shopify_connect(
                    store=store,
                    shop=options["shop"],
                    access_token=options["token"],
                    webhook_secret=options["secret"],
                    now=timezone.now(),
                )
            except ConnectRefused as refused:
                raise CommandError(f"Not connected: {refused}") from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"Connected {result.connection.shop}: {len(result.created)} webhook(s) registered, "
                    f"{len(result.existing)} already there."
                )
            )
            if not store.shopify_webhook_secret:
                self.stdout.write(
                    "Set the app's API secret key (--secret) so Aftercart can verify the webhooks."
                )
            if options["no_backfill"]:
                return
        elif not ShopifyConnection.objects.filter(store=store).exists():
            raise CommandError(
                f"{store.slug} is not connected: aftercart shopify connect {store.slug} --shop ..."
            )
        self._backfill(store, options["days"], resume=options.get("resume", False))

    def _backfill(self, store: Store, days: int, *, resume: bool) -> None:
        try:
            if resume:
                connection = shopify_backfill_resume(store=store)
            else:
                connection = shopify_backfill_start(store=store, now=timezone.now(), days=days)
        except ShopifyApiError as failed:
            raise CommandError(f"Backfill not started: {failed}") from None
        console = Console(file=ConsoleStream(self.stderr), highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task(f"Orders of {store.slug}", total=connection.backfill_total or None)
            progress.update(task, completed=connection.backfill_done)
            while connection.backfill_status == ShopifyConnection.Status.RUNNING:
                connection = shopify_backfill_step(store=store, now=timezone.now())
                progress.update(
                    task, completed=connection.backfill_done, total=connection.backfill_total or None
                )
                if not console.is_terminal:
                    self.stderr.write(f"{connection.backfill_done}/{connection.backfill_total} orders")
        if connection.backfill_status == ShopifyConnection.Status.FAILED:
            raise CommandError(
                f"Backfill stopped after {connection.backfill_done} orders: {connection.backfill_error}\n"
                f"Resume with: aftercart shopify backfill {store.slug} --resume"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Backfilled {connection.backfill_done} orders ({connection.backfill_facts} new facts)."
            )
        )
