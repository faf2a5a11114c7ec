"""``/ops/setup/``: the store's checklist, what is connected and what is not, each with the place
to fix it. Every item is read from what the store has (secrets, deliveries received, channel
settings, keys, branding), never from a flag someone has to remember to tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from aftercart.notifications.models import ChannelConfig
from aftercart.orders.models import InboundDelivery, Shipment
from aftercart.stores.models import Store
from aftercart.web.ops.common import chosen_store, endpoints


@dataclass(frozen=True)
class Item:
    """One line of the checklist."""

    key: str
    title: str
    done: bool
    status: str
    fix_url: str
    fix_label: str


def _last(store: Store, source: str) -> datetime | None:
    return (
        InboundDelivery.objects.filter(store=store, source=source)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )


def checklist(store: Store) -> list[Item]:
    """What is connected for ``store`` and what is not."""
    settings_url = f"{reverse('web:ops-settings')}?store={store.slug}"
    shopify_url = f"{reverse('web:ops-shopify')}?store={store.slug}"
    admin_store = reverse("admin:stores_store_change", args=[store.pk])
    channels = {c.channel: c for c in ChannelConfig.objects.filter(store=store, enabled=True)}
    shopify_at, aftership_at = _last(store, "shopify"), _last(store, "aftership")
    scanned = Shipment.objects.filter(store=store, last_checkpoint_at__isnull=False).exists()
    live_keys = store.api_keys.filter(revoked_at__isnull=True).count()
    branding = store.branding or {}

    email_ok, email_status = _email_status(store.pk in _disabled_email(store))

    def seen(at: datetime | None) -> str:
        return f"last delivery received {at:%d %b %Y %H:%M} UTC" if at else "no delivery received yet"

    return [
        Item(
            "shopify",
            "Shopify orders and fulfillments",
            bool(store.shopify_webhook_secret) and shopify_at is not None,
            ("secret set, " if store.shopify_webhook_secret else "no webhook secret, ") + seen(shopify_at),
            shopify_url,
            "Connect Shopify",
        ),
        Item(
            "aftership",
            "AfterShip tracking webhooks",
            bool(store.aftership_webhook_secret) and aftership_at is not None,
            ("secret set, " if store.aftership_webhook_secret else "no webhook secret, ")
            + seen(aftership_at),
            f"{settings_url}#secrets",
            "Paste the AfterShip secret",
        ),
        Item(
            "carriers",
            "Carrier tracking",
            scanned,
            "parcels are being scanned" if scanned else "no carrier scan received yet",
            f"{settings_url}#urls-h",
            "See where carriers post",
        ),
        Item(
            "email",
            "E-mail to customers",
            email_ok,
            email_status,
            reverse("admin:notifications_channelconfig_changelist") + f"?store__id__exact={store.pk}",
            "Set up e-mail",
        ),
        Item(
            "sms",
            "SMS to customers (optional)",
            "sms" in channels,
            "configured" if "sms" in channels else "not configured",
            reverse("admin:notifications_channelconfig_changelist") + f"?store__id__exact={store.pk}",
            "Set up SMS",
        ),
        Item(
            "api_keys",
            "API keys",
            live_keys > 0,
            f"{live_keys} live key{'s' if live_keys != 1 else ''}",
            f"{settings_url}#keys-h",
            "Issue a key",
        ),
        Item(
            "branding",
            "Branding (logo, colours, support contact)",
            bool(branding.get("logo_url") and branding.get("support_email")),
            "logo and support e-mail set"
            if branding.get("logo_url") and branding.get("support_email")
            else "missing "
            + " and ".join(k for k in ("logo_url", "support_email") if not branding.get(k)).replace("_", " "),
            admin_store,
            "Edit branding",
        ),
    ]


_NOT_SENDING = {
    "django.core.mail.backends.console.EmailBackend": "printed to the console, not sent",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory, not sent",
    "django.core.mail.backends.dummy.EmailBackend": "thrown away, not sent",
    "django.core.mail.backends.filebased.EmailBackend": "written to files, not sent",
}


def _disabled_email(store: Store) -> set[int]:
    """The store, if its e-mail channel is switched off in its channel settings."""
    off = ChannelConfig.objects.filter(store=store, channel="email", enabled=False).exists()
    return {store.pk} if off else set()


def _email_status(disabled: bool) -> tuple[bool, str]:
    """E-mail goes through the site's mail settings (AFTERCART_EMAIL_BACKEND, AFTERCART_SMTP_*)."""
    if disabled:
        return False, "switched off for this store in its channel settings"
    backend = settings.EMAIL_BACKEND
    if backend in _NOT_SENDING:
        return False, f"e-mails are {_NOT_SENDING[backend]} (AFTERCART_EMAIL_BACKEND)"
    if backend.endswith("smtp.EmailBackend"):
        return True, f"sent over SMTP via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return True, f"sent with {backend.rsplit('.', 2)[-2]}"


@staff_member_required
def setup_page(request: HttpRequest) -> HttpResponse:
    stores, store = chosen_store(request)
    items = checklist(store) if store else []
    return render(
        request,
        "web/ops/setup.html",
        {
            "stores": stores,
            "store": store,
            "items": items,
            "done": sum(1 for i in items if i.done),
            "endpoints": endpoints(store) if store else [],
        },
    )
