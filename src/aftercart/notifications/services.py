"""Writes to the outbox: record planned messages, claim due ones, deliver them, record attempts.

Delivery guarantee: **at least once**. A row is claimed with a conditional UPDATE that sets a lease
(``claimed_until``); the message is sent outside any transaction; the outcome is recorded after.
A worker that dies between sending and recording leaves the row claimed until the lease expires,
and the next worker sends it again — with the same Message-ID (see
:func:`aftercart.notifications.channels.email.message_id`), so it is recognisable as a repeat.
Nothing is lost: a row leaves the due set only by being recorded as sent, failed or superseded.

The claim works the same on SQLite and PostgreSQL (as healthchecks does it): read candidate ids,
then for each ``UPDATE ... WHERE id = %s AND <still due and unclaimed>``; only the worker whose
UPDATE changed one row goes on. On PostgreSQL a concurrent UPDATE of the same row waits for the
first to commit and then re-checks the WHERE clause, so it changes nothing; SQLite serialises
writers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from aftercart.core.db import insert_rows, update_rows_where
from aftercart.domain.messaging import (
    CUSTOMER_CHANNELS,
    DEFAULT_POLICY,
    Channel,
    Decision,
    consent_reason,
    retry_delay,
    stale_reason,
)
from aftercart.domain.milestones import RETURN_MILESTONES, Milestone
from aftercart.domain.projection import OrderState
from aftercart.notifications.channels import ChannelError, Outbound, RetryableError, Transport, transport_for
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.message_templates import template_errors
from aftercart.notifications.models import (
    ChannelConfig,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    Preference,
    PreferenceChange,
)
from aftercart.notifications.selectors import choices_for
from aftercart.orders.selectors import order_view

logger = logging.getLogger(__name__)

#: Languages templates can be written in (the site's, e.g. "es", "pt-br").
_LANGUAGES = frozenset(code.lower() for code, _ in settings.LANGUAGES)

#: How long a claim holds a message. Longer than any one send (SMTP timeout 20 s, a batch of 50
#: sends sequentially); after it, the message is presumed abandoned and claimable again.
LEASE = timedelta(minutes=5)
#: Attempts before a retryable failure becomes final. With full jitter under ceilings of 5, 10, 20 …
#: 320 minutes, the seven retries ride out an outage of about 5 h on average, 10.6 h at most; a
#: message later than that is rarely still worth sending (and would be re-rendered if it were).
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)

#: Channels where every milestone is its own event: never consolidated when sent.
_EVENT_CHANNELS = frozenset(c.value for c in DEFAULT_POLICY.event_channels)
#: Messages that are each their own, like events: a return's (see aftercart.returns.notify).
_OWN_MESSAGE = frozenset(m.value for m in RETURN_MILESTONES)
_CLAIMABLE = (Message.Status.PENDING, Message.Status.FAILED, Message.Status.SENDING)
_ABANDONED = "lease expired: the worker stopped before recording the outcome (it may have been sent)"


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
    rows = [
        Message(
            store_id=store_id,
            order_id=order_id,
            channel=d.channel.value,
            milestone=d.milestone.value,
            subject=d.subject[:200],
            dedupe_key=d.dedupe_key,
            recipient=recipients.get(d.channel, "")[:254],
            critical=d.critical,
            status=Message.Status.PENDING if d.goes else Message.Status.SUPPRESSED,
            reason=d.reason[:300],
            send_at=d.send_at,
            next_attempt_at=d.send_at if d.goes else None,
            created_at=now,
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
    insert_rows(Message, _MESSAGE_FIELDS, [[getattr(m, a) for a in _MESSAGE_ATTNAMES] for m in rows])
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


_MESSAGE_FIELDS = [f.name for f in Message._meta.concrete_fields if not f.primary_key]
_MESSAGE_ATTNAMES = [Message._meta.get_field(name).attname for name in _MESSAGE_FIELDS]  # type: ignore[union-attr]


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


def _due(now: datetime) -> Q:
    return Q(status__in=_CLAIMABLE, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def messages_claim(*, now: datetime, limit: int = 50, lease: timedelta = LEASE) -> list[int]:
    """Claim up to ``limit`` due messages for this worker until ``now + lease``; their ids.

    Due: pending or retrying with its time come, or sending with an expired lease (a dead worker).
    Each claim counts as an attempt, so a message that crashes every worker still runs out.
    """
    return _claim(now=now, limit=limit, lease=lease)[0]


def _claim(*, now: datetime, limit: int, lease: timedelta) -> tuple[list[int], int]:
    """Claimed ids, and how many due messages were left for a later batch because another message
    of the same order and channel was claimed in this one."""
    candidates = Message.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    claimed: list[int] = []
    deferred = 0
    seen: set[tuple[int, str]] = set()
    for pk, order_id, channel, milestone in candidates.values_list("pk", "order_id", "channel", "milestone")[
        : limit * 2
    ]:
        if len(claimed) == limit:
            break
        if (order_id, channel) in seen and channel not in _EVENT_CHANNELS and milestone not in _OWN_MESSAGE:
            # One message per order and channel per batch: the first, sent with the latest state,
            # withdraws the others still pending (see _attempt_start). Events are each their own.
            deferred += 1
            continue
        won = Message.objects.filter(_due(now), pk=pk).update(
            status=Message.Status.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1
        )
        if won == 1:
            claimed.append(pk)
            seen.add((order_id, channel))
    return claimed, deferred


@dataclass
class DeliveryReport:
    """What one call to :func:`message_deliver_due` did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    suppressed: int = 0
    errors: int = 0
    #: Due but left for the next batch (another message of the same order and channel went first).
    deferred: int = 0


