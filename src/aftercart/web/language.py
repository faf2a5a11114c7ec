"""The customer pages' language and time zone: the language chosen from the link, the order,
the browser and the store; the switcher's links; the customer's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import translation

from aftercart.domain.projection.state import OrderState
from aftercart.kernel.i18n import customer_zone
from aftercart.stores.models import Store


def supported_language(code: str | None) -> str | None:
    """The configured language for a code ("es-MX" → "es", "pt_BR" → "pt-br"), else ``None``."""
    if not code or len(code) > 32:
        return None
    try:
        return translation.get_supported_language_variant(translation.to_language(code.strip()))
    except (LookupError, ValueError):
        return None


def accept_languages(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:30]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip()
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def choose_language(
    request: HttpRequest, state: OrderState | None = None, store: Store | None = None, explicit: str = ""
) -> str:
    """The page's language: ``?lang=`` (or ``explicit``), then the order's locale, then the
    browser's Accept-Language, then the store's default, then the site default."""
    candidates = [explicit or request.GET.get("lang", "")]
    if state is not None:
        candidates.append(state.locale)
    candidates += accept_languages(request.headers.get("Accept-Language", ""))
    if store is not None:
        candidates.append(store.default_locale)
    for code in candidates:
        language = supported_language(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def order_zone(state: OrderState | None, store: Store | None) -> ZoneInfo:
    """The customer's time zone: the order's, else the store's, else UTC."""
    return customer_zone(state, store.timezone if store else "")


def language_links(
    request: HttpRequest, current: str, keep: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The language switcher: one plain link per language, keeping the query (or just ``keep``)."""
    if keep is None and not request.GET:  # the usual visit: nothing to keep but the language
        return [
            {"code": code, "name": name, "href": f"?lang={code}", "current": code == current}
            for code, name in settings.LANGUAGES
        ]
    links = []
    for code, name in settings.LANGUAGES:
        if keep is None:
            query = request.GET.copy()
        else:
            query = QueryDict(mutable=True)
            query.update({k: v for k, v in keep.items() if v})
        query["lang"] = code
        links.append(
            {"code": code, "name": name, "href": f"?{query.urlencode()}", "current": code == current}
        )
    return links
