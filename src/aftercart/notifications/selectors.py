"""Reads of the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Q

from aftercart.domain.messaging import Channel, Recent
from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import Message

#: Statuses that mean "went, or will go": what the frequency cap counts.
_LIVE = (Message.Status.PENDING, Message.Status.SENDING, Message.Status.SENT, Message.Status.FAILED)
#: A sent message's send_at can precede its sent_at by the whole retry schedule (8 attempts with
#: a 6 h cap stay well inside this), so the recent window is widened by it on send_at.
_RETRY_SLACK = timedelta(days=2)


#: One customer on one channel in one store: whose messages the frequency cap counts together.
Contact = tuple[int, Channel, str]


@dataclass(frozen=True, slots=True)
class RecentRow:
    """A live outbox row of some customer, before it is seen from a particular order."""

    order_id: int
    recent: Recent
    pending_unattempted: bool


def recent_for_customers(*, contacts: Iterable[Contact], since: datetime) -> dict[Contact, list[RecentRow]]:
    """What each of these customers was sent, or is due to be sent, since ``since`` (one query for
    the whole set, in chunks the database accepts)."""
    wanted = {c for c in contacts if c[2]}
    out: dict[Contact, list[RecentRow]] = {c: [] for c in wanted}
    if not wanted:
        return out
    ordered = sorted(wanted, key=lambda c: (c[0], c[1].value, c[2]))
    for start in range(0, len(ordered), 300):
        chunk = ordered[start : start + 300]
        where = Q()
        for store_id, channel, address in chunk:
            where |= Q(store_id=store_id, channel=channel.value, recipient=address)
        rows = Message.objects.filter(where, status__in=_LIVE, send_at__gte=since - _RETRY_SLACK).values_list(
            "store_id",
            "recipient",
            "order_id",
            "channel",
            "milestone",
            "critical",
            "status",
            "attempts",
            "send_at",
            "sent_at",
            "next_attempt_at",
            "dedupe_key",
        )
        for (
            store_id,
            recipient,
            row_order,
            channel,
            milestone,
            critical,
            status,
            attempts,
            send_at,
            sent_at,
            next_at,
            key,
        ) in rows:
            if status == Message.Status.FAILED and next_at is None:
                continue  # gave up: the customer never received it
            at = sent_at if status == Message.Status.SENT else (next_at or send_at)
            if at is None or at < since:
                continue
            contact = (store_id, Channel(channel), recipient)
            if contact not in out:
                continue
            out[contact].append(
                RecentRow(
                    order_id=row_order,
                    recent=Recent(
                        channel=Channel(channel),
                        milestone=Milestone(milestone),
                        at=at,
                        critical=critical,
                        dedupe_key=key,
                    ),
                    pending_unattempted=status == Message.Status.PENDING and attempts == 0,
                )
            )
    return out


def recent_for_order(rows: Iterable[RecentRow], order_id: int) -> list[Recent]:
    """The rows as one order's planning sees them: only a message of *that* order nobody has
    tried to send yet can be withdrawn in favour of a newer one (once attempted it may already be
    in the customer's inbox)."""
    return [
        replace(row.recent, replaceable=row.order_id == order_id and row.pending_unattempted) for row in rows
    ]


def messages_for_order(order_id: int) -> list[Message]:
    """Every message planned for an order, oldest first (agent console, tests)."""
    return list(Message.objects.filter(order_id=order_id).order_by("created_at", "pk"))
