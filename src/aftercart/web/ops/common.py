"""What the back office's store pages share: which store a page is about, and its webhook URLs."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from aftercart.stores.models import Store


def chosen_store(request: HttpRequest) -> tuple[list[Store], Store | None]:
    """Every store, and the one ``?store=<slug>`` names (the first one otherwise)."""
    stores = list(Store.objects.order_by("name"))
    slug = request.GET.get("store") or request.POST.get("store") or ""
    return stores, next((s for s in stores if s.slug == slug), stores[0] if stores else None)


@dataclass(frozen=True)
class Endpoint:
    """A URL to paste into another system, and how it authenticates."""

    id: str
    label: str
    url: str
    auth: str


def endpoints(store: Store) -> list[Endpoint]:
    """Where Shopify, AfterShip and carriers send to, for this store."""
    base = settings.AFTERCART_BASE_URL.rstrip("/")
    return [
        Endpoint(
            "shopify-url",
            "Shopify webhooks",
            base + reverse("webhook-shopify", args=[store.slug]),
            "Signed with your Shopify app's client secret (paste it below as the Shopify webhook secret).",
        ),
        Endpoint(
            "aftership-url",
            "AfterShip webhooks",
            base + reverse("webhook-aftership", args=[store.slug]),
            "Signed with the webhook secret AfterShip shows (paste it below as the AfterShip secret).",
        ),
        Endpoint(
            "carrier-url",
            "Carrier tracking responses (UPS, FedEx, USPS, DHL Express, Canada Post, EasyPost)",
            base + "/api/v1/carriers/<carrier>/tracking",
            "POST the carrier's JSON with the header 'Authorization: Bearer <API key>'.",
        ),
    ]
