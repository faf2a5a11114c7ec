"""Background tasks (django-tasks): thin wrappers around services."""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from aftercart.notifications.services import message_deliver_due


@task()
def deliver_due_messages(limit: int = 100) -> dict[str, int]:
    """Deliver the messages that are due now; returns the counts of what happened."""
    return asdict(message_deliver_due(limit=limit))
