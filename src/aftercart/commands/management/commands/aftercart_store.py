"""``aftercart store create SLUG --name ... --timezone ... --currency ... [--language ..]`` and
``aftercart store list``: onboarding a store without a shell inside the database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.stores.models import Store
from aftercart.stores.onboarding import StoreRefused, store_onboard


class Command(BaseCommand):
    help = "Create and list stores."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a store.")
        create.add_argument("slug", help="Lower-case letters, digits, hyphens: part of the webhook URLs.")
        create.add_argument("--name", required=True, help="The name customers know the store by.")
        create.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin.")
        create.add_argument("--currency", default="", help="ISO 4217, e.g. EUR.")
        create.add_argument("--language", default="en", help="The customers' default language.")
        create.add_argument("--country", default="", help="ISO 3166 country, e.g. DE.")
        sub.add_parser("list", help="List the stores.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for store in Store.objects.order_by("slug"):
                self.stdout.write(
                    f"{store.slug}\t{store.name}\t{store.timezone}\t{store.currency or '-'}\t{store.default_locale}"
                )
            return
        try:
            store = store_onboard(
                slug=options["slug"],
                name=options["name"],
                timezone=options["timezone"],
                currency=options["currency"],
                language=options["language"],
                country=options["country"],
            )
        except StoreRefused as refused:
            raise CommandError("\n".join(f"{k}: {v}" for k, v in refused.errors.items())) from None
        base = settings.AFTERCART_BASE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"Created {store.name} ({store.slug})."))
        self.stdout.write(f"  Shopify webhooks:   {base}/webhooks/shopify/{store.slug}")
        self.stdout.write(f"  AfterShip webhooks: {base}/webhooks/aftership/{store.slug}")
        self.stdout.write(f"Next: aftercart apikey issue {store.slug} --name default")
        self.stdout.write(f"      and the checklist at {base}/ops/setup/")
