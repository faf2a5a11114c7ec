"""The feedback app's part of a customer's personal data: their survey answers (score, reason and
own words) and the reminders and experiment groups of their orders.

On erasure the answers' free text is removed (the score, reason and theme stay: the store's
figures, which name no one), and the pseudonymous customer keys are dropped from every row."""

from __future__ import annotations

from typing import Any

from aftercart.feedback.models import Assignment, Reminder, Survey
from aftercart.kernel.personal_data import DataSubject


def export(subject: DataSubject) -> dict[str, Any]:
    """The customer's surveys and reminders, oldest first."""
    surveys = Survey.objects.filter(store_id=subject.store_id, order_id__in=subject.order_ids)
    reminders = Reminder.objects.filter(store_id=subject.store_id, order_id__in=subject.order_ids)
    return {
        "surveys": [
            {"order_id": s.order.external_id, "about": s.about, "scale": s.scale, "status": s.status,
             "score": s.score, "reason": s.reason, "text": s.text, "theme": s.theme,
             "answered_at": s.answered_at.isoformat() if s.answered_at else None}
            for s in surveys.select_related("order").order_by("created_at", "pk")
        ],
        "reminders": [
            {"order_id": r.order.external_id, "kind": r.kind, "product": r.product, "status": r.status,
             "due_at": r.due_at.isoformat()}
            for r in reminders.select_related("order").order_by("due_at", "pk")
        ],
    }  # fmt: skip


def erase(subject: DataSubject) -> dict[str, int]:
    """Remove the answers' own words and the customer keys."""
    scope = {"store_id": subject.store_id, "order_id__in": subject.order_ids}
    surveys = Survey.objects.filter(**scope).update(text="", customer_key="")
    reminders = Reminder.objects.filter(**scope).update(customer_key="")
    assignments = Assignment.objects.filter(**scope).update(customer_key="")
    return {"surveys": surveys, "reminders": reminders, "assignments": assignments}
