"""A store (one brand/shop a merchant runs) and the API keys integrators use for it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from aftercart.domain.care import category_key, language_key
from aftercart.domain.outbound_urls import safe_url
from aftercart.kernel.ids import new_public_id


def validate_web_url(value: str) -> None:
    """Refuse what the customer-facing rule (:func:`aftercart.domain.outbound_urls.safe_url`) would
    drop, so staff learn it when they type it rather than when a slip prints without it."""
    if value and not safe_url(value):
        raise ValidationError("Enter an absolute http(s) URL.", code="invalid")


class Store(models.Model):
    """One shop: its brand, its locale defaults and the secrets its sources sign with."""

    slug = models.SlugField(max_length=64, unique=True, help_text="Used in webhook URLs.")
    public_id = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    default_locale = models.CharField(max_length=16, default="en")
    #: The store's own currency (ISO 4217), for what it sells when an order does not say.
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217, e.g. EUR.")
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
    #: Where customers review the store (a page of its own or a review platform's): printed as a QR
    #: code on packing slips when set.
    review_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_web_url],
        help_text="The store's review page (https://...). Packing slips print it as a QR code.",
    )
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


class CareInstruction(models.Model):
    """How to care for the products of one category, in one language, as the store wrote it.

    Printed on packing slips for the items of that category (and meant for the post-delivery
    product onboarding too: :func:`aftercart.domain.care.care_text` picks the text and language).
    ``category`` and ``language`` are stored as keys (case-folded, ``pt-br``), so "Knitwear" on an
    order line finds the text written for "knitwear".
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="care_instructions")
    category = models.CharField(max_length=100, help_text="The product category, as order lines name it.")
    language = models.CharField(max_length=16, help_text='A language tag: "en", "fr", "pt-br".')
    title = models.CharField(
        max_length=120, blank=True, help_text="The heading printed above the text (default: the category)."
    )
    #: Bounded: it is printed on one A4 page with the items and the codes.
    text = models.TextField(max_length=2000, validators=[MaxLengthValidator(2000)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store", "category", "language"]
        constraints = [
            models.UniqueConstraint(fields=["store", "category", "language"], name="care_unique_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.category} ({self.language})"

    def clean(self) -> None:
        """Keys as the lookup expects them; a language that is not a tag is refused by name."""
        self.category = category_key(self.category)
        if not self.category:
            raise ValidationError({"category": "Name the product category."})
        language = language_key(self.language)
        if not language:
            raise ValidationError({"language": 'Enter a language tag such as "en", "fr" or "pt-br".'})
        self.language = language


class ShopifyConnection(models.Model):
    """A store's Shopify shop, reached with an Admin API access token: the webhooks Aftercart
    registered there, and the progress of the backfill of its recent orders (a progress record the
    back office polls and the CLI drives; ``cursor`` is the next page to fetch, so a backfill
    interrupted anywhere resumes where it stopped)."""

    class Status(models.TextChoices):
        IDLE = "idle", "Not started"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="shopify")
    #: ``name.myshopify.com`` (or, for a local stand-in, an ``http://127.0.0.1:port`` base URL).
    shop = models.CharField(max_length=255)
    access_token = models.CharField(max_length=255)
    api_version = models.CharField(max_length=16, default="2025-01")
    #: ``[{"id": .., "topic": .., "address": ..}]`` as Shopify answered.
    webhooks = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    backfill_status = models.CharField(max_length=12, choices=Status.choices, default=Status.IDLE)
    backfill_since = models.DateTimeField(null=True, blank=True)
    backfill_total = models.PositiveIntegerField(default=0)
    backfill_done = models.PositiveIntegerField(default=0)
    backfill_facts = models.PositiveIntegerField(default=0)
    backfill_cursor = models.CharField(max_length=2000, blank=True)
    backfill_error = models.CharField(max_length=500, blank=True)
    backfill_started_at = models.DateTimeField(null=True, blank=True)
    backfill_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.store.slug} → {self.shop}"

    @property
    def percent(self) -> int:
        """How far the backfill is, 0-100 (100 once done, whatever the count said)."""
        if self.backfill_status == self.Status.DONE:
            return 100
        if not self.backfill_total:
            return 0
        return min(99, round(100 * self.backfill_done / self.backfill_total))
