"""Returns: the store's policy versions, each return with its lines, and the facts of its life.

``ReturnFact`` rows are appended, never changed: every lifecycle step is kept with who did it and
an idempotency key, so a retried call is harmless and the history is complete. ``Return`` and
``ReturnLine`` hold the current status and amounts for queries and lists.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.domain.returns.policy import Condition, Reason, ReturnMethod
from aftercart.orders.models import Order
from aftercart.stores.models import Store

_RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread


def new_dropoff_code() -> str:
    """A box-free drop-off code such as ``D7K3M9QX2TDA4``: what the QR code says, 60 random bits
    (the counter scans it, so it must not be guessable from the RMA)."""
    return "D" + "".join(secrets.choice(_RMA_ALPHABET) for _ in range(12))


def new_rma() -> str:
    """A public return number such as ``R-7K3M9QX2TD``: 50 random bits, readable over the phone,
    not sequential (it says nothing about how many returns a store has)."""
    return "R-" + "".join(secrets.choice(_RMA_ALPHABET) for _ in range(10))


class ReturnPolicyVersion(models.Model):
    """One version of a store's return policy (see :class:`aftercart.domain.returns.ReturnPolicy`).

    Versions are immutable: editing the policy saves a new version, and each return points at the
    version it was judged under."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="return_policies")
    version = models.PositiveIntegerField()
    data = models.JSONField(help_text="The policy in its JSON form (docs/returns.md).")
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "version"], name="return_policy_unique_version")
        ]
        ordering = ["store", "-version"]

    def __str__(self) -> str:
        return f"{self.store} policy v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("policy versions are immutable: save a new version instead")
        super().save(*args, **kwargs)


class Return(models.Model):
    """One return (RMA) of an order."""

    STATUSES = [(s.value, s.value.replace("_", " ")) for s in ReturnStatus]

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="returns")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    rma = models.CharField(max_length=16, unique=True, default=new_rma, editable=False)
    status = models.CharField(max_length=16, choices=STATUSES, default=ReturnStatus.REQUESTED.value)
    #: RESTRICT, not PROTECT: a policy version a return was judged under cannot be deleted on its
    #: own, but deleting the store (which cascades to both) takes them together.
    policy = models.ForeignKey(ReturnPolicyVersion, on_delete=models.RESTRICT, related_name="returns")
    #: The policy's judgement (lines, reasons, offers) as it was made.
    decision = models.JSONField(default=dict)
    needs_review = models.BooleanField(default=False)
    review_reasons = models.JSONField(default=list, blank=True)
    #: The customer's own key for the submission: the same key again is the same return.
    client_key = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=32, default="api")
    email = models.CharField(max_length=254, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    #: Amounts over the accepted lines (all lines until inspection says otherwise).
    returned_value = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    refund_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    credit_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    exchange_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    charge_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    fee_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    bonus_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    keep_items = models.BooleanField(default=False)
    ship_by = models.DateField(null=True, blank=True)
    #: refund_issued, credit_issued, exchange_created (comma-separated when mixed).
    resolution = models.CharField(max_length=64, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    #: How the items go back (:class:`~aftercart.domain.returns.ReturnMethod`): ``label``,
    #: ``dropoff`` (box-free, QR code) or ``in_store``.
    method = models.CharField(
        max_length=16, choices=[(m.value, m.value.replace("_", " ")) for m in ReturnMethod], default="label"
    )
    #: The label provider that issued the label, the carrier and the parcel's tracking number
    #: (carrier events for it move the return: see :mod:`aftercart.returns.receivers`).
    label_provider = models.CharField(max_length=32, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    #: Where the carrier's own label can be downloaded, when the store bought it itself (the
    #: ``manual`` provider): the shopper's page links to it.
    label_url = models.URLField(max_length=500, blank=True)
    #: What the drop-off QR code says (box-free returns).
    dropoff_code = models.CharField(max_length=32, blank=True)
    label_issued_at = models.DateTimeField(null=True, blank=True)
    #: The carrier service of a bought label, and what the store paid for it (a bought label's
    #: rate; null when no postage was bought).
    label_service = models.CharField(max_length=64, blank=True)
    label_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    label_cost_currency = models.CharField(max_length=3, blank=True)
    #: The carrier's own drop-off code (an image of a QR code the counter scans instead of a
    #: printed label), when the carrier gave one: shown instead of Aftercart's.
    carrier_qr_url = models.URLField(max_length=500, blank=True)
    #: That code's image (PNG), fetched by the worker when the label was bought: pages show it
    #: inline and the e-mail attaches it, so the shopper's browser never calls the carrier's host.
    carrier_qr_png = models.BinaryField(null=True, blank=True, editable=False)
    #: The replacement order of an exchange, as data: ``{"id", "lines": [{"line_id", "product_id",
    #: "variant", "sku", "quantity", "unit_price"}], "created_at", "instant"}``.
    exchange_order = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "client_key"],
                condition=~models.Q(client_key=""),
                name="return_unique_client_key",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "created_at"], name="return_store_status"),
            models.Index(
                fields=["store", "created_at"],
                name="return_review_queue",
                condition=models.Q(needs_review=True, status="requested"),
            ),
            models.Index(fields=["store", "email"], name="return_store_email"),
            models.Index(
                fields=["store", "tracking_number"],
                name="return_tracking",
                condition=~models.Q(tracking_number=""),
            ),
        ]

    def __str__(self) -> str:
        return self.rma


