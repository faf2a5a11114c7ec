"""Writes to the outbox for messages about another subject than the order (a return's).

The subject's app decides them (which milestones, which channels, consent) and hands them here as
:class:`SubjectMessage` items; this writes the rows, inside the caller's transaction. The row's
``subject`` is the subject's reference (a return's RMA), which only the subject's registered
renderer reads (:mod:`aftercart.notifications.renderers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import Message


@dataclass(frozen=True, slots=True)
class SubjectMessage:
    """One message its subject's app planned: where it goes, and why not when it does not."""

    channel: Channel
    milestone: Milestone
    #: Unique in the outbox: the same moment is told once.
    dedupe_key: str
    recipient: str
    #: Why it is not sent ("": it goes).
    reason: str = ""


def messages_record_subject(
    *,
    store_id: int,
    order_id: int,
    subject: str,
    messages: Sequence[SubjectMessage],
    now: datetime,
    critical: bool = True,
    replacing: str = "",
) -> list[Message]:
    """Write the outbox rows of ``messages`` about ``subject`` (the subject's reference) of an
    order: due ``now`` unless they carry a reason, which suppresses them. A dedupe key already
    present is skipped. Call inside the caller's transaction; returns the rows written (new ones).

    ``replacing`` (a reason) makes each new row that goes withdraw the rows of the same subject,
    channel and milestone still waiting and never attempted: both would render the subject as it
    is now, so the customer would get the same e-mail twice (a return's label replaced before the
    first "label ready" went). One already sent or on the wire is left alone."""
    rows = [_row(store_id, order_id, subject, m, now, critical) for m in messages]
    if not rows:
        return []
    keys = {row.dedupe_key for row in rows}
    existing = set(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [row for row in rows if row.dedupe_key not in existing]
    Message.objects.bulk_create(fresh, ignore_conflicts=True)
    for row in fresh if replacing else ():
        if row.status == Message.Status.PENDING:
            Message.objects.filter(
                store_id=store_id,
                subject=subject,
                channel=row.channel,
                milestone=row.milestone,
                status=Message.Status.PENDING,
                attempts=0,
            ).exclude(dedupe_key=row.dedupe_key).update(
                status=Message.Status.SUPERSEDED, reason=replacing[:300], next_attempt_at=None
            )
    return fresh


def _row(
    store_id: int, order_id: int, subject: str, message: SubjectMessage, now: datetime, critical: bool
) -> Message:
    goes = not message.reason
    return Message(
        store_id=store_id,
        order_id=order_id,
        channel=message.channel.value,
        milestone=message.milestone.value,
        subject=subject,
        dedupe_key=message.dedupe_key,
        recipient=message.recipient[:254],
        critical=critical,
        status=Message.Status.PENDING if goes else Message.Status.SUPPRESSED,
        reason=message.reason[:300],
        send_at=now if goes else None,
        next_attempt_at=now if goes else None,
        created_at=now,
    )
