"""The planner receiver: newly reached milestones → outbox rows, inside the ledger's transaction.

Runs for every order that reaches a new milestone during ingest, so it is kept to one read (this
customer's recent messages) and one bulk insert, and does no I/O: sending happens later, from the
outbox (:func:`aftercart.notifications.services.message_deliver_due`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from aftercart.domain.messaging import DEFAULT_POLICY, Channel, MessagingPolicy, plan_messages
from aftercart.domain.milestones import Milestone, Reached
from aftercart.domain.projection import OrderState
from aftercart.notifications.selectors import recent_for_customer
from aftercart.notifications.services import messages_record
from aftercart.stores.models import Store

#: Which channels each milestone goes out on, until per-store journeys are configurable:
#: e-mail for every milestone.
DEFAULT_CHANNELS: dict[Milestone, frozenset[Channel]] = {m: frozenset({Channel.EMAIL}) for m in Milestone}


def plan_notifications(*, order: Any, state: OrderState, reached: list[Reached], now: datetime) -> None:
    """Plan messages for the milestones ``order`` has just reached and write them to the outbox.

    ``order`` is the ``Order`` row being re-projected (only its ids are used: the caller loads few
    fields). Disabled entirely by ``AFTERCART_NOTIFICATIONS_ENABLED = False``.
    """
    if not reached or not getattr(settings, "AFTERCART_NOTIFICATIONS_ENABLED", True):
        return
    policy: MessagingPolicy = DEFAULT_POLICY
    channels = DEFAULT_CHANNELS
    enabled = {c for r in reached for c in channels.get(r.milestone, ())}
    contacts = {
        c: address
        for c, address in ((Channel.EMAIL, state.email.strip().lower()), (Channel.SMS, state.phone.strip()))
        if c in enabled
    }
    recent = []
    if any(contacts.values()):
        horizon = now - max(policy.frequency_cap.values(), default=policy.consolidation_window)
        recent = recent_for_customer(
            store_id=order.store_id, order_id=order.pk, contacts=contacts, since=horizon
        )
    store_timezone = "UTC"
    if not state.timezone and any(contacts.get(c) for c in policy.quiet_hours):
        # Only channels with quiet hours need the store's zone; e-mail-only journeys skip the read.
        store_timezone = Store.objects.values_list("timezone", flat=True).get(pk=order.store_id)
    decisions = plan_messages(
        reached=reached,
        state=state,
        now=now,
        channels=channels,
        recent=recent,
        policy=policy,
        order_key=str(order.pk),
        store_timezone=store_timezone,
    )
    messages_record(
        order_id=order.pk, store_id=order.store_id, decisions=decisions, recipients=contacts, now=now
    )
