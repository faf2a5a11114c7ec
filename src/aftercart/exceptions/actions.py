"""What the team does with a case from the queue: take it, hand it over, snooze it, resolve it, and
note that the customer was contacted. Each is one transaction on one open case.

A case resolved by hand stays resolved while the cause is gone; if the order's facts still show the
problem at the next sync or sweep, the cause opens again as a new case (a resolution is a claim
about the world, and the facts have the last word). Snoozing is the way to say "we know, we wait".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from aftercart.exceptions.models import OrderException

#: The longest snooze the queue offers (a case is a problem now; a month is the horizon).
MAX_SNOOZE = timedelta(days=30)


class CaseClosed(ValueError):
    """The case was resolved meanwhile (by the facts or by a colleague): nothing was changed."""


def _open_case(case_id: int) -> OrderException:
    case = OrderException.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.resolved_at is not None:
        raise CaseClosed("This case is already resolved.")
    return case


def _append(note: str, line: str) -> str:
    return (f"{note}\n{line}" if note else line)[-2000:]


def _who(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "someone"


@transaction.atomic
def exception_assign(*, case_id: int, assignee: AbstractBaseUser | None) -> OrderException:
    """Give the case to a team member (``None``: back to the unassigned pile)."""
    case = _open_case(case_id)
    case.assignee = assignee  # type: ignore[assignment]
    case.save(update_fields=["assignee"])
    return case


@transaction.atomic
def exception_resolve_manually(
    *, case_id: int, user: AbstractBaseUser | None, note: str, now: datetime
) -> OrderException:
    """Close the case by hand with what was done (``note``, required: the next person reads it)."""
    note = note.strip()
    if not note:
        raise ValueError("Say what was done: the note is what the next person reads.")
    case = _open_case(case_id)
    case.resolved_at = now
    case.resolution = f"resolved by {_who(user)}"[:64]
    case.note = _append(case.note, f"{now:%Y-%m-%d %H:%M} {_who(user)}: {note}")
    case.snoozed_until = None
    case.save(update_fields=["resolved_at", "resolution", "note", "snoozed_until"])
    return case


@transaction.atomic
def exception_snooze(
    *, case_id: int, user: AbstractBaseUser | None, until: datetime, note: str = "", now: datetime
) -> OrderException:
    """Hide the case from the queue until ``until`` (at most :data:`MAX_SNOOZE` ahead)."""
    if until <= now:
        raise ValueError("Snooze until a moment in the future.")
    until = min(until, now + MAX_SNOOZE)
    case = _open_case(case_id)
    case.snoozed_until = until
    line = f"{now:%Y-%m-%d %H:%M} {_who(user)}: snoozed until {until:%Y-%m-%d %H:%M}"
    case.note = _append(case.note, f"{line} ({note.strip()})" if note.strip() else line)
    case.save(update_fields=["snoozed_until", "note"])
    return case


@transaction.atomic
def exception_note_contacted(
    *, case_id: int, user: AbstractBaseUser | None, channel: str, now: datetime
) -> OrderException:
    """Record on the case that the customer was contacted (and how), for the next person."""
    case = _open_case(case_id)
    case.note = _append(case.note, f"{now:%Y-%m-%d %H:%M} {_who(user)}: contacted the customer by {channel}")
    case.save(update_fields=["note"])
    return case
