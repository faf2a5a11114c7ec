"""Newly reached milestones (:class:`~aftercart.orders.events.MilestonesReached`) → outbox rows,
inside the publisher's transaction (the ledger's, or the exception sweep's).

Runs once per ledger batch for the orders that reached new milestones, so it is kept to three reads
(the stores' enabled channels, those customers' consent and preferences, their recent messages)
and one bulk insert, and does no
I/O: sending happens later, from the outbox (:func:`aftercart.notifications.delivery.message_deliver_due`).
"""

from __future__ import annotations

from django.conf import settings

from aftercart.domain.contacts import email_key
from aftercart.domain.messaging import (
    CUSTOMER_CHANNELS,
    DEFAULT_POLICY,
    Channel,
    ContactChoices,
    Decision,
    MessagingPolicy,
    Recent,
    plan_messages,
)
from aftercart.notifications.channel_map import DEFAULT_CHANNELS, ChannelMap, journey_from_rows
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.models import ChannelConfig
from aftercart.notifications.selectors import (
    RecentRow,
    choices_for_contacts,
    recent_for_customers,
    recent_for_order,
)
from aftercart.notifications.services import messages_record_many
from aftercart.orders.events import MilestonesReached, Planned
from aftercart.stores.models import Store

_NO_CHOICES = ContactChoices()


def plan_notifications(event: MilestonesReached) -> None:
    """Plan messages for the milestones a ledger batch's orders have just reached and write them
    to the outbox: one read of the customers' recent messages and one insert for the whole batch.

    Orders of the same customer in one batch see each other's decisions, as if planned one after
    the other. Disabled entirely by ``AFTERCART_NOTIFICATIONS_ENABLED = False``.
    """
    if not getattr(settings, "AFTERCART_NOTIFICATIONS_ENABLED", True):
        return
    policy: MessagingPolicy = DEFAULT_POLICY
    now = event.now
    reaching = [item for item in event.items if item.reached]
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
                (Channel.EMAIL, email_key(item.state.email)),
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
    stores = _store_places(
        {
            item.order.store_id
            for item, contacts in work
            if _needs_zone(contacts, policy) and not (item.state.timezone and item.state.country)
        }
    )
    # The customer as their consent is stored: normalised address, phone numbers in E.164 read in
    # the order's (else the store's) country, as the SMS channel sends them.
    keys_of = {
        item.order.pk: {
            c: contact_key(c, a, item.state.country or stores.get(item.order.store_id, ("", ""))[1])
            for c, a in contacts.items()
            if a and c in CUSTOMER_CHANNELS
        }
        for item, contacts in work
    }
    choices = choices_for_contacts(
        (item.order.store_id, c, k) for item, _ in work for c, k in keys_of[item.order.pk].items()
    )
    records: list[tuple[int, int, list[Decision], dict[Channel, str]]] = []
    for item, contacts in work:
        order = item.order
        keys = keys_of[order.pk]
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
            store_timezone=stores.get(order.store_id, ("UTC", ""))[0],
            choices={c: choices.get((order.store_id, c, k), _NO_CHOICES) for c, k in keys.items()},
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


def store_channel_map(store_id: int) -> ChannelMap:
    """The milestones × channels one store's journey uses: what the live planner plans with (the
    journey preview replays history through the same map)."""
    return _store_channels({store_id}).get(store_id, DEFAULT_CHANNELS)


def _store_channels(store_ids: set[int]) -> dict[int, ChannelMap]:
    """Each store's journey (one query per batch), from its channel rows; stores without rows are
    left out (they use :data:`DEFAULT_CHANNELS`: e-mail for every milestone)."""
    rows: dict[int, list[tuple[str, bool, object]]] = {}
    for store_id, channel, enabled, milestones in ChannelConfig.objects.filter(
        store_id__in=store_ids
    ).values_list("store_id", "channel", "enabled", "milestones"):
        rows.setdefault(store_id, []).append((channel, enabled, milestones))
    return {store_id: journey_from_rows(store_rows) for store_id, store_rows in rows.items()}


def _event_recipients(item: Planned) -> dict[Channel, str]:
    # Recorded on the outbox row for the audit (who the event was about); delivery reads the
    # order's latest address.
    email, phone = email_key(item.state.email), item.state.phone.strip()
    return {Channel.KLAVIYO: email or phone, Channel.ITERABLE: email}


def _needs_zone(contacts: dict[Channel, str], policy: MessagingPolicy) -> bool:
    # Only channels with quiet hours need the store's zone; e-mail-only journeys skip the read.
    return any(contacts.get(c) for c in policy.quiet_hours)


def _store_places(store_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(time zone, country) of stores whose customers may get SMS: quiet hours need the zone, and
    national phone numbers are read in the country."""
    if not store_ids:
        return {}
    rows = Store.objects.filter(pk__in=store_ids).values_list("pk", "timezone", "country")
    return {pk: (zone or "UTC", country) for pk, zone, country in rows}
