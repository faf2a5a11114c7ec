"""A store's branding on the customer pages: its colours made readable (the rule lives in
:mod:`aftercart.stores.branding`, shared with printed documents), its name, logo and support
contacts validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aftercart.domain.outbound_urls import safe_url, support_contacts
from aftercart.stores.branding import brand_theme
from aftercart.stores.models import Store

#: The pages import the theme from here, with the store's other branding.
__all__ = ["brand_theme", "store_view"]


def store_view(store: Store | None, order_number: str = "") -> dict[str, Any]:
    """What the page shows of a store: name, logo and support contacts (validated). A support URL
    may carry ``{order_number}``, filled in here so the help desk opens on the right order."""
    if store is None:
        return {"name": "Aftercart", "logo_url": "", "support": {}, "footer_links": [], "slug": ""}
    branding = store.branding or {}
    links = []
    for item in branding.get("footer_links") or []:
        if isinstance(item, Mapping):
            url = safe_url(item.get("url"), ("https", "http", "mailto"))
            label = str(item.get("label") or "").strip()
            if url and label:
                links.append({"label": label, "url": url})
    return {
        "name": store.name,
        "slug": store.slug,
        "logo_url": safe_url(branding.get("logo_url")),
        "support": support_contacts(branding, order_number),
        "footer_links": links,
    }
