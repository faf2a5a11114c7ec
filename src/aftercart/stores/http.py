"""The request type for views that act for one store."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from aftercart.stores.models import Store


class StoreRequest(HttpRequest):
    """A request bound to a store: the API key auth (``api.auth.StoreKey``) sets ``store`` before
    any view behind it runs. Only a type: Django still builds plain ``HttpRequest`` objects."""

    store: Store


def bind_store(request: HttpRequest, store: Store) -> StoreRequest:
    """Bind ``request`` to ``store`` and return it, typed as the store's request."""
    bound = cast(StoreRequest, request)
    bound.store = store
    return bound
