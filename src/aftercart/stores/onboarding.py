"""Onboarding a store without a shell inside the database: create it with checked settings, change
them, and its API keys (issued once, listed, revoked). The CLI (``aftercart store``, ``aftercart
apikey``) and the back office's settings page call these."""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from aftercart.stores.models import ApiKey, Store
from aftercart.stores.services import IssuedKey, api_key_issue, api_key_revoke

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class StoreRefused(ValueError):
    """Settings that were not saved, with what is wrong by field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def languages() -> list[str]:
    """The languages a store can speak by default (the site's)."""
    return [code for code, _ in settings.LANGUAGES]


def _clean(fields: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    if "name" in fields:
        name = fields["name"].strip()
        if not name:
            errors["name"] = "give the store a name customers know"
        clean["name"] = name[:200]
    if "timezone" in fields:
        zone = fields["timezone"].strip()
        if zone not in available_timezones():
            errors["timezone"] = f"{zone!r} is not an IANA time zone (e.g. Europe/Berlin)"
        clean["timezone"] = zone
    if "currency" in fields:
        currency = fields["currency"].strip().upper()
        if currency and not _CURRENCY.match(currency):
            errors["currency"] = f"{currency!r} is not an ISO 4217 code (e.g. EUR)"
        clean["currency"] = currency
    if "default_locale" in fields:
        language = fields["default_locale"].strip().lower().replace("_", "-")
        if language not in languages():
            errors["default_locale"] = f"{language!r} is not one of {', '.join(languages())}"
        clean["default_locale"] = language
    if "country" in fields:
        country = fields["country"].strip().upper()
        if country and not _COUNTRY.match(country):
            errors["country"] = f"{country!r} is not an ISO 3166 country code (e.g. DE)"
        clean["country"] = country
    for secret in ("shopify_webhook_secret", "aftership_webhook_secret"):
        if secret in fields:
            clean[secret] = fields[secret].strip()[:200]
    return clean, errors


@transaction.atomic
def store_onboard(
    *,
    slug: str,
    name: str,
    timezone: str = "UTC",
    currency: str = "",
    language: str = "en",
    country: str = "",
) -> Store:
    """A new store with checked settings; :class:`StoreRefused` naming each field that is wrong."""
    fields, errors = _clean(
        {
            "name": name,
            "timezone": timezone,
            "currency": currency,
            "default_locale": language,
            "country": country,
        }
    )
    if not _SLUG.match(slug):
        errors["slug"] = "lower-case letters, digits and hyphens (it is part of the webhook URLs)"
    elif Store.objects.filter(slug=slug).exists():
        errors["slug"] = f"a store {slug!r} exists already"
    if errors:
        raise StoreRefused(errors)
    try:
        with transaction.atomic():
            store = Store(slug=slug, **fields)
            store.full_clean()
            store.save()
    except (IntegrityError, ValidationError) as failed:
        raise StoreRefused({"slug": str(failed)}) from failed
    return store


@transaction.atomic
def store_settings_update(*, store: Store, fields: Mapping[str, str]) -> Store:
    """Change a store's name, zone, currency, language, country or webhook secrets (only the
    fields given); :class:`StoreRefused` and nothing saved if one is wrong."""
    clean, errors = _clean(fields)
    if errors:
        raise StoreRefused(errors)
    for key, value in clean.items():
        setattr(store, key, value)
    store.save(update_fields=list(clean) or None)
    return store


def api_keys_of(store: Store) -> QuerySet[ApiKey]:
    """The store's keys, newest first, revoked ones included (shown as such)."""
    return store.api_keys.order_by("-created_at", "-pk")


def api_key_issue_named(*, store: Store, name: str) -> IssuedKey:
    """A new key named for what uses it ("shopify app", "warehouse"); the token is returned once."""
    return api_key_issue(store=store, name=(name.strip() or "default")[:100])


class KeyNotFound(LookupError):
    """No live key of the store has that prefix."""


@transaction.atomic
def api_key_revoke_by_prefix(*, store: Store, prefix: str) -> ApiKey:
    """Revoke the store's key with ``prefix`` (what lists show); :class:`KeyNotFound` otherwise."""
    prefix = prefix.strip().removeprefix("ack_").split("_", 1)[0]
    key = store.api_keys.select_for_update().filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None:
        raise KeyNotFound(f"{store.slug} has no live API key {prefix!r}")
    api_key_revoke(api_key=key)
    return key