class ReturnLine(models.Model):
    """One order line (some or all of its units) in a return."""

    RESOLUTIONS = [("exchange", "exchange"), ("store_credit", "store credit"), ("refund", "refund")]

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=128)
    sku = models.CharField(max_length=128, blank=True)
    product_id = models.CharField(max_length=128, blank=True)
    variant = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=24, choices=[(r.value, r.value) for r in Reason])
    reason_text = models.CharField(max_length=1000, blank=True)
    condition = models.CharField(max_length=24, choices=[(c.value, c.value) for c in Condition])
    resolution = models.CharField(max_length=16, choices=RESOLUTIONS)
    #: What the shopper wants instead (exchanges): product, variant, SKU and unit price.
    exchange_for = models.JSONField(null=True, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=3)
    #: This line's part of the settlement under its resolution.
    refund_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    credit_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    exchange_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    charge_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    fee_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    bonus_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    keep_item = models.BooleanField(default=False)
    #: Set by inspection: whether the warehouse accepted what came back.
    accepted = models.BooleanField(null=True, blank=True)
    #: References to the shopper's photos of the item (paths under the media folder or URLs).
    photos = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "line_id"], name="return_line_unique")]
        indexes = [models.Index(fields=["product_id", "variant"], name="return_line_product")]

    def __str__(self) -> str:
        return f"{self.ret_id}:{self.line_id}×{self.quantity}"


class ReturnFact(models.Model):
    """One step of a return's life, appended once per (store, idempotency key), never changed."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="return_facts")
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=16, help_text="The return's status after this step.")
    actor = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="return_fact_unique_key")
        ]
        indexes = [models.Index(fields=["ret", "recorded_at"], name="return_fact_time")]
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class StockLevel(models.Model):
    """Units a store has of one item, as its inventory feed last said (``PUT /api/v1/inventory``):
    an exchange for another variant is offered only when it is in stock. Keyed by SKU, or by
    product id and variant for lines that carry no SKU.

    Shopify's webhooks also fill it (:func:`aftercart.returns.services.stock.stock_shopify_webhook_record`):
    ``inventory_item_id`` is how its per-location levels name the item, and ``by_location`` keeps
    each location's count so that ``available`` is their sum."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock_levels")
    sku = models.CharField(max_length=128, blank=True)
    product_id = models.CharField(max_length=128, blank=True)
    variant = models.CharField(max_length=200, blank=True)
    available = models.IntegerField()
    updated_at = models.DateTimeField()
    #: Shopify's id of the variant's inventory item (``inventory_levels/update`` names only this);
    #: NULL for items from other feeds, so they stay out of its uniqueness.
    inventory_item_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    #: ``{location_id: {"available": n, "updated_at": iso}}``: the last level of each location,
    #: so an older level never overwrites a newer one and locations never overwrite each other.
    by_location = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "sku"], condition=~models.Q(sku=""), name="stock_unique_sku"
            ),
            models.UniqueConstraint(
                fields=["store", "product_id", "variant"],
                condition=models.Q(sku=""),
                name="stock_unique_variant",
            ),
            models.UniqueConstraint(
                fields=["store", "inventory_item_id"], name="stock_unique_inventory_item"
            ),
        ]
        indexes = [models.Index(fields=["store", "product_id", "variant"], name="stock_variant")]

    def __str__(self) -> str:
        return f"{self.sku or f'{self.product_id}/{self.variant}'}: {self.available}"


