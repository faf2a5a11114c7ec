"""The frame every customer page shares: rendering in the chosen language, brand and theme, the
language switcher, and the headers that keep a page whose URL is a key private.

The tracking page, the preference page and the returns portal all render through here, so they
look and behave the same (branding, five languages, ``Vary``/``Content-Language``, no referrer).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

from aftercart.kernel.caches import memoised
from aftercart.kernel.db import json_dumps
from aftercart.stores.models import Store
from aftercart.web.branding import brand_theme, store_view
from aftercart.web.language import language_links


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], language: str, status: int = 200
) -> HttpResponse:
    """Render in ``language`` (not necessarily the one LocaleMiddleware picked) and say so."""
    context["frame"] = frame_parts(language, context.get("store") or {}, context.get("languages") or [])
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    # The language may come from Accept-Language, so shared caches must key on it.
    patch_vary_headers(response, ["Accept-Language"])
    return response


def frame_parts(language: str, store: dict[str, Any], languages: list[dict[str, Any]]) -> dict[str, str]:
    """The header (skip link, logo or name, language links) and footer (support contacts, the
    store's links) of a customer page.

    They are the same on every page of a store in a language, and rendering them was a tenth of a
    tracking page's cost, so each is rendered once per distinct input and kept (a bounded LRU).
    The templates are given the key's own data and nothing else, so what is kept can only depend
    on what the key holds."""
    return _frame_parts(json_dumps([language, store, languages]))


@memoised("web.pages.frame_parts", maxsize=512)
def _frame_parts(key: str) -> dict[str, str]:
    language, store, languages = orjson.loads(key)
    with translation.override(language):  # rendered strings are safe: the templates escaped them
        return {
            "header": render_to_string("web/track/_header.html", {"store": store, "languages": languages}),
            "footer": render_to_string("web/track/_footer.html", {"store": store}),
        }


def page_frame(request: HttpRequest, store: Store | None, language: str, **extra: Any) -> dict[str, Any]:
    """What every customer page's frame needs: brand, theme and the language switcher."""
    return {
        "language": language,
        "languages": language_links(request, language),
        "store": store_view(store),
        "theme": brand_theme(store.branding if store else None),
        **extra,
    }


def store_param(request: HttpRequest) -> Store | None:
    """The store a lookup form is scoped to (``?store=<slug>``), if any."""
    slug = (request.POST.get("store") or request.GET.get("store") or "").strip()
    return Store.objects.filter(slug=slug).first() if slug and len(slug) <= 64 else None


def private(response: HttpResponse) -> HttpResponse:
    """Headers for a page whose URL is the key to it."""
    # Never send the URL on to carriers, maps or logo hosts, and keep the page out of search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def see_other(url: str) -> HttpResponse:
    """303 See Other: the browser GETs the page, and Back does not re-post."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def rate_limited(request: HttpRequest, context: dict[str, Any], language: str, retry: int) -> HttpResponse:
    """The "too many attempts" page (429) with ``Retry-After``."""
    context["minutes"] = max((retry + 59) // 60, 1)
    response = render_page(request, "web/track/rate_limited.html", context, language, status=429)
    response["Retry-After"] = str(retry)
    return response
