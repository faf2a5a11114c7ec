"""Feedback and retention: a store's settings, the surveys and their answers, the reminders after
delivery (onboarding, replenishment), the placements in the delivered e-mail and on the tracking
page, and who was held out of what (the proof of impact)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from aftercart.kernel.ids import new_public_id
from aftercart.orders.models import Order
from aftercart.stores.models import Store

_SHARE = [MinValueValidator(0.0), MaxValueValidator(0.9)]

#: The journeys a store can run with a holdout group (``FeedbackSettings.holdout`` keys).
JOURNEYS = ("survey", "review_request", "onboarding", "replenishment")


class FeedbackSettings(models.Model):
    """How a store asks and what it sends after delivery. A store without a row has the defaults."""

    class ScaleChoice(models.TextChoices):
        CSAT = "csat", "CSAT (1–5)"
        NPS = "nps", "NPS (0–10)"

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="feedback_settings")
    scale = models.CharField(max_length=4, choices=ScaleChoice.choices, default=ScaleChoice.CSAT)
    survey_enabled = models.BooleanField(default=True)
    survey_delay_hours = models.PositiveIntegerField(default=48, help_text="Hours after delivery.")
    survey_window_days = models.PositiveIntegerField(
        default=30, help_text="Days after delivery past which a survey still held back is dropped."
    )
    csat_satisfied = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(5)])
    nps_satisfied = models.PositiveSmallIntegerField(default=9, validators=[MaxValueValidator(10)])
    csat_unhappy = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(5)])
    nps_unhappy = models.PositiveSmallIntegerField(default=6, validators=[MaxValueValidator(10)])
    onboarding_enabled = models.BooleanField(default=True)
    onboarding_delay_hours = models.PositiveIntegerField(default=24, help_text="Hours after delivery.")
    replenishment_enabled = models.BooleanField(default=True)
    replenishment_lead_days = models.PositiveSmallIntegerField(default=3)
    replenishment_min_intervals = models.PositiveSmallIntegerField(default=5)
    replenishment_min_customers = models.PositiveSmallIntegerField(default=3)
    shop_url = models.URLField(
        max_length=500, blank=True, help_text="Where a replenishment reminder's reorder button leads."
    )
    #: Journey → share (0..0.9) of customers held out of it, e.g. ``{"survey": 0.1}``.
    holdout = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"feedback settings of {self.store_id}"


class Survey(models.Model):
    """One question to one customer about one order (its delivery, or the resolution of what went
    wrong), and their answer."""

    class Status(models.TextChoices):
        #: Held back by the gate (something is open on the order); asked again each pass.
        WAITING = "waiting"
        #: E-mailed (the outbox row says whether it went).
        SENT = "sent"
        #: In the survey journey's holdout group: never asked by e-mail.
        HELD_OUT = "held_out"
        ANSWERED = "answered"
        #: Never asked: held back past the survey window.
        EXPIRED = "expired"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="surveys")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="surveys")
    #: Public reference (outbox subject); not a key to anything on its own.
    ref = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    about = models.CharField(max_length=12, default="delivery")
    scale = models.CharField(max_length=4, default="csat")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    #: Why it is waiting or was not asked.
    note = models.CharField(max_length=200, blank=True)
    customer_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    score = models.SmallIntegerField(null=True, blank=True)
    #: The reason the customer picked, if any.
    reason = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True, max_length=2000)
    #: What the classifier read in the answer (``classify_feedback``).
    theme = models.CharField(max_length=40, blank=True)
    classified_reason = models.CharField(max_length=40, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=10, blank=True)
    review_requested_at = models.DateTimeField(null=True, blank=True)
    #: Why no review was asked of this answer ("" when it was, or it is not a satisfied one).
    review_note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "about"], name="survey_one_per_order_topic")]
        indexes = [
            models.Index(fields=["store", "answered_at"], name="survey_store_answered"),
            models.Index(fields=["status"], name="survey_status"),
        ]

    def __str__(self) -> str:
        return f"survey {self.ref} ({self.status})"


class Reminder(models.Model):
    """A message after delivery: product onboarding (care and use) or a replenishment reminder."""

    class Kind(models.TextChoices):
        ONBOARDING = "onboarding"
        REPLENISHMENT = "replenishment"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        SENT = "sent"
        HELD_OUT = "held_out"
        #: The gate said no at its time (``note`` says why); re-checked until ``expires_at``.
        WAITING = "waiting"
        #: Not needed any more (reordered already, nothing to say) or expired.
        SKIPPED = "skipped"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reminders")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reminders")
    ref = models.CharField(max_length=26, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    #: The product a replenishment reminder is about ("" for onboarding: the whole order).
    product = models.CharField(max_length=128, blank=True)
    title = models.CharField(max_length=300, blank=True)
    customer_key = models.CharField(max_length=64, blank=True)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "product"], name="reminder_one_per_product")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} ({self.status})"


class ProductInterval(models.Model):
    """A product's repeat-purchase interval, learned from the store's orders
    (:func:`aftercart.domain.feedback.replenishment.learn_intervals`)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="product_intervals")
    product = models.CharField(max_length=128)
    days = models.FloatField()
    support = models.PositiveIntegerField()
    customers = models.PositiveIntegerField()
    learned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "product"], name="interval_one_per_product")]

    def __str__(self) -> str:
        return f"{self.product}: {self.days:g} days"


class Placement(models.Model):
    """A store's card in the delivered e-mail or on the tracking page: cross-sell or loyalty."""

    class Slot(models.TextChoices):
        DELIVERED_EMAIL = "delivered_email", "Delivered e-mail"
        TRACKING_PAGE = "tracking_page", "Tracking page (after delivery)"

    class Kind(models.TextChoices):
        CROSS_SELL = "cross_sell", "Cross-sell"
        LOYALTY = "loyalty", "Loyalty invitation"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="placements")
    slot = models.CharField(max_length=20, choices=Slot.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=600, blank=True)
    link_url = models.URLField(max_length=500)
    link_label = models.CharField(max_length=60)
    active = models.BooleanField(default=True)
    holdout_share = models.FloatField(default=0.0, validators=_SHARE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["store", "slot", "active"], name="placement_slot")]

    def __str__(self) -> str:
        return f"{self.get_slot_display()}: {self.title}"

    @property
    def experiment(self) -> str:
        """The placement's experiment name (its holdout group's)."""
        return f"placement:{self.pk}"


class Assignment(models.Model):
    """A customer's group in one experiment, recorded the first time one of their orders met it:
    treated, or held out. The impact report compares the two groups' orders."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="assignments")
    experiment = models.CharField(max_length=40)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="assignments")
    customer_key = models.CharField(max_length=64)
    held_out = models.BooleanField()
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "order"], name="assignment_one_per_order")
        ]
        indexes = [models.Index(fields=["store", "experiment", "assigned_at"], name="assignment_report")]

    def __str__(self) -> str:
        return f"{self.experiment}: {'held out' if self.held_out else 'treated'}"