class LabelSettings(models.Model):
    """A store's label provider and what buying a prepaid return label needs: the EasyPost account
    and endpoint, the rate rule, the address parcels go back to and the parcel's usual size.

    Without a row (or with ``provider`` empty) the installation's ``AFTERCART_RETURN_LABEL_PROVIDER``
    applies; an empty key or base URL falls back to ``AFTERCART_EASYPOST_API_KEY`` and
    ``AFTERCART_EASYPOST_BASE_URL`` (see docs/returns.md, *Prepaid labels from EasyPost*)."""

    PROVIDERS = [
        ("", "installation default"),
        ("manual", "manual"),
        ("sandbox", "sandbox"),
        ("easypost", "EasyPost"),
    ]
    RULES = [("cheapest", "cheapest"), ("fastest", "fastest"), ("named", "named carrier and service")]

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="label_settings")
    provider = models.CharField(max_length=16, choices=PROVIDERS, blank=True)
    #: Stored as entered (like the channels' credentials); never shown back or logged.
    easypost_api_key = models.CharField(max_length=200, blank=True)
    easypost_base_url = models.URLField(max_length=300, blank=True)
    rate_rule = models.CharField(max_length=16, choices=RULES, default="cheapest")
    rate_carrier = models.CharField(max_length=64, blank=True, help_text="For the named rule, e.g. USPS.")
    rate_service = models.CharField(
        max_length=64, blank=True, help_text="For the named rule, e.g. GroundAdvantage."
    )
    #: EasyPost's address fields: name, company, street1, street2, city, state, zip, country, phone.
    return_address = models.JSONField(default=dict, blank=True)
    #: EasyPost's parcel: length, width, height (inches), weight (ounces).
    parcel = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.store_id}: {self.provider or 'default'}"


class LabelPurchase(models.Model):
    """A label to buy for an approved return, done by the worker outside any transaction (the
    outbox's pattern: a lease, attempts, the next attempt's time). ``shipment_id`` is kept before
    the buy call, so a retry reads that shipment instead of buying a second label."""

    class Status(models.TextChoices):
        PENDING = "pending"
        BUYING = "buying"
        BOUGHT = "bought"
        FAILED = "failed"
        #: Not needed any more: the return was cancelled, or a label was attached by hand.
        DROPPED = "dropped"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="label_purchases")
    ret = models.OneToOneField(Return, on_delete=models.CASCADE, related_name="label_purchase")
    provider = models.CharField(max_length=16, default="easypost")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    shipment_id = models.CharField(max_length=64, blank=True)
    rate_id = models.CharField(max_length=64, blank=True)
    #: Why the rule's rate was not bought (a named service not offered), as the rule said.
    fallback = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    #: Failed requests for the carrier's QR code of a bought drop-off label: past a few, the label is
    #: issued without it (the PDF and Aftercart's own code) rather than keep the shopper waiting.
    qr_attempts = models.PositiveIntegerField(default=0)
    #: The operator asked to try again (:func:`~aftercart.returns.services.purchase.label_purchase_retry`):
    #: a shipment not bought is replaced by a new one, made with the addresses as they are now.
    renew_shipment = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="label_purchase_due")]

    def __str__(self) -> str:
        return f"{self.ret_id}: {self.status}"
