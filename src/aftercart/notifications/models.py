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

    # No indexes of their own: message_recipient_recent starts with the store and
    # message_order_channel with the order, and a drain writes thousands of messages a second.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="messages", db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages", db_index=False)
    channel = models.CharField(max_length=16)
    milestone = models.CharField(max_length=32)
    #: The reference of the subject the message is about: a shipment key or line of the order ("" for
    #: the whole order), or another subject's own reference (a return's RMA), which only that
    #: subject's registered renderer reads (aftercart.notifications.renderers).
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
    """A store's settings for one channel (credentials, endpoint), whether the planner uses it, and
    which milestones it carries (the store's journey). E-mail needs no settings (it goes through
    the installation's mail server) and no row: without one, e-mail carries every milestone.

    Required ``settings`` keys per channel (checked at start-up, see
    :mod:`aftercart.notifications.checks`): SMS ``account_sid``, ``auth_token``, ``from``; Klaviyo
    and Iterable ``api_key``; webhook ``url`` and ``secret`` (``whsec_…``, Standard Webhooks).
    """

    class ChannelName(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS (Twilio)"
        KLAVIYO = "klaviyo", "Klaviyo"
        ITERABLE = "iterable", "Iterable"
        WEBHOOK = "webhook", "Webhook"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="channel_configs")
    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    enabled = models.BooleanField(default=True)
    #: Credentials and endpoint; secrets are stored as entered (encrypting them at rest is to come).
    settings = models.JSONField(default=dict, blank=True)
    #: The store's journey on this channel: the milestones sent on it (a list of milestone names);
    #: null for the defaults (:data:`aftercart.notifications.channel_map.DEFAULT_MILESTONES`).
    milestones = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "channel"], name="channel_config_unique_per_store")
        ]

    def __str__(self) -> str:
        return f"{self.store_id}:{self.channel}"


class PreferenceSource(models.TextChoices):
    """Where a consent or preference change came from (kept on every change: the consent audit)."""

    PREFERENCE_PAGE = "preference_page"
    #: RFC 8058 one-click unsubscribe, posted by the customer's mail client.
    ONE_CLICK = "one_click"
    #: STOP / START texted back to the store's number.
    SMS_KEYWORD = "sms_keyword"
    #: The SMS opt-in of the order-confirmation widget on the store's thank-you page.
    WIDGET = "widget"
    ADMIN = "admin"
    API = "api"


class Preference(models.Model):
    """A customer's current choice on one channel of one store: for the whole channel
    (``milestone`` "") or for one milestone. The customer is their address on the channel
    (lower-cased e-mail, E.164 phone number), so a choice holds for all their orders.

    Written only by :func:`aftercart.notifications.services.preference_set`, which records every
    change as a :class:`PreferenceChange` in the same transaction: nothing is overwritten silently.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="preferences")
    channel = models.CharField(max_length=16)
    address = models.CharField(max_length=254)
    milestone = models.CharField(max_length=32, blank=True, help_text='"" for the whole channel.')
    opted_in = models.BooleanField()
    source = models.CharField(max_length=20, choices=PreferenceSource.choices)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "channel", "address", "milestone"], name="preference_unique_per_contact"
            )
        ]

    def __str__(self) -> str:
        scope = self.milestone or "all"
        return f"{self.channel}:{self.address}:{scope}={'in' if self.opted_in else 'out'}"


class PreferenceChange(models.Model):
    """One change of consent or preference, never updated or deleted: who (address), what (channel,
    milestone, in/out), how (source, detail), when, and through which order's link."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="preference_changes")
    channel = models.CharField(max_length=16)
    address = models.CharField(max_length=254)
    milestone = models.CharField(max_length=32, blank=True)
    opted_in = models.BooleanField()
    source = models.CharField(max_length=20, choices=PreferenceSource.choices)
    #: E.g. the SMS keyword received, or "List-Unsubscribe-Post".
    detail = models.CharField(max_length=200, blank=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["store", "channel", "address", "at"], name="preference_change_contact")
        ]

    def __str__(self) -> str:
        scope = self.milestone or "all"
        return f"{self.at:%Y-%m-%d %H:%M} {self.channel}:{self.address}:{scope}={'in' if self.opted_in else 'out'}"


class MessageTemplate(models.Model):
    """A store's own wording for one milestone on one channel, in one language ("" for any),
    replacing the built-in text: e-mail subject and body, or the SMS text. A bounded cut of Django
    template syntax over a fixed set of plain variables (see
    :mod:`aftercart.notifications.template_sandbox`); validated on save, so a template that cannot
    render within its budget is never stored (one stored before gives way to the built-in text).

    The branded frame stays the product's: the e-mail's header, order button, items and footer
    (with its unsubscribe link), and the SMS footer (STOP, preference link).
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="message_templates")
    channel = models.CharField(
        max_length=16, choices=[("email", "E-mail"), ("sms", "SMS")], help_text="email or sms"
    )
    milestone = models.CharField(max_length=32)
    #: A language code as the site knows it ("es", "pt-br"); "" for every language.
    locale = models.CharField(max_length=16, blank=True)
    subject = models.CharField(max_length=300, blank=True, help_text="E-mail only.")
    body = models.TextField(help_text="E-mail body (plain text, paragraphs kept) or the SMS text.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store", "channel", "milestone", "locale"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "channel", "milestone", "locale"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.milestone}:{self.locale or '*'}"