def message_deliver_due(
    *, now: datetime | None = None, limit: int = 50, lease: timedelta = LEASE
) -> DeliveryReport:
    """Claim due messages and deliver each: render the order's latest next step, send outside any
    transaction, record the attempt. Must not be called inside a transaction (its writes use
    ``durable`` atomic blocks, which refuse to nest)."""
    # Sending inside a transaction would tie an irreversible side effect to a rollback: refuse
    # before claiming anything (a durable block raises when nested; test-case transactions are
    # exempt, as Django intends).
    with transaction.atomic(durable=True):
        pass
    now = now or timezone.now()
    ids, deferred = _claim(now=now, limit=limit, lease=lease)
    report = DeliveryReport(claimed=len(ids), deferred=deferred)
    transports: dict[str, Transport] = {}
    try:
        for pk in ids:
            try:
                outcome = _deliver(pk, now, transports)
            except Exception:
                # Left claimed: when the lease expires another pass picks it up again.
                logger.exception("delivering message %s failed before its outcome was recorded", pk)
                report.errors += 1
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
    finally:
        for transport in transports.values():
            transport.close()
    return report


def _deliver(pk: int, now: datetime, transports: dict[str, Transport]) -> str:
    message = Message.objects.select_related("store", "order").get(pk=pk)
    if message.attempts > MAX_ATTEMPTS:
        # Claimed again and again without an outcome ever being recorded: whatever kills the
        # worker on this message, stop feeding it to workers.
        _finish_unsent(message, Message.Status.FAILED, f"gave up after {MAX_ATTEMPTS} attempts")
        return "failed"
    state, step = order_view(message.order, now)
    # The state may have moved on since planning (delivered before the window closed): a message
    # it contradicts is withdrawn rather than sent.
    stale = stale_reason(Milestone(message.milestone), message.subject, state)
    if stale:
        _finish_unsent(message, Message.Status.SUPERSEDED, stale)
        return "superseded"
    if message.channel not in transports:
        try:
            transports[message.channel] = transport_for(message.channel)
        except ChannelError as exc:  # a channel planned but not installed: nothing to retry
            _finish_unsent(message, Message.Status.FAILED, str(exc))
            return "failed"
    transport = transports[message.channel]
    address = transport.address(state) or message.recipient
    if not address:
        _finish_unsent(message, Message.Status.SUPPRESSED, "no address at send time")
        return "suppressed"
    # The customer may have unsubscribed (or texted STOP) since this was planned: ask again.
    refused = _refused_at_send_time(message, state, address)
    if refused:
        _finish_unsent(message, Message.Status.SUPPRESSED, f"{refused} (at send time)")
        return "suppressed"
    capped = _capped_at_send_time(message, now)
    if capped:
        _finish_unsent(message, Message.Status.SUPPRESSED, capped)
        return "suppressed"
    attempt = _attempt_start(message, now)
    started = time.monotonic()
    try:
        provider_id = transport.send(Outbound(message=message, state=state, step=step, address=address))
    except ChannelError as exc:
        error: ChannelError | None = exc
    except Exception as exc:  # a bug in rendering must not wedge the queue: retry, then give up
        logger.exception("unexpected error sending message %s", pk)
        error = RetryableError(f"{type(exc).__name__}: {exc}")
    else:
        error = None
    finished = now + timedelta(seconds=time.monotonic() - started)
    if error is None:
        _record_outcome(message, attempt, finished=finished, provider_id=provider_id)
        return "sent"
    _record_outcome(message, attempt, finished=finished, error=error)
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        return "failed"
    return "retrying"


