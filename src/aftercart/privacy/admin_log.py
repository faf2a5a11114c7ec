"""The admin's history (``django_admin_log``): an operator who edited a customer's preference in the
admin left its name there (a preference reads ``email:<address>:all=out``). Not any app's table, so
the privacy app holds this part; registered like the others (:mod:`aftercart.wiring.handlers`)."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models import Q

from aftercart.domain.personal_data import scrub_text
from aftercart.kernel.personal_data import DataSubject


def _entries(subject: DataSubject) -> Any:
    # Whole addresses and names only (not every name part): the log is shared by every store.
    needles = [n for n in subject.needles if len(n) >= 6]
    if not needles:
        return LogEntry.objects.none()
    return LogEntry.objects.filter(
        reduce(or_, (Q(object_repr__icontains=n) | Q(change_message__icontains=n) for n in needles))
    )


def export(subject: DataSubject) -> dict[str, Any]:
    """The admin's history entries that name the customer."""
    return {
        "entries": [
            {"at": e.action_time.isoformat(), "object": e.object_repr, "change": e.change_message}
            for e in _entries(subject).order_by("action_time")
        ]
    }


def erase(subject: DataSubject) -> dict[str, int]:
    """Redact the customer from the admin's history (the entries stay: who changed what, when)."""
    entries = list(_entries(subject))
    for entry in entries:
        entry.object_repr = scrub_text(entry.object_repr, subject.needles)[:200]
        entry.change_message = scrub_text(entry.change_message, subject.needles)
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])
    return {"admin_log": len(entries)}
