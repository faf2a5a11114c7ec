"""Support conversations: what customers write, kept as facts, and what was done about it.

``Conversation`` is one thread with one customer on one channel (a helpdesk ticket, an e-mail
thread, an SMS number, a contact form or API submission). ``Message`` rows are its facts: every
inbound message, every reply (automated or an agent's), internal notes and events (assigned,
escalated, resolved) are appended once per ``(store, dedupe_key)`` and never changed, except the
delivery bookkeeping of an outbound reply (status, attempts, lease), which follows the outbox's
pattern. ``Automation`` records each decision the automation took on an inbound message (answered,
escalated, asked which order, acted, ignored) and why, so nothing it did is invisible.
``SupportSettings`` holds a store's helpdesk connections, inbound e-mail address and thresholds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercart.kernel.ids import new_public_id
from aftercart.orders.models import Order
from aftercart.stores.models import Store


class Channel(models.TextChoices):
    """Where a conversation came in, and where its replies go back."""

    EMAIL = "email", "E-mail"
    ZENDESK = "zendesk", "Zendesk"
    GORGIAS = "gorgias", "Gorgias"
    SMS = "sms", "SMS"
    FORM = "form", "Contact form"
    API = "api", "API"


class SupportSettings(models.Model):
    """A store's support connections and automation thresholds (secrets never shown back in full)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="support_settings")
    automation_enabled = models.BooleanField(default=True)
    #: Below this classifier confidence nothing is automated: the conversation waits for a person.
    confidence_threshold = models.FloatField(default=0.6)
    #: Addresses customers write to (support@shop.example): inbound mail is filed under this store.
    inbound_addresses = models.JSONField(default=list, blank=True)
    #: Postmark inbound webhook: basic-auth credentials put in the webhook URL (user:password@).
    postmark_username = models.CharField(max_length=100, blank=True)
    postmark_password = models.CharField(max_length=200, blank=True)
    #: Zendesk: https://SUBDOMAIN.zendesk.com, agent e-mail and API token, webhook signing secret.
    zendesk_base_url = models.CharField(max_length=300, blank=True)
    zendesk_email = models.CharField(max_length=254, blank=True)
    zendesk_api_token = models.CharField(max_length=200, blank=True)
    zendesk_webhook_secret = models.CharField(max_length=200, blank=True)
    #: Gorgias: https://ACCOUNT.gorgias.com, API user (e-mail) and API key; the HTTP integration's
    #: shared secret, sent by Gorgias in the ``X-Aftercart-Token`` header configured on it.
    gorgias_base_url = models.CharField(max_length=300, blank=True)
    gorgias_username = models.CharField(max_length=254, blank=True)
    gorgias_api_key = models.CharField(max_length=200, blank=True)
    gorgias_webhook_secret = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "support settings"

    def __str__(self) -> str:
        return f"support settings of {self.store_id}"


