"""The notification outbox: one row per milestone and channel, and every delivery attempt.

A ``Message`` row is written in the same transaction as the facts that caused it, under a unique
``dedupe_key`` (order, milestone, channel), so a message is neither lost (no commit, no fact either)
nor planned twice (a replayed fact reaches no new milestone, and the key would refuse it anyway).
Rows that will never be sent are kept too, with their reason: the audit of smart sending.

Status flow::

    pending ──claim──▶ sending ──▶ sent
       │                  │  └───▶ failed (next_attempt_at set: retried; null: gave up)
       │                  └─ lease expires (worker died) ──▶ claimable again
       ├──▶ superseded (a newer message of the order replaced it, or the state moved past it)
    suppressed (planned but never sent: consolidated, frequency cap, no address, historical)
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from aftercart.orders.models import Order
from aftercart.stores.models import Store


class Message(models.Model):
    """One planned message about one milestone on one channel."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SUPPRESSED = "suppressed"
        SUPERSEDED = "superseded"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="messages")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=16)
    milestone = models.CharField(max_length=32)
    #: The shipment key or line the milestone is about ("" for the whole order).
    subject = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    #: Address at planning time (lower-cased e-mail, phone): how "this customer" is found for the
    #: frequency cap. Delivery uses the order's latest address.
    recipient = models.CharField(max_length=254, blank=True)
    critical = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    send_at = models.DateTimeField(null=True, blank=True, help_text="When it was planned to go.")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    #: When a worker may next claim it (first send_at, then the retry time); null: never again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: A worker's lease: until then nobody else claims the row; after it, the row is claimable
    #: again (the worker is presumed dead — at-least-once).
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due"),
            models.Index(fields=["store", "recipient", "send_at"], name="message_recipient_recent"),
            models.Index(fields=["order", "channel"], name="message_order_channel"),
        ]

    def __str__(self) -> str:
        return self.dedupe_key


class DeliveryAttempt(models.Model):
    """One try at handing a message to its channel. ``outcome`` "" is an attempt in flight or one
    whose worker died before recording it (closed as retryable when the message is reclaimed)."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "", "in flight"
        SENT = "sent"
        RETRYABLE = "retryable"
        PERMANENT = "permanent"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number}:{self.outcome or 'in flight'}"


class ChannelConfig(models.Model):
    """A store's settings for one channel beyond e-mail (credentials, endpoint), and whether the
    planner uses it. E-mail needs none: it goes through the installation's mail server.

    Required ``settings`` keys per channel (checked at start-up, see
    :mod:`aftercart.notifications.checks`): SMS ``account_sid``, ``auth_token``, ``from``; Klaviyo
    and Iterable ``api_key``; webhook ``url`` and ``secret`` (``whsec_…``, Standard Webhooks).
    """

    class ChannelName(models.TextChoices):
        SMS = "sms", "SMS (Twilio)"
        KLAVIYO = "klaviyo", "Klaviyo"
        ITERABLE = "iterable", "Iterable"
        WEBHOOK = "webhook", "Webhook"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="channel_configs")
    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    enabled = models.BooleanField(default=True)
    #: Credentials and endpoint; secrets are stored as entered (encrypting them at rest is to come).
    settings = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "channel"], name="channel_config_unique_per_store")
        ]

    def __str__(self) -> str:
        return f"{self.store_id}:{self.channel}"
