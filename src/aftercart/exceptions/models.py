"""One row per problem detected on an order, from when it opened until the facts resolve it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftercart.domain.exceptions import ExceptionKind, Queue, Severity
from aftercart.orders.models import Order
from aftercart.stores.models import Store


class OrderException(models.Model):
    """An exception case: ``(order, kind, subject)`` is the cause, open while ``resolved_at`` is null.

    At most one open row per cause (a conditional unique constraint, so a race between the ingest
    hook and the sweep cannot open it twice); once resolved, the same cause may open again as a new
    row, which keeps the history of each episode.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="exceptions")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=32, choices=[(k.value, k.value) for k in ExceptionKind])
    #: A shipment key, ``line:<line id>`` or "" for the whole order.
    subject = models.CharField(max_length=160, blank=True)
    #: The shipment the case is about ("" for line and order cases), for the queue's links.
    shipment_key = models.CharField(max_length=160, blank=True)
    #: Copied from the shipment so the queue filters by carrier without a join.
    carrier = models.CharField(max_length=64, blank=True)
    severity = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Severity])
    queue = models.CharField(max_length=16, choices=[(q.value, q.value) for q in Queue])
    detail = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=64, blank=True)
    #: Who on the team looks after the case (the queue's "mine" and "unassigned" filters).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Hidden from the queue until then (the team waits for the carrier's answer, say).
    snoozed_until = models.DateTimeField(null=True, blank=True)
    #: What the team wrote when resolving, snoozing or contacting the customer (latest last).
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "subject"],
                condition=models.Q(resolved_at__isnull=True),
                name="case_one_open_per_cause",
            ),
        ]
        indexes = [
            # The queue: open cases, newest or oldest first, per store and kind.
            models.Index(
                fields=["store", "kind", "opened_at"],
                name="case_open_queue",
                condition=models.Q(resolved_at__isnull=True),
            ),
            models.Index(
                fields=["opened_at"], name="case_open_age", condition=models.Q(resolved_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}".strip()

    @property
    def is_open(self) -> bool:
        """Not resolved yet."""
        return self.resolved_at is None
