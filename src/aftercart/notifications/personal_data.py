"""The outbox's part of a customer's personal data: the messages planned for them (recipient
address, delivery errors), and their consent and preferences with its history.

Erasure keeps what the audit and the counts need, under the customer's pseudonym: a message row
stays (with its milestone, channel, status and times) with the pseudonym as recipient, so sends
per recipient still add up; unsent messages of the customer are superseded (nothing more goes
out). Opt-outs are kept as a pseudonymous suppression and honoured
(:func:`aftercart.notifications.selectors.choices_for_contacts`), so an erased customer who had
said "stop" is not messaged again by accident (a re-import, a late carrier scan of a new order
with the same address); opt-ins are deleted (there is nothing to honour). Consent history keeps
each change under the pseudonym: proof of when consent was given or withdrawn, without whose.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from aftercart.domain.personal_data import scrub_text
from aftercart.kernel.db import chunks
from aftercart.kernel.personal_data import DataSubject
from aftercart.notifications.models import DeliveryAttempt, Message, Preference, PreferenceChange
from aftercart.orders.personal_data import addresses_in_use

#: Messages that could still go out: superseded by an erasure.
_UNSENT = (Message.Status.PENDING, Message.Status.SENDING, Message.Status.FAILED)
ERASED_REASON = "personal data erased"


def _messages(subject: DataSubject) -> Any:
    # A retention purge takes the old orders' messages only, not those of the customer's newer orders.
    addresses = subject.emails | subject.phones if subject.whole_customer else frozenset()
    return Message.objects.filter(
        Q(order_id__in=subject.order_ids) | Q(recipient__in=addresses), store_id=subject.store_id
    )


def _addresses(subject: DataSubject) -> set[str]:
    """The addresses whose consent records go: all the customer's, or in a retention purge only
    those no other order of the store still uses."""
    addresses = set(subject.emails | subject.phones)
    if not subject.whole_customer:
        addresses -= addresses_in_use(
            store_id=subject.store_id, emails=subject.emails, excluding=sorted(subject.order_ids)
        )
        addresses -= subject.phones  # phones live in snapshots only: left to an erasure request
    return addresses


def export(subject: DataSubject) -> dict[str, Any]:
    """Every message planned for the customer with its attempts, their choices and their history."""
    messages = []
    for m in _messages(subject).order_by("created_at", "pk").prefetch_related("delivery_attempts"):
        messages.append(
            {
                "channel": m.channel,
                "milestone": m.milestone,
                "recipient": m.recipient,
                "status": m.status,
                "reason": m.reason,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "attempts": [
                    {"number": a.number, "outcome": a.outcome, "error": a.error}
                    for a in m.delivery_attempts.all()
                ],
            }
        )
    addresses = subject.emails | subject.phones
    where = {"store_id": subject.store_id, "address__in": addresses}
    preferences = [
        {"channel": p.channel, "address": p.address, "milestone": p.milestone, "opted_in": p.opted_in,
         "source": p.source, "changed_at": p.changed_at.isoformat()}
        for p in Preference.objects.filter(**where).order_by("channel", "milestone")
    ]  # fmt: skip
    history = [
        {"channel": c.channel, "address": c.address, "milestone": c.milestone, "opted_in": c.opted_in,
         "source": c.source, "detail": c.detail, "at": c.at.isoformat()}
        for c in PreferenceChange.objects.filter(**where)
    ]  # fmt: skip
    return {"messages": messages, "preferences": preferences, "preference_history": history}


def erase(subject: DataSubject) -> dict[str, int]:
    """Pseudonymise the customer's messages and consent records (see the module's docstring)."""
    counts = {"messages": 0, "messages_superseded": 0, "attempts": 0, "preferences": 0, "suppressions": 0}
    rows = list(_messages(subject).only("pk", "recipient", "last_error", "status", "reason"))
    for m in rows:
        if m.recipient and not m.recipient.startswith("anon-"):
            m.recipient = subject.pseudonymise(m.recipient)
        m.last_error = scrub_text(m.last_error, subject.needles)
        if m.status in _UNSENT:
            m.status, m.reason = Message.Status.SUPERSEDED, ERASED_REASON
            counts["messages_superseded"] += 1
    Message.objects.bulk_update(rows, ["recipient", "last_error", "status", "reason"], batch_size=500)
    Message.objects.filter(pk__in=[m.pk for m in rows if m.reason == ERASED_REASON]).update(
        next_attempt_at=None, claimed_until=None
    )
    counts["messages"] = len(rows)
    for chunk in chunks([m.pk for m in rows]):
        attempts = list(DeliveryAttempt.objects.filter(message_id__in=chunk).exclude(error=""))
        for a in attempts:
            a.error = scrub_text(a.error, subject.needles)
        DeliveryAttempt.objects.bulk_update(attempts, ["error"], batch_size=500)
        counts["attempts"] += len(attempts)
    for address in sorted(_addresses(subject)):
        alias = subject.pseudonymise(address)
        for pref in Preference.objects.filter(store_id=subject.store_id, address=address):
            counts["preferences"] += 1
            if pref.opted_in:
                pref.delete()
                continue
            # A suppression under the pseudonym (one per scope: an older one gives way).
            Preference.objects.filter(
                store_id=subject.store_id, channel=pref.channel, address=alias, milestone=pref.milestone
            ).delete()
            pref.address = alias
            pref.save(update_fields=["address"])
            counts["suppressions"] += 1
        for change in PreferenceChange.objects.filter(store_id=subject.store_id, address=address):
            change.address, change.detail = alias, scrub_text(change.detail, subject.needles)
            change.save(update_fields=["address", "detail"])
    return counts