class Conversation(models.Model):
    """One thread with a customer: its channel, who wrote, what they want, which order, its state."""

    class State(models.TextChoices):
        #: New; the automation has not decided yet.
        NEW = "new", "New"
        #: Answered automatically; reopens (``NEW``) when the customer writes again.
        ANSWERED = "answered", "Answered automatically"
        #: Waiting for the customer (asked which order, or an agent replied).
        WAITING = "waiting", "Waiting for the customer"
        #: A person must look at it (escalated, below the threshold, nothing matched).
        NEEDS_AGENT = "needs_agent", "Needs an agent"
        RESOLVED = "resolved", "Resolved"

    class Match(models.TextChoices):
        NONE = "", "Not matched"
        ORDER_NUMBER = "order_number", "Order number in the text"
        TRACKING_NUMBER = "tracking_number", "Tracking number in the text"
        EMAIL = "email", "Sender's e-mail"
        PHONE = "phone", "Sender's phone"
        TOKEN = "token", "Tracking page link"
        AGENT = "agent", "Set by an agent"
        AMBIGUOUS = "ambiguous", "Several open orders"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="conversations")
    public_id = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    #: The channel's thread id: helpdesk ticket id, root Message-ID, phone number ("" for one-offs).
    external_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    customer_phone = models.CharField(max_length=32, blank=True)
    #: The customer's language (a tag such as "fr"), as detected or given; replies use it.
    language = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    intent = models.CharField(max_length=40, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    match = models.CharField(max_length=20, choices=Match.choices, blank=True, default="")
    #: Public ids of the open orders the customer may mean when ``match`` is ambiguous.
    candidates = models.JSONField(default=list, blank=True)
    #: Why a person must look (machine codes: "lost", "keyword:broken", "angry", "low_confidence").
    escalation_reasons = models.JSONField(default=list, blank=True)
    #: A reply drafted for the agent when escalated (plain text, customer's language).
    draft_reply = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(default=0, help_text="0 normal, 1 high, 2 urgent.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "channel", "external_id"],
                name="conversation_unique_thread",
                condition=~models.Q(external_id=""),
            ),
        ]
        indexes = [
            models.Index(fields=["store", "state", "updated_at"], name="conversation_store_state"),
            models.Index(fields=["store", "customer_email"], name="conversation_store_email"),
            models.Index(fields=["store", "customer_phone"], name="conversation_store_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject or self.public_id}"


class Message(models.Model):
    """One fact of a conversation: a message in or out, a note, or an event. Appended once."""

    class Direction(models.TextChoices):
        IN = "in", "From the customer"
        OUT = "out", "To the customer"
        INTERNAL = "internal", "Internal"

    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        NOTE = "note", "Internal note"
        #: assigned, escalated, resolved, reopened, matched, action (payload says which).
        EVENT = "event", "Event"

    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AUTOMATION = "automation", "Automation"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    class Delivery(models.TextChoices):
        """An outbound reply's way out (``""`` for everything else)."""

        NONE = "", "—"
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        #: Answered in the response itself (API, contact form): nothing to send.
        INLINE = "inline", "Shown in the response"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", db_index=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MESSAGE)
    author = models.CharField(max_length=12, choices=Author.choices)
    #: The agent who wrote it or acted (events), when a person did.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    #: Unique per store: the channel's message id, the Message-ID, or a hash of the content.
    dedupe_key = models.CharField(max_length=255)
    #: The channel's own id (helpdesk comment id, Message-ID, Twilio SID).
    external_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    #: Plain text as received, HTML reduced to text, capped (``truncated`` says if it was cut).
    body = models.TextField(blank=True)
    #: What the customer wrote this time: quoted history and signature stripped.
    text = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    #: A few headers that matter (In-Reply-To, References, Auto-Submitted ...), event details.
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    #: Inbound: when the automation looked at it (null: the worker's inbound pass will).
    processed_at = models.DateTimeField(null=True, blank=True)
    # -- outbound delivery (the outbox's lease and retry pattern)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "dedupe_key"], name="support_message_unique_key"),
        ]
        indexes = [
            models.Index(
                fields=["processed_at"],
                name="support_message_unprocessed",
                condition=models.Q(processed_at__isnull=True, direction="in"),
            ),
            models.Index(
                fields=["next_attempt_at"],
                name="support_message_due",
                condition=models.Q(delivery="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class Automation(models.Model):
    """One decision the automation took on an inbound message, and why."""

    class Decision(models.TextChoices):
        ANSWERED = "answered", "Answered"
        ASKED_ORDER = "asked_order", "Asked which order"
        ACTED = "acted", "Action taken"
        REFUSED = "refused", "Action not possible: explained"
        ESCALATED = "escalated", "Escalated to a person"
        QUEUED = "queued", "Queued for a person"
        IGNORED = "ignored", "Ignored (auto-reply or loop)"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", db_index=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="automations")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="automations")
    reply = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision = models.CharField(max_length=12, choices=Decision.choices)
    intent = models.CharField(max_length=40, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    #: Machine codes (see ``aftercart.domain.support.triage``) of why it decided so.
    reasons = models.JSONField(default=list, blank=True)
    #: "<order public id>:<next step code>" for automated replies: one reply per
    #: conversation per order state (no loops); "" for decisions that sent nothing.
    reply_key = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=32, blank=True, help_text="cancel_order, change_address ...")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "reply_key"],
                name="automation_one_reply_per_state",
                condition=~models.Q(reply_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} ({self.intent})"