def _refused_at_send_time(message: Message, state: OrderState, address: str) -> str:
    """The customer's consent and preferences as they are now ("" when they allow the message)."""
    channel = Channel(message.channel)
    if channel not in CUSTOMER_CHANNELS:
        return ""  # events for the store's own tools, which keep their own consent
    milestone = Milestone(message.milestone)
    key = contact_key(channel, address, state.country or message.store.country)
    return consent_reason(channel, milestone, state, choices_for(message.store_id, channel, key))


def _capped_at_send_time(message: Message, now: datetime) -> str:
    """The frequency cap, checked again just before a routine message goes.

    Planning applies it already, but two ingest transactions for one customer can plan at the same
    time without seeing each other's rows (PostgreSQL, READ COMMITTED); checking what was actually
    sent makes "at most one routine message per customer and channel within the cap" hold.
    """
    cap = DEFAULT_POLICY.frequency_cap.get(Channel(message.channel))
    if message.critical or not cap or not message.recipient:
        return ""
    sent_recently = (
        Message.objects.filter(
            store_id=message.store_id,
            channel=message.channel,
            recipient=message.recipient,
            status=Message.Status.SENT,
            critical=False,
            sent_at__gt=now - cap,
        )
        .exclude(pk=message.pk)
        .exists()
    )
    return f"frequency cap ({int(cap.total_seconds() // 3600)}h) at send time" if sent_recently else ""


def _attempt_start(message: Message, now: datetime) -> DeliveryAttempt:
    with transaction.atomic(durable=True):
        # This message renders the order's latest state, so it says all that the other pending
        # messages of this order and channel would (they were planned for milestones already
        # reached): withdraw them. This also consolidates messages that concurrent ingest
        # transactions planned without seeing each other. Not for events: each milestone is one.
        if message.channel not in _EVENT_CHANNELS and message.milestone not in _OWN_MESSAGE:
            # A return's messages are their own (they render the return, not the order): never
            # consolidated into an order's message, nor it into them.
            Message.objects.filter(
                order_id=message.order_id, channel=message.channel, status=Message.Status.PENDING, attempts=0
            ).exclude(pk=message.pk).exclude(milestone__in=_OWN_MESSAGE).update(
                status=Message.Status.SUPERSEDED,
                reason=f"consolidated into {message.milestone} when sent",
                next_attempt_at=None,
            )
        # Attempts of a worker that died mid-send are closed now that the lease has expired.
        DeliveryAttempt.objects.filter(message=message, outcome=DeliveryAttempt.Outcome.IN_FLIGHT).update(
            outcome=DeliveryAttempt.Outcome.RETRYABLE, finished_at=now, error=_ABANDONED
        )
        return DeliveryAttempt.objects.create(message=message, number=message.attempts, started_at=now)


def _record_outcome(
    message: Message,
    attempt: DeliveryAttempt,
    *,
    finished: datetime,
    provider_id: str = "",
    error: ChannelError | None = None,
) -> None:
    """Record a send's outcome on the message and its attempt, in one transaction."""
    if error is None:
        fields = {
            "status": Message.Status.SENT,
            "sent_at": finished,
            "provider_message_id": provider_id[:255],
            "claimed_until": None,
            "next_attempt_at": None,
            "last_error": "",
            "reason": "",
        }
        outcome = DeliveryAttempt.Outcome.SENT
    elif error.permanent or message.attempts >= MAX_ATTEMPTS:
        fields = {
            "status": Message.Status.FAILED,
            "claimed_until": None,
            "next_attempt_at": None,
            "last_error": str(error),
            "reason": "permanent failure"
            if error.permanent
            else f"gave up after {message.attempts} attempts",
        }
        outcome = DeliveryAttempt.Outcome.PERMANENT if error.permanent else DeliveryAttempt.Outcome.RETRYABLE
    else:
        fields = {
            "status": Message.Status.FAILED,
            "claimed_until": None,
            "next_attempt_at": finished + retry_delay(message.attempts, base=RETRY_BASE, cap=RETRY_CAP),
            "last_error": str(error),
            "reason": f"retrying (attempt {message.attempts} of {MAX_ATTEMPTS} failed)",
        }
        outcome = DeliveryAttempt.Outcome.RETRYABLE
    with transaction.atomic(durable=True):
        Message.objects.filter(pk=message.pk).update(**fields)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=outcome, finished_at=finished, error="" if error is None else str(error)
        )


def _finish_unsent(message: Message, status: str, reason: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=status, reason=reason[:300], claimed_until=None, next_attempt_at=None
    )


def message_retry_now(*, message: Message, now: datetime | None = None) -> bool:
    """Put a failed message back in the queue at once (operator action). False if not failed."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            next_attempt_at=now or timezone.now(), claimed_until=None, attempts=0, reason="retry requested"
        )
    )


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
