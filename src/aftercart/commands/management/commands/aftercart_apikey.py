"""``aftercart apikey issue|list|revoke STORE``: a store's API keys. A key is shown once, when
issued; only its prefix is kept in the clear (lists show it, ``revoke`` takes it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.stores.models import Store
from aftercart.stores.onboarding import (
    KeyNotFound,
    api_key_issue_named,
    api_key_revoke_by_prefix,
    api_keys_of,
)


class Command(BaseCommand):
    help = "Issue, list and revoke a store's API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="Issue a key (shown once).")
        issue.add_argument("store", help="The store's slug.")
        issue.add_argument("--name", default="default", help="What uses it: 'shopify app', 'warehouse'.")
        listing = sub.add_parser("list", help="The store's keys (prefix, name, created, last used).")
        listing.add_argument("store")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("store")
        revoke.add_argument("prefix", help="The key's prefix, as `list` shows it (or the whole key).")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with slug {options['store']!r} (aftercart store list).")
        action = options["action"]
        if action == "issue":
            issued = api_key_issue_named(store=store, name=options["name"])
            self.stdout.write(self.style.SUCCESS(f"API key for {store.slug} ({issued.api_key.name}):"))
            self.stdout.write(issued.token)
            self.stdout.write("Keep it now: it is not shown again. Send it as 'Authorization: Bearer <key>'.")
        elif action == "list":
            for key in api_keys_of(store):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                self.stdout.write(
                    f"{key.prefix}\t{key.name}\t{key.created_at:%Y-%m-%d}\tlast used {used}\t{state}"
                )
        else:
            try:
                key = api_key_revoke_by_prefix(store=store, prefix=options["prefix"])
            except KeyNotFound as missing:
                raise CommandError(str(missing)) from None
            self.stdout.write(
                self.style.SUCCESS(f"Revoked {key.prefix} ({key.name}): it gets 401 from now on.")
            )
