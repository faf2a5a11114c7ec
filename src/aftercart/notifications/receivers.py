"""The planner receiver: newly reached milestones → outbox rows, inside the ledger's transaction.

Runs once per ledger batch for the orders that reached new milestones, so it is kept to two reads
(the stores' enabled channels, those customers' recent messages) and one bulk insert, and does no
I/O: sending happens later, from the outbox (:func:`aftercart.notifications.services.message_deliver_due`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from aftercart.domain.messaging import (
    DEFAULT_POLICY,
    Channel,
    Decision,
    MessagingPolicy,
    Recent,
    plan_messages,
)
from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import ChannelConfig
from aftercart.notifications.selectors import RecentRow, recent_for_customers, recent_for_order
from aftercart.notifications.services import messages_record_many
from aftercart.orders.planner import Planned
from aftercart.stores.models import Store

#: Which channels each milestone goes out on, until per-store journeys are configurable:
#: e-mail for every milestone.
DEFAULT_CHANNELS: dict[Milestone, frozenset[Channel]] = {m: frozenset({Channel.EMAIL}) for m in Milestone}

ChannelMap = dict[Milestone, frozenset[Channel]]
_KNOWN = frozenset(c.value for c in Channel)


def plan_notifications(*, items: Sequence[Planned], now: datetime) -> None:
    """Plan messages for the milestones a ledger batch's orders have just reached and write them
    to the outbox: one read of the customers' recent messages and one insert for the whole batch.

    Orders of the same customer in one batch see each other's decisions, as if planned one after
    the other. Disabled entirely by ``AFTERCART_NOTIFICATIONS_ENABLED = False``.
    """
    if not getattr(settings, "AFTERCART_NOTIFICATIONS_ENABLED", True):
        return
    policy: MessagingPolicy = DEFAULT_POLICY
    reaching = [item for item in items if item.reached]
    if not reaching:
        return
    by_store = _store_channels({item.order.store_id for item in reaching})
    work = []
    for item in reaching:
        channels = by_store.get(item.order.store_id, DEFAULT_CHANNELS)
        enabled = {c for r in item.reached for c in channels.get(r.milestone, ())}
        # Contacts of the channels the frequency cap counts per customer; event channels have no
        # cap or consolidation, so they need no look-up of recent messages.
        contacts = {
            c: address
            for c, address in (
                (Channel.EMAIL, item.state.email.strip().lower()),
                (Channel.SMS, item.state.phone.strip()),
            )
            if c in enabled
        }
        work.append((item, contacts))
    horizon = now - max(policy.frequency_cap.values(), default=policy.consolidation_window)
    known = recent_for_customers(
        contacts=[(item.order.store_id, c, a) for item, contacts in work for c, a in contacts.items() if a],
        since=horizon,
    )
    zones = _store_zones(
        {
            item.order.store_id
            for item, contacts in work
            if not item.state.timezone and _needs_zone(contacts, policy)
        }
    )
    records: list[tuple[int, int, list[Decision], dict[Channel, str]]] = []
    for item, contacts in work:
        order = item.order
        mine = [(order.store_id, c, a) for c, a in contacts.items() if a]
        recent = recent_for_order((row for contact in mine for row in known.get(contact, ())), order.pk)
        decisions = plan_messages(
            reached=item.reached,
            state=item.state,
            now=now,
            channels=by_store.get(order.store_id, DEFAULT_CHANNELS),
            recent=recent,
            policy=policy,
            order_key=str(order.pk),
            store_timezone=zones.get(order.store_id, "UTC"),
        )
        records.append((order.pk, order.store_id, decisions, {**_event_recipients(item), **contacts}))
        # Later orders of the same customer in this batch must count these, as if planned later.
        for d in decisions:
            if d.goes and d.send_at is not None and contacts.get(d.channel):
                contact = (order.store_id, d.channel, contacts[d.channel])
                known.setdefault(contact, []).append(
                    RecentRow(
                        order_id=order.pk,
                        recent=Recent(
                            channel=d.channel,
                            milestone=d.milestone,
                            at=d.send_at,
                            critical=d.critical,
                            dedupe_key=d.dedupe_key,
                        ),
                        pending_unattempted=True,
                    )
                )
    messages_record_many(records=records, now=now)


def _store_channels(store_ids: set[int]) -> dict[int, ChannelMap]:
    """The channels of each store that has more than e-mail enabled (one query per batch): every
    milestone goes out on the default channels plus the store's enabled ones."""
    extra: dict[int, set[Channel]] = {}
    rows = ChannelConfig.objects.filter(store_id__in=store_ids, enabled=True).values_list(
        "store_id", "channel"
    )
    for store_id, channel in rows:
        if channel in _KNOWN:  # a row for a channel this version does not know is ignored
            extra.setdefault(store_id, set()).add(Channel(channel))
    return {
        store_id: {m: frozenset(DEFAULT_CHANNELS.get(m, frozenset()) | added) for m in Milestone}
        for store_id, added in extra.items()
    }


def _event_recipients(item: Planned) -> dict[Channel, str]:
    # Recorded on the outbox row for the audit (who the event was about); delivery reads the
    # order's latest address.
    email, phone = item.state.email.strip().lower(), item.state.phone.strip()
    return {Channel.KLAVIYO: email or phone, Channel.ITERABLE: email}


def _needs_zone(contacts: dict[Channel, str], policy: MessagingPolicy) -> bool:
    # Only channels with quiet hours need the store's zone; e-mail-only journeys skip the read.
    return any(contacts.get(c) for c in policy.quiet_hours)


def _store_zones(store_ids: set[int]) -> dict[int, str]:
    if not store_ids:
        return {}
    return dict(Store.objects.filter(pk__in=store_ids).values_list("pk", "timezone"))
