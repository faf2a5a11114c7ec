"""``aftercart rebuild``: recompute every order's cached projection from its facts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from aftercart.orders.models import Order
from aftercart.orders.services import orders_rebuild
from aftercart.stores.models import Store


class Command(BaseCommand):
    help = "Rebuild order, line and shipment projections from the fact ledger (never re-sends)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", help="Only this store (slug).")

    def handle(self, *args: Any, **opts: Any) -> None:
        store = None
        if opts["store"]:
            store = Store.objects.filter(slug=opts["store"]).first()
            if store is None:
                raise CommandError(f"No store with slug {opts['store']!r}.")
        total = Order.objects.filter(**({"store": store} if store else {})).count()
        with Progress(transient=True) as progress:
            bar = progress.add_task("Rebuilding orders", total=total)
            done = orders_rebuild(store=store, progress=lambda n: progress.advance(bar, n))
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {done} orders from their facts."))
