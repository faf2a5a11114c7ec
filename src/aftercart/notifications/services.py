"""Writes of the notifications app other than delivery: planned messages into the outbox, the
customer's consent and preferences, a store's journey and templates.

Delivering what the outbox holds (claim, render, send, record) is :mod:`aftercart.notifications.delivery`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aftercart.domain.messaging import (
    Channel,
    Decision,
)
from aftercart.domain.milestones import Milestone
from aftercart.kernel.db import insert_rows, update_rows_where
from aftercart.notifications.message_templates import template_errors
from aftercart.notifications.models import (
    ChannelConfig,
    Message,
    MessageTemplate,
    Preference,
    PreferenceChange,
)

#: Languages templates can be written in (the site's, e.g. "es", "pt-br").
_LANGUAGES = frozenset(code.lower() for code, _ in settings.LANGUAGES)


def messages_record_many(
    *,
    records: Sequence[tuple[int, int, Sequence[Decision], Mapping[Channel, str]]],
    now: datetime,
) -> None:
    """Write planned messages to the outbox (inside the caller's transaction: no I/O). Each record
    is (order id, store id, decisions, recipients by channel).

    A dedupe key already present is skipped, not an error: the same milestone is told once. Pending
    messages a decision supersedes are withdrawn if nobody has tried to send them yet.
    """
    # Plain rows, not Message instances: a drain plans thousands of messages, and building model
    # instances (with their init signals) cost more than inserting them.
    pending_status, suppressed = Message.Status.PENDING.value, Message.Status.SUPPRESSED.value
    rows = [
        (
            store_id,
            order_id,
            d.channel.value,
            d.milestone.value,
            d.subject[:200],
            d.dedupe_key,
            recipients.get(d.channel, "")[:254],
            d.critical,
            pending_status if d.goes else suppressed,
            d.reason[:300],
            d.send_at,
            now,
            0,
            d.send_at if d.goes else None,
            None,
            None,
            "",
            "",
        )
        for order_id, store_id, decisions, recipients in records
        for d in decisions
    ]
    if not rows:
        return
    # Bulk statements run with executemany (ledger batches plan hundreds of messages at once):
    # INSERT ... ON CONFLICT DO NOTHING is bulk_create(ignore_conflicts=True) without the ORM's
    # per-value preparation, and the withdrawals are one prepared UPDATE per superseded key, run in
    # decision order (a row withdrawn by an earlier decision is no longer pending for a later one).
    insert_rows(Message, _MESSAGE_FIELDS, rows)
    pending, superseded = Message.Status.PENDING, Message.Status.SUPERSEDED
    update_rows_where(
        Message,
        ("status", "reason", "next_attempt_at"),
        ("dedupe_key", "status", "attempts"),
        [
            (superseded, f"superseded by {d.key}"[:300], None, key, pending, 0)
            for _, _, decisions, _ in records
            for d in decisions
            if d.goes
            for key in d.supersedes
        ],
    )


#: The columns of a new outbox row, in the order :func:`messages_record_many` builds them.
_MESSAGE_FIELDS = (
    "store",
    "order",
    "channel",
    "milestone",
    "subject",
    "dedupe_key",
    "recipient",
    "critical",
    "status",
    "reason",
    "send_at",
    "created_at",
    "attempts",
    "next_attempt_at",
    "claimed_until",
    "sent_at",
    "provider_message_id",
    "last_error",
)


def messages_record(
    *,
    order_id: int,
    store_id: int,
    decisions: Sequence[Decision],
    recipients: Mapping[Channel, str],
    now: datetime,
) -> None:
    """Write one order's planned messages (see :func:`messages_record_many`)."""
    messages_record_many(records=[(order_id, store_id, decisions, recipients)], now=now)


# --- consent and preferences ----------------------------------------------------------------------


def preference_set(
    *,
    store_id: int,
    channel: Channel,
    address: str,
    opted_in: bool,
    source: str,
    milestone: Milestone | None = None,
    detail: str = "",
    order_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a customer's choice on a channel (all milestones, or one): the current
    :class:`Preference` and a :class:`PreferenceChange` in one transaction. ``address`` is the
    normalised contact (:func:`aftercart.notifications.contacts.contact_key`).

    Idempotent: choosing what is already chosen changes nothing and records nothing (a mail client
    posting the one-click unsubscribe twice is one change). Returns whether anything changed.
    """
    if not address:
        raise ValueError("a preference needs the customer's address")
    now = now or timezone.now()
    scope = milestone.value if milestone else ""
    with transaction.atomic():
        current = (
            Preference.objects.select_for_update()
            .filter(store_id=store_id, channel=channel.value, address=address, milestone=scope)
            .first()
        )
        if current is not None and current.opted_in == opted_in:
            return False
        if current is None:
            Preference.objects.create(
                store_id=store_id,
                channel=channel.value,
                address=address,
                milestone=scope,
                opted_in=opted_in,
                source=source,
                changed_at=now,
            )
        else:
            Preference.objects.filter(pk=current.pk).update(opted_in=opted_in, source=source, changed_at=now)
        PreferenceChange.objects.create(
            store_id=store_id,
            channel=channel.value,
            address=address,
            milestone=scope,
            opted_in=opted_in,
            source=source,
            detail=detail[:200],
            order_id=order_id,
            at=now,
        )
    return True


# --- journeys and templates -------------------------------------------------------------------------


def channel_config_ensure(*, store_id: int, channel: Channel, settings: Mapping[str, str]) -> bool:
    """Set a channel up for a store with ``settings`` (the journey's defaults), unless the store
    already has a row for it: one an operator edited is never overwritten. Returns whether it was
    created."""
    _, created = ChannelConfig.objects.get_or_create(
        store_id=store_id, channel=channel.value, defaults={"settings": dict(settings)}
    )
    return created


class Refused(Exception):
    """A store's journey or template change that was not made, with what is wrong by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def journey_set(*, store_id: int, channels: Mapping[str, Sequence[str] | None]) -> None:
    """Set which milestones each named channel carries (``None``: back to its defaults); channels
    not named keep theirs. E-mail needs no configuration; other channels must be set up first
    (their credentials), since a journey cannot send on a channel that has none. All or nothing."""
    known_milestones = {m.value for m in Milestone}
    errors: dict[str, str] = {}
    configured = set(ChannelConfig.objects.filter(store_id=store_id).values_list("channel", flat=True))
    for name, milestones in channels.items():
        field = f"channels.{name}"
        if name not in {c.value for c in Channel}:
            errors[field] = f"unknown channel {name!r}"
        elif name != Channel.EMAIL and name not in configured:
            errors[field] = f"{name} is not set up for this store: add its settings first"
        elif milestones is not None:
            unknown = [m for m in milestones if m not in known_milestones]
            if unknown:
                errors[field] = f"unknown milestone {unknown[0]!r}"
    if errors:
        raise Refused(errors)
    with transaction.atomic():
        for name, milestones in channels.items():
            value = None if milestones is None else [m.value for m in Milestone if m.value in set(milestones)]
            updated = ChannelConfig.objects.filter(store_id=store_id, channel=name).update(
                milestones=value, updated_at=timezone.now()
            )
            if not updated:  # e-mail, never configured before
                ChannelConfig.objects.create(store_id=store_id, channel=name, milestones=value)


def message_template_save(
    *, store_id: int, channel: str, milestone: str, locale: str, subject: str, body: str
) -> MessageTemplate:
    """Create or replace the store's template for a channel, milestone and language ("" for all),
    after checking it renders (:func:`~aftercart.notifications.message_templates.template_errors`);
    :class:`Refused` naming the field otherwise, and nothing is stored."""
    locale = (locale or "").strip().lower().replace("_", "-")
    errors = template_errors(channel, milestone, subject, body)
    if locale and locale not in _LANGUAGES and locale.split("-")[0] not in _LANGUAGES:
        errors["locale"] = f"unknown language {locale!r} (one of: {', '.join(sorted(_LANGUAGES))}, or empty)"
    if errors:
        raise Refused(errors)
    template, _ = MessageTemplate.objects.update_or_create(
        store_id=store_id,
        channel=channel,
        milestone=milestone,
        locale=locale,
        defaults={"subject": subject.strip(), "body": body},
    )
    return template


def message_template_delete(*, store_id: int, channel: str, milestone: str, locale: str) -> bool:
    """Remove a store's template (the built-in text is used again). False if there was none."""
    deleted, _ = MessageTemplate.objects.filter(
        store_id=store_id, channel=channel, milestone=milestone, locale=(locale or "").lower()
    ).delete()
    return bool(deleted)
