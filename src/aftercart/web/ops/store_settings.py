"""``/ops/settings/``: a store's settings, its webhook secrets and API keys (issued with the secret
shown once, on the answer to the POST alone), and a new store. Each form calls one service of
:mod:`aftercart.stores.onboarding`."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercart.stores.models import Store
from aftercart.stores.onboarding import (
    KeyNotFound,
    StoreRefused,
    api_key_issue_named,
    api_key_revoke_by_prefix,
    api_keys_of,
    languages,
    store_onboard,
    store_settings_update,
)
from aftercart.web.ops.common import chosen_store, endpoints

_FIELDS = ("name", "timezone", "currency", "default_locale", "country")
_SECRETS = ("shopify_webhook_secret", "aftership_webhook_secret")


def _page(request: HttpRequest, store: Store | None, stores: list[Store], **extra: Any) -> HttpResponse:
    context = {
        "stores": stores,
        "store": store,
        "keys": list(api_keys_of(store)) if store else [],
        "endpoints": endpoints(store) if store else [],
        "languages": languages(),
        "timezones": sorted(available_timezones()),
        "errors": {},
        "new_errors": {},
        "issued": None,
        **extra,
    }
    return render(
        request,
        "web/ops/settings.html",
        context,
        status=400 if extra.get("errors") or extra.get("new_errors") else 200,
    )


def _back(store: Store) -> HttpResponse:
    return redirect(f"{reverse('web:ops-settings')}?store={store.slug}")


@staff_member_required
def settings_page(request: HttpRequest) -> HttpResponse:
    stores, store = chosen_store(request)
    return _page(request, store, stores)


@require_POST
@staff_member_required
def settings_save(request: HttpRequest) -> HttpResponse:
    stores, store = chosen_store(request)
    if store is None:
        return redirect("web:ops-settings")
    fields = {k: request.POST.get(k, "") for k in _FIELDS}
    # A secret left empty keeps the one saved (the form never shows it back).
    fields |= {k: request.POST[k] for k in _SECRETS if request.POST.get(k, "").strip()}
    try:
        store_settings_update(store=store, fields=fields)
    except StoreRefused as refused:
        store.refresh_from_db()
        return _page(request, store, stores, errors=refused.errors)
    messages.success(request, f"{store.name}: settings saved.")
    return _back(store)


@require_POST
@staff_member_required
def store_new(request: HttpRequest) -> HttpResponse:
    stores, current = chosen_store(request)
    post = request.POST
    try:
        store = store_onboard(
            slug=post.get("slug", "").strip(),
            name=post.get("name", ""),
            timezone=post.get("timezone", "UTC"),
            currency=post.get("currency", ""),
            language=post.get("default_locale", "en"),
            country=post.get("country", ""),
        )
    except StoreRefused as refused:
        return _page(request, current, stores, new_errors=refused.errors, new_values=post)
    messages.success(request, f"{store.name} created. Next: issue an API key and follow the setup checklist.")
    return _back(store)


@require_POST
@staff_member_required
def key_issue(request: HttpRequest) -> HttpResponse:
    """Issues a key and shows it in this answer only (no redirect: a reload does not show it)."""
    stores, store = chosen_store(request)
    if store is None:
        return redirect("web:ops-settings")
    issued = api_key_issue_named(store=store, name=request.POST.get("name", ""))
    response = _page(request, store, stores, issued=issued)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_member_required
def key_revoke(request: HttpRequest) -> HttpResponse:
    _stores, store = chosen_store(request)
    if store is None:
        return redirect("web:ops-settings")
    try:
        key = api_key_revoke_by_prefix(store=store, prefix=request.POST.get("prefix", ""))
    except KeyNotFound as missing:
        messages.error(request, str(missing))
    else:
        messages.success(request, f"Key {key.prefix}… ({key.name}) revoked.")
    return _back(store)
