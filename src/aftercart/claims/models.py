"""Claims and warranties: the store's claims policy versions, each claim with its lines, photos,
carrier claim and the facts of its life; warranty periods and registered purchases.

``ClaimFact`` rows are appended, never changed: every step is kept with who did it and an
idempotency key, so a retried call is harmless and the history is complete. ``Claim`` holds the
current status, amounts and timers for queries, lists and the ops queue.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from aftercart.domain.claims.lifecycle import ClaimStatus
from aftercart.domain.claims.policy import ClaimKind, ResolutionKind
from aftercart.orders.models import Order
from aftercart.stores.models import Store

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread


def new_claim_number() -> str:
    """A public claim number such as ``C-7K3M9QX2TD``: 50 random bits, readable over the phone,
    not sequential (it says nothing about how many claims a store has)."""
    return "C-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


class ClaimPolicyVersion(models.Model):
    """One version of a store's claims policy (:class:`aftercart.domain.claims.ClaimPolicy`).

    Versions are immutable: editing the policy saves a new version, and each claim points at the
    version that judged it."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="claim_policies")
    version = models.PositiveIntegerField()
    data = models.JSONField(help_text="The policy in its JSON form (docs/claims.md).")
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "version"], name="claim_policy_unique_version")
        ]
        ordering = ["store", "-version"]

    def __str__(self) -> str:
        return f"{self.store} claims policy v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("policy versions are immutable: save a new version instead")
        super().save(*args, **kwargs)


_KINDS = [(k.value, k.value.replace("_", " ")) for k in ClaimKind]
_RESOLUTIONS = [(r.value, r.value.replace("_", " ")) for r in ResolutionKind]


class Claim(models.Model):
    """One claim on an order: lost, not received, damaged, wrong or missing items, or a defect
    under warranty."""

    STATUSES = [(s.value, s.value.replace("_", " ")) for s in ClaimStatus]

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="claims")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="claims")
    number = models.CharField(max_length=16, unique=True, default=new_claim_number, editable=False)
    kind = models.CharField(max_length=16, choices=_KINDS)
    status = models.CharField(max_length=16, choices=STATUSES, default=ClaimStatus.FILED.value)
    #: RESTRICT: a version a claim was judged under cannot be deleted on its own (the store's
    #: deletion takes both).
    policy = models.ForeignKey(ClaimPolicyVersion, on_delete=models.RESTRICT, related_name="claims")
    #: The policy's judgement as it was made (eligibility, flags, options, value).
    decision = models.JSONField(default=dict)
    needs_review = models.BooleanField(default=False)
    review_reasons = models.JSONField(default=list, blank=True)
    #: The parcel the claim is about (transit kinds): the ledger's shipment key and its number.
    shipment_key = models.CharField(max_length=160, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    #: The warranty registration a warranty claim is made under, if the purchase was registered.
    registration = models.ForeignKey(
        "WarrantyRegistration", on_delete=models.SET_NULL, null=True, blank=True, related_name="claims"
    )
    #: The customer's own key for the submission: the same key again is the same claim.
    client_key = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=32, default="api")
    email = models.CharField(max_length=254, blank=True)
    #: What the fraud guard counts by: the normalised delivery address and the card's fingerprint.
    address_key = models.CharField(max_length=300, blank=True)
    payment_fingerprint = models.CharField(max_length=128, blank=True)
    description = models.CharField(max_length=2000, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    #: What was paid for the claimed units: the most a money resolution can give back.
    claimed_value = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    #: What the customer asked for, what the policy offers, and what was done.
    preferred_resolution = models.CharField(max_length=16, choices=_RESOLUTIONS, blank=True)
    resolution_options = models.JSONField(default=list, blank=True)
    resolution = models.CharField(max_length=16, choices=_RESOLUTIONS, blank=True)
    payout_amount = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    resolution_reference = models.CharField(max_length=200, blank=True)
    #: A reship: the replacement shipment recorded in the order's ledger.
    reship_shipment_id = models.CharField(max_length=128, blank=True)
    reship_carrier = models.CharField(max_length=64, blank=True)
    reship_tracking_number = models.CharField(max_length=64, blank=True)
    denial_reason = models.CharField(max_length=500, blank=True)
    #: What the store asked the customer to send (needs evidence).
    evidence_request = models.CharField(max_length=500, blank=True)
    #: Service levels: when the decision and the resolution are due, and when they came.
    decision_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    #: Flagged by the worker when a due time passed with the step not done.
    overdue = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "client_key"],
                condition=~models.Q(client_key=""),
                name="claim_unique_client_key",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "created_at"], name="claim_store_status"),
            models.Index(fields=["store", "created_at"], name="claim_store_created"),
            models.Index(fields=["store", "email"], name="claim_store_email"),
            models.Index(fields=["store", "address_key"], name="claim_store_address"),
            models.Index(fields=["status", "decision_due_at"], name="claim_due"),
        ]

    def __str__(self) -> str:
        return self.number


