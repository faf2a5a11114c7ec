"""Reads of the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from aftercart.domain.messaging import Channel, ContactChoices, Recent
from aftercart.domain.milestones import Milestone
from aftercart.kernel.personal_data import pseudonyms_of
from aftercart.notifications.models import Message, Preference, PreferenceChange

#: Statuses that mean "went, or will go": what the frequency cap counts.
_LIVE = (Message.Status.PENDING, Message.Status.SENDING, Message.Status.SENT, Message.Status.FAILED)
#: A sent message's send_at can precede its sent_at by the whole retry schedule (8 attempts with
#: a 6 h cap stay well inside this), so the recent window is widened by it on send_at.
_RETRY_SLACK = timedelta(days=2)
_MILESTONES = frozenset(m.value for m in Milestone)
_CHANNELS = frozenset(c.value for c in Channel)


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
    # Filtered by store and address lists, then matched to the exact (store, channel, address) below:
    # the same rows as one OR of per-contact conditions, without Django building hundreds of them
    # per ingest batch (that was a third of the planner's time).
    stores = sorted({c[0] for c in wanted})
    addresses = sorted({c[2] for c in wanted})
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        rows = Message.objects.filter(
            store_id__in=stores, recipient__in=chunk, status__in=_LIVE, send_at__gte=since - _RETRY_SLACK
        ).values_list(
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


def choices_for_contacts(contacts: Iterable[Contact]) -> dict[Contact, ContactChoices]:
    """Each customer's consent and preferences (contacts keyed by normalised address, see
    :func:`aftercart.notifications.contacts.contact_key`), in one query for the whole set.
    Customers who never chose anything are left out (callers default to no choices)."""
    wanted = {c for c in contacts if c[2]}
    if not wanted:
        return {}
    # An erased customer's opt-outs are kept under their pseudonym (aftercart.notifications.
    # personal_data): looked up too, and read first, so a choice made since under the address wins.
    aliases = {alias: address for (_, address), alias in pseudonyms_of((c[0], c[2]) for c in wanted).items()}
    rows = Preference.objects.filter(
        store_id__in={c[0] for c in wanted},
        channel__in={c[1].value for c in wanted},
        address__in={c[2] for c in wanted} | aliases.keys(),
    ).values_list("store_id", "channel", "address", "milestone", "opted_in")
    ordered = sorted(
        ((s, ch, aliases.get(address, address), m, o, address in aliases) for s, ch, address, m, o in rows),
        key=lambda row: not row[5],
    )
    return _fold_choices((row[:5] for row in ordered), wanted)


def choices_for_store(store_id: int) -> dict[Contact, ContactChoices]:
    """Every choice the store's customers made (the journey preview replays many customers and
    looks each up as it meets them). One entry per customer who ever chose something."""
    rows = Preference.objects.filter(store_id=store_id).values_list(
        "store_id", "channel", "address", "milestone", "opted_in"
    )
    return _fold_choices(rows.iterator(chunk_size=2000), None)


def _fold_choices(
    rows: Iterable[tuple[int, str, str, str, bool]], wanted: set[Contact] | None
) -> dict[Contact, ContactChoices]:
    opted: dict[Contact, bool] = {}
    muted: dict[Contact, set[Milestone]] = {}
    for store_id, channel, address, milestone, opted_in in rows:
        if channel not in _CHANNELS:
            continue
        contact = (store_id, Channel(channel), address)
        if wanted is not None and contact not in wanted:
            continue  # the IN lists cross-match another store's or channel's customer
        if not milestone:
            opted[contact] = opted_in
        elif not opted_in and milestone in _MILESTONES:
            muted.setdefault(contact, set()).add(Milestone(milestone))
    return {
        c: ContactChoices(opted_in=opted.get(c), muted=frozenset(muted.get(c, ())))
        for c in opted.keys() | muted.keys()
    }


def choices_for(store_id: int, channel: Channel, address: str) -> ContactChoices:
    """One customer's choices on one channel (no choices when they never made any)."""
    contact = (store_id, channel, address)
    return choices_for_contacts([contact]).get(contact, ContactChoices())


def preference_history(store_id: int, channel: Channel, address: str) -> list[PreferenceChange]:
    """Every consent or preference change of one customer on one channel, oldest first."""
    return list(PreferenceChange.objects.filter(store_id=store_id, channel=channel.value, address=address))


def order_recipients(order_id: int, channel: Channel | str) -> list[str]:
    """The addresses this order's messages on ``channel`` were planned for (normalised), newest
    first: where an old link's address is found once the order's address has changed."""
    rows = (
        Message.objects.filter(order_id=order_id, channel=str(channel))
        .exclude(recipient="")
        .order_by("-id")
        .values_list("recipient", flat=True)
    )
    return list(dict.fromkeys(rows))
