"""Reads of the outbox."""

from __future__ import annotations

from collections.abc import Mapping
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


def recent_for_customer(
    *, store_id: int, order_id: int, contacts: Mapping[Channel, str], since: datetime
) -> list[Recent]:
    """What this customer was sent, or is due to be sent, since ``since``, on each channel where
    they have an address (one query). Pending messages of ``order_id`` come back replaceable."""
    where = Q()
    for channel, address in contacts.items():
        if address:
            where |= Q(channel=channel.value, recipient=address)
    if not where:
        return []
    rows = Message.objects.filter(
        where, store_id=store_id, status__in=_LIVE, send_at__gte=since - _RETRY_SLACK
    ).values_list(
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
    out = []
    for row_order, channel, milestone, critical, status, attempts, send_at, sent_at, next_at, key in rows:
        if status == Message.Status.FAILED and next_at is None:
            continue  # gave up: the customer never received it
        at = sent_at if status == Message.Status.SENT else (next_at or send_at)
        if at is None or at < since:
            continue
        out.append(
            Recent(
                channel=Channel(channel),
                milestone=Milestone(milestone),
                at=at,
                critical=critical,
                # Only a message nobody has tried to send yet can be withdrawn in favour of a
                # newer one: once attempted it may already be in the customer's inbox.
                replaceable=row_order == order_id and status == Message.Status.PENDING and attempts == 0,
                dedupe_key=key,
            )
        )
    return out


def messages_for_order(order_id: int) -> list[Message]:
    """Every message planned for an order, oldest first (agent console, tests)."""
    return list(Message.objects.filter(order_id=order_id).order_by("created_at", "pk"))
