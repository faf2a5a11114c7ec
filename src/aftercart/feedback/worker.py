"""The feedback loop: surveys planned after delivery, reminders scheduled and sent when due (see
:mod:`aftercart.feedback.surveys` and :mod:`aftercart.feedback.reminders`). Every step is
idempotent (one survey per order and topic, one reminder per order and product, outbox rows by
dedupe key), so a pass cut short is simply redone by the next."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from aftercart.feedback.reminders import BATCH, reminders_plan, reminders_send_due
from aftercart.feedback.surveys import surveys_plan
from aftercart.kernel.loops import Loop


def feedback_pass(*, now: datetime | None = None, limit: int = BATCH) -> bool:
    """One round: plan surveys, schedule reminders, send the reminders due; whether more may be
    waiting (a full batch somewhere)."""
    now = now or timezone.now()
    counts = (
        surveys_plan(now=now, limit=limit),
        reminders_plan(now=now, limit=limit),
        reminders_send_due(now=now, limit=limit),
    )
    return max(counts) >= limit


def feedback_loop(*, interval: float = 300.0) -> Loop:
    """The feedback pass as a loop (:mod:`aftercart.kernel.loops`): every ``interval`` seconds
    (surveys and reminders fall due by the hour, not the second)."""
    return Loop("feedback", lambda: feedback_pass(), interval)
