"""``aftercart privacy export|erase|retention``: a customer's data within one store (docs/privacy.md)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.privacy.services import (
    NothingHeld,
    PrivacyRefused,
    customer_erase,
    customer_export,
    retention_purge,
)
from aftercart.stores.selectors import store_by_slug


class Command(BaseCommand):
    help = "Export or erase one customer's personal data in a store; run the retention purge."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("export", "Write everything held about the customer to a zip (JSON and photos)."),
            ("erase", "Erase the customer's personal data (pseudonymised; a receipt is kept)."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("--store", required=True, help="The store (slug).")
            action.add_argument("--email", default="", help="The customer's e-mail address.")
            action.add_argument("--phone", default="", help="The customer's phone number.")
        actions.choices["export"].add_argument("--out", required=True, help="The zip to write.")
        erase = actions.choices["erase"]
        erase.add_argument("--yes", action="store_true", help="Confirm: the erasure cannot be undone.")
        erase.add_argument("--operator", default="", help="Who asks (for the receipt; default: your login).")
        retention = actions.add_parser(
            "retention", help="Purge orders older than AFTERCART_RETENTION_DAYS now."
        )
        retention.add_argument("--days", type=int, default=None, help="Override AFTERCART_RETENTION_DAYS.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "retention":
            batches = 1
            while retention_purge(days=opts["days"]):
                batches += 1
            self.stdout.write(self.style.SUCCESS(f"Retention purge done ({batches} batch(es))."))
            return
        store = store_by_slug(opts["store"])
        if store is None:
            raise CommandError(f"No store with slug {opts['store']!r}.")
        try:
            if opts["action"] == "export":
                export = customer_export(store, email=opts["email"], phone=opts["phone"])
                Path(opts["out"]).write_bytes(export.zip_bytes())
                self.stdout.write(self.style.SUCCESS(f"Wrote {opts['out']} ({len(export.files)} file(s))."))
                return
            if not opts["yes"]:
                raise CommandError("Erasure cannot be undone: add --yes to confirm.")
            operator = opts["operator"] or getpass.getuser()
            receipt = customer_erase(
                store, email=opts["email"], phone=opts["phone"], requested_by=f"operator:{operator}"
            )
        except PrivacyRefused as refused:
            raise CommandError(f"--{refused.field}: {refused.message}") from None
        except NothingHeld:
            raise CommandError("No personal data of this customer in this store.") from None
        self.stdout.write(self.style.SUCCESS(f"Erased. Receipt {receipt.pk}: {json.dumps(receipt.counts)}"))
