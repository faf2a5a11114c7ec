"""Reads for stores."""

from __future__ import annotations

import hmac

from aftercart.stores.models import ApiKey, Store
from aftercart.stores.services import KEY_PREFIX, hash_key


def store_for_token(token: str) -> Store | None:
    """The store an API key belongs to, or None for an unknown, malformed or revoked key.

    Looked up by its prefix, then compared in constant time, so timing says nothing about keys.
    """
    if not token.startswith(KEY_PREFIX) or "_" not in token[len(KEY_PREFIX) :]:
        return None
    prefix = token[len(KEY_PREFIX) :].split("_", 1)[0]
    api_key = ApiKey.objects.select_related("store").filter(prefix=prefix, revoked_at=None).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(token)):
        return None
    return api_key.store


def store_by_slug(slug: str) -> Store | None:
    """A store by its URL slug."""
    return Store.objects.filter(slug=slug).first()
