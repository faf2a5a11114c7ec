"""Writes for stores and their API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from aftercart.domain.widget import MAX_ORIGINS, site_origin
from aftercart.stores.models import ApiKey, Store

KEY_PREFIX = "ack_"


@dataclass(frozen=True)
class IssuedKey:
    """A freshly issued API key: ``token`` is shown once and never stored."""

    api_key: ApiKey
    token: str


def hash_key(token: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def store_create(*, slug: str, name: str, **fields: object) -> Store:
    """Create a store."""
    store = Store(slug=slug, name=name, **fields)
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def api_key_issue(*, store: Store, name: str = "default") -> IssuedKey:
    """Issue a new API key for a store; the token is returned once."""
    prefix = secrets.token_hex(6)
    token = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(store=store, name=name, prefix=prefix, key_hash=hash_key(token))
    return IssuedKey(api_key=api_key, token=token)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])


class WidgetRefused(ValueError):
    """A widget setting that was not saved, with what is wrong by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def widget_origins_clean(origins: Sequence[str]) -> list[str]:
    """The store's site origins, normalised (:func:`aftercart.domain.widget.site_origin`) and
    deduplicated in order; :class:`WidgetRefused` naming the first one that is not an origin."""
    cleaned: list[str] = []
    for index, value in enumerate(origins):
        origin = site_origin(str(value))
        if origin is None:
            raise WidgetRefused(
                {
                    f"widget_origins[{index}]": f"{str(value)[:100]!r} is not a site origin: write "
                    "https://host or https://host:port, with no path or wildcard"
                }
            )
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise WidgetRefused({"widget_origins": f"at most {MAX_ORIGINS} origins"})
    return cleaned


@transaction.atomic
def store_widget_configure(*, store: Store, origins: Sequence[str]) -> Store:
    """Set the sites allowed to frame the store's order-confirmation widget (all or nothing)."""
    store.widget_origins = widget_origins_clean(origins)
    store.save(update_fields=["widget_origins"])
    return store


@transaction.atomic
def store_widget_secret_rotate(*, store: Store) -> str:
    """A new secret for the Shopify order-status snippet; tokens made with the old one stop
    working at once (paste the new one into the snippet)."""
    store.widget_secret = secrets.token_hex(32)
    store.save(update_fields=["widget_secret"])
    return store.widget_secret
