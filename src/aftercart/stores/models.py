"""A store (one brand/shop a merchant runs) and the API keys integrators use for it."""

from __future__ import annotations

from django.db import models

from aftercart.kernel.ids import new_public_id


class Store(models.Model):
    """One shop: its brand, its locale defaults and the secrets its sources sign with."""

    slug = models.SlugField(max_length=64, unique=True, help_text="Used in webhook URLs.")
    public_id = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    default_locale = models.CharField(max_length=16, default="en")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country of the store.")
    shopify_webhook_secret = models.CharField(max_length=200, blank=True)
    aftership_webhook_secret = models.CharField(max_length=200, blank=True)
    #: logo_url, primary_colour, accent_colour, support_email, support_phone, support_url, footer_links
    branding = models.JSONField(default=dict, blank=True)
    #: The origins of the store's own site (``https://shop.example.com``) allowed to frame the
    #: order-confirmation widget (its ``frame-ancestors``); empty: no site may. Written through
    #: :func:`aftercart.stores.services.store_widget_configure`, which checks each one.
    widget_origins = models.JSONField(default=list, blank=True)
    #: The key a Shopify order status page signs the order id with (``hmac_sha256`` in Liquid) to
    #: open the widget; shown to the operator, made by ``store_widget_secret_rotate``.
    widget_secret = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A bearer key for the REST API. Only a hash is stored; the key is shown once.

    Keys are 32 random bytes, so a fast hash (SHA-256) is as safe as a slow one here and keeps
    authentication off the hot path of batched ingest.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.store.slug}:{self.prefix}…"