class ClaimLine(models.Model):
    """One order line (some or all of its units) in a claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=128)
    sku = models.CharField(max_length=128, blank=True)
    product_id = models.CharField(max_length=128, blank=True)
    variant = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    #: What was paid for these units (merchandise, tax and shipping, allocated).
    value = models.DecimalField(max_digits=14, decimal_places=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "line_id"], name="claim_line_unique")]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.line_id}×{self.quantity}"


class ClaimPhoto(models.Model):
    """A photo the customer sent with the claim (re-encoded without metadata, kept on disk under
    the photos' folder: ``path`` is relative to it)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    line_id = models.CharField(max_length=128, blank=True)
    path = models.CharField(max_length=300)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["claim", "sha256"], name="claim_photo_unique")]
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.path


class ClaimFact(models.Model):
    """One step of a claim's life, appended once per (store, idempotency key), never changed."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="claim_facts")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(max_length=32)
    status = models.CharField(max_length=16, help_text="The claim's status after this step.")
    actor = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="claim_fact_unique_key")
        ]
        indexes = [models.Index(fields=["claim", "recorded_at"], name="claim_fact_time")]
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class CarrierClaim(models.Model):
    """The store's own claim against the carrier for a lost or damaged parcel: what was claimed
    and what came back."""

    class Status(models.TextChoices):
        NOT_FILED = "not_filed"
        FILED = "filed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        PAID = "paid"

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="carrier_claim")
    carrier = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_FILED)
    reference = models.CharField(max_length=200, blank=True, help_text="The carrier's claim number.")
    amount_claimed = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    amount_recovered = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    currency = models.CharField(max_length=3, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.status}"


class WarrantyPeriod(models.Model):
    """How long a product, or every product of a category, is under warranty at this store. A
    product's own period wins over its category's; neither: the claims policy's default."""

    class Scope(models.TextChoices):
        PRODUCT = "product"
        CATEGORY = "category"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="warranty_periods")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    #: The product id (or SKU) or the category name, as order lines carry them.
    key = models.CharField(max_length=128)
    days = models.PositiveIntegerField(help_text="Days from delivery (730 is two years).")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "scope", "key"], name="warranty_period_unique"),
        ]
        ordering = ["store", "scope", "key"]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.days} days"


class WarrantyRegistration(models.Model):
    """A purchase the customer registered for its warranty (from the tracking page, or the
    packing insert's QR code): which item, its serial number, and until when it is covered."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="warranty_registrations")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="warranty_registrations")
    line_id = models.CharField(max_length=128)
    product_id = models.CharField(max_length=128, blank=True)
    sku = models.CharField(max_length=128, blank=True)
    title = models.CharField(max_length=300, blank=True)
    serial_number = models.CharField(max_length=128, blank=True)
    email = models.CharField(max_length=254, blank=True)
    source = models.CharField(max_length=32, default="tracking_page")
    #: The period that applied when it was registered, and the last day covered (``None``: the
    #: product has no warranty period at this store).
    days = models.PositiveIntegerField(null=True, blank=True)
    covered_from = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "line_id"], name="warranty_registration_unique"),
        ]
        indexes = [models.Index(fields=["store", "email"], name="warranty_store_email")]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.line_id}"
