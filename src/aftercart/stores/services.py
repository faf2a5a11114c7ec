"""Writes for stores and their API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

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
