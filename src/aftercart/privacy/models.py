"""Receipts of erasures: proof that a customer's data was erased (who asked, when, what was
touched), holding no personal data of its own."""

from __future__ import annotations

from django.db import models

from aftercart.orders.models import Order
from aftercart.stores.models import Store


class ErasureReceipt(models.Model):
    """One erasure: a customer's request (``request``) or a retention purge of old orders
    (``retention``). ``subject`` is the customer's pseudonym, never an address: the receipt says
    that the person who asks again was erased (their address gives the same pseudonym) without
    saying who was."""

    class Kind(models.TextChoices):
        REQUEST = "request"
        RETENTION = "retention"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="erasure_receipts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=40, blank=True, help_text="The customer's pseudonym.")
    #: ``operator:<name>`` (the command line), ``api-key:<prefix>`` or ``retention``.
    requested_by = models.CharField(max_length=120)
    #: How the customer was matched: ``email``, ``phone`` or both (the kinds, not the values).
    matched_by = models.CharField(max_length=20, blank=True)
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    #: What was touched, per app: ``{"orders": {"orders": 2, "facts": 9}, "notifications": {...}}``.
    counts = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["store", "completed_at"], name="erasure_store_completed")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject or ''} {self.completed_at:%Y-%m-%d %H:%M}".strip()


class ErasedOrder(models.Model):
    """An order whose personal data is erased: the retention purge passes it by."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, primary_key=True, related_name="+")
    receipt = models.ForeignKey(ErasureReceipt, on_delete=models.CASCADE, related_name="orders")

    def __str__(self) -> str:
        return f"order {self.order_id}"
