"""Bearer-key authentication for the REST API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from aftercart.stores.http import bind_store
from aftercart.stores.models import Store
from aftercart.stores.selectors import store_for_token


class StoreKey(HttpBearer):
    """``Authorization: Bearer ack_…``: the request acts for the key's store."""

    def authenticate(self, request: HttpRequest, token: str) -> Store | None:
        store = store_for_token(token)
        if store is not None:
            bind_store(request, store)
        return store
