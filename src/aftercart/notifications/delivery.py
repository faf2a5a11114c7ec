"""Writes to the outbox: record planned messages, claim due ones, deliver them, record attempts.

Delivery guarantee: **at least once**. A row is claimed by setting a lease (``claimed_until``) on
it; the message is sent outside any transaction; the outcome is recorded after.
A worker that dies between sending and recording leaves the row claimed until the lease expires,
and the next worker sends it again — with the same Message-ID (see
:func:`aftercart.notifications.channels.email.message_id`), so it is recognisable as a repeat.
Nothing is lost: a row leaves the due set only by being recorded as sent, failed or superseded.

The claim works the same on SQLite and PostgreSQL: read candidate ids, stores taking turns (each
store's oldest due message first, then each store's second: one store's backlog never keeps
another's messages waiting beyond the next batch), then in one transaction
``SELECT ... WHERE id IN (...) AND <still due and unclaimed> FOR UPDATE SKIP LOCKED`` and mark the
rows it returns as claimed. On PostgreSQL a row another worker is claiming is skipped, and one it
claimed meanwhile is re-checked against the WHERE clause and left out; SQLite serialises writers
(the transaction begins IMMEDIATE), where FOR UPDATE is not needed.

A batch reads what its messages need in a handful of queries (the rows, their orders' facts, the
customers' choices, recent sends, the stores' templates); each message's attempt and outcome are
still written on their own, just before and just after it is sent.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from aftercart.domain.facts import Fact
from aftercart.domain.messaging import (
    CUSTOMER_CHANNELS,
    DEFAULT_POLICY,
    Channel,
    ContactChoices,
    Withheld,
    capped,
    retry_delay,
    send_time_verdict,
)
from aftercart.domain.milestones import Milestone
from aftercart.kernel.caches import memoised
from aftercart.kernel.db import insert_rows, update_rows_where
from aftercart.notifications.channels import ChannelError, Outbound, RetryableError, Transport, transport_for
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.message_templates import BUILT_IN_TEXT, templates_cached
from aftercart.notifications.models import (
    DeliveryAttempt,
    Message,
)
from aftercart.notifications.renderers import own_milestones, renderer_for
from aftercart.notifications.selectors import Contact, choices_for_contacts
from aftercart.orders.selectors import facts_for_orders, order_view_of

logger = logging.getLogger(__name__)

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
_CLAIMABLE = (Message.Status.PENDING, Message.Status.FAILED, Message.Status.SENDING)
_ABANDONED = "lease expired: the worker stopped before recording the outcome (it may have been sent)"


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
    of the same order and channel was claimed in this one.

    Stores take turns: the candidates are every store's oldest due message, then every store's
    second oldest, and so on (``ROW_NUMBER() OVER (PARTITION BY store_id ...)``, on SQLite and
    PostgreSQL alike), so a batch serves every store with messages due (up to ``limit`` stores), a
    store with a backlog gets the share of the batch the others leave, and no store's backlog or
    slow sends hold another's messages back for more than one batch."""
    turn = Window(
        RowNumber(), partition_by=[F("store_id")], order_by=[F("next_attempt_at").asc(), F("pk").asc()]
    )
    candidates = (
        Message.objects.filter(_due(now))
        .annotate(store_turn=turn)
        .order_by("store_turn", "next_attempt_at", "pk")
    )
    wanted: list[int] = []
    deferred = 0
    seen: set[tuple[int, str]] = set()
    own = own_milestones()  # messages each their own, like events (a return's): see renderers
    for pk, order_id, channel, milestone in candidates.values_list("pk", "order_id", "channel", "milestone")[
        : limit * 2
    ]:
        if len(wanted) == limit:
            break
        if (order_id, channel) in seen and channel not in _EVENT_CHANNELS and milestone not in own:
            # One message per order and channel per batch: the first, sent with the latest state,
            # withdraws the others still pending (see _attempt_start). Events are each their own.
            deferred += 1
            continue
        wanted.append(pk)
        seen.add((order_id, channel))
    if not wanted:
        return [], deferred
    with transaction.atomic():
        # Lock the candidates that are still due, skipping those another worker is claiming right
        # now; rows it claimed and committed meanwhile are re-checked against "due" and left out.
        won = set(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk__in=wanted)
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=won).update(
            status=Message.Status.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1
        )
    return [pk for pk in wanted if pk in won], deferred


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
    if ids:
        _deliver_batch(ids, now, report)
    return report


@dataclass(slots=True)
class _Ready:
    """A claimed message that may go: rendered from its order's latest state, to be sent by
    ``transport`` unless the customer's choices or the frequency cap stop it."""

    outbound: Outbound
    transport: Transport
    #: The customer as consent is stored (None on the store's own event channels).
    contact: Contact | None


def _deliver_batch(ids: list[int], now: datetime, report: DeliveryReport) -> None:
    """Deliver claimed messages, reading what they all need in a few set-based queries: the rows
    with their stores and orders, the orders' facts, the customers' choices, recent sends.

    Each message is still judged, sent and recorded on its own: one failing (a rendering bug, a
    malformed fact) is logged and left claimed, and the others go. A message's attempt is recorded
    just before it is sent and its outcome just after, so a worker that dies mid-batch resends at
    most the messages it had on the wire (:data:`ON_THE_WIRE`; the others are recorded, or were
    never attempted).
    """
    rows = Message.objects.select_related("store", "order__store").in_bulk(ids)
    messages = [rows[pk] for pk in ids if pk in rows]
    facts = facts_for_orders(sorted({m.order_id for m in messages}))
    transports: dict[str, Transport] = {}
    try:
        ready: list[_Ready] = []
        for message in messages:
            prepared = _guarded(
                report, message.pk, _prepare, message, facts.get(message.order_id, ()), now, transports
            )
            if isinstance(prepared, _Ready):
                ready.append(prepared)
        # The customer's consent and the frequency cap, as they are now, for the whole batch.
        choices = choices_for_contacts(r.contact for r in ready if r.contact)
        sends = _RecentSends.load([r.outbound.message for r in ready], now)
        with templates_cached():
            _send_all(ready, choices, sends, now, report)
    finally:
        for transport in transports.values():
            transport.close()


def _guarded(report: DeliveryReport, pk: int, step: Callable[..., object], *args: object) -> object:
    """Run one message's step, counting its outcome; an unexpected error leaves the message claimed
    (when the lease expires another pass picks it up again) and the batch goes on."""
    try:
        result = step(*args)
    except Exception:
        logger.exception("delivering message %s failed before its outcome was recorded", pk)
        report.errors += 1
        return None
    if isinstance(result, str):
        setattr(report, result, getattr(report, result) + 1)
    return result


def _prepare(
    message: Message, facts: Sequence[Fact], now: datetime, transports: dict[str, Transport]
) -> _Ready | str:
    """What stands before sending that the batch's shared reads are not needed for: the attempt
    count, the order's latest state, the channel's transport and the address. An outcome when the
    message stops here."""
    if message.attempts > MAX_ATTEMPTS:
        # Claimed again and again without an outcome ever being recorded: whatever kills the
        # worker on this message, stop feeding it to workers.
        _finish_unsent(message, Message.Status.FAILED, f"gave up after {MAX_ATTEMPTS} attempts")
        return "failed"
    state, step = order_view_of(message.order, facts, now)
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
    channel = Channel(message.channel)
    contact: Contact | None = None
    if channel in CUSTOMER_CHANNELS:  # events for the store's own tools keep their own consent
        contact = (
            message.store_id,
            channel,
            contact_key(channel, address, state.country or message.store.country),
        )
    outbound = Outbound(message=message, state=state, step=step, address=address)
    return _Ready(outbound=outbound, transport=transport, contact=contact)


#: Messages a batch may have handed to their transports without knowing the outcome yet (for a
#: transport that can transmit while the batch goes on, see EmailTransport): the wait for one
#: server's replies overlaps rendering and recording the next messages.
ON_THE_WIRE = 4


@dataclass(slots=True)
class _Sending:
    """A message handed to its transport, its outcome to come."""

    ready: _Ready
    outcome: Future[str]
    started: float


def _send_all(
    ready: Sequence[_Ready],
    choices: Mapping[Contact, ContactChoices],
    sends: _RecentSends,
    now: datetime,
    report: DeliveryReport,
) -> None:
    """Send the batch's messages in order, up to :data:`ON_THE_WIRE` at once, recording each
    outcome as it comes (oldest first)."""
    wire = ThreadPoolExecutor(max_workers=ON_THE_WIRE, thread_name_prefix="aftercart-send")
    sending: deque[_Sending] = deque()

    def finish_oldest() -> None:
        done = sending.popleft()
        _guarded(report, done.ready.outbound.message.pk, _finish, done, sends, now)

    try:
        for r in ready:
            key = sends.key(r.outbound.message)
            if key is not None and key in {sends.key(s.ready.outbound.message) for s in sending}:
                # The cap for this customer depends on whether the message on its way to them
                # goes through: wait for it.
                while sending:
                    finish_oldest()
            started = _guarded(report, r.outbound.message.pk, _start, r, choices, sends, now, wire)
            if isinstance(started, _Sending):
                sending.append(started)
            while len(sending) >= ON_THE_WIRE:
                finish_oldest()
        while sending:
            finish_oldest()
    finally:
        wire.shutdown(wait=True)


def _start(
    ready: _Ready,
    choices: Mapping[Contact, ContactChoices],
    sends: _RecentSends,
    now: datetime,
    wire: ThreadPoolExecutor,
) -> _Sending | str:
    """Ask once more whether the message may go (:func:`send_time_verdict`: the order's latest
    state, the customer's choices, the cap), record the attempt, hand the message to its transport;
    the outcome when it does not go."""
    outbound = ready.outbound
    message = outbound.message
    # The state may have moved on since planning (delivered before the window closed), the customer
    # may have unsubscribed (or texted STOP), another routine message may have gone: ask again.
    verdict = send_time_verdict(
        channel=Channel(message.channel),
        milestone=Milestone(message.milestone),
        subject=message.subject,
        critical=message.critical,
        state=outbound.state,
        choices=choices.get(ready.contact) if ready.contact is not None else None,
        address=message.recipient,
        sent=sends.sent_before(message),
        now=now,
        subject_stale=_subject_stale(message),
    )
    if verdict is not None:
        if verdict.rule is Withheld.STALE:  # contradicted: withdrawn rather than sent
            _finish_unsent(message, Message.Status.SUPERSEDED, verdict.reason)
            return "superseded"
        _finish_unsent(message, Message.Status.SUPPRESSED, verdict.reason)
        return "suppressed"
    _attempt_start(message, now)
    started = time.monotonic()
    transport = ready.transport
    outcome: Future[str]
    prepare = getattr(transport, "prepare", None)
    transmit = getattr(transport, "transmit", None)
    try:
        if prepare is None or transmit is None:
            outcome = Future()
            outcome.set_result(transport.send(outbound))
        else:
            # Rendered here (it reads the database, which belongs to this thread), sent there.
            outcome = wire.submit(transmit, prepare(outbound))
    except Exception as exc:
        outcome = Future()
        outcome.set_exception(exc)
    return _Sending(ready=ready, outcome=outcome, started=started)


def _subject_stale(message: Message) -> str:
    """The message's own subject's verdict (a return that moved past the milestone), "" for an
    order's message or a subject without the check."""
    renderer = renderer_for(message.milestone)
    if renderer is None or renderer.stale_reason is None:
        return ""
    return renderer.stale_reason(message)


def _finish(sending: _Sending, sends: _RecentSends, now: datetime) -> str:
    """Wait for a send's outcome and record it."""
    message = sending.ready.outbound.message
    try:
        provider_id = sending.outcome.result()
    except ChannelError as exc:
        error: ChannelError | None = exc
    except Exception as exc:  # a bug in rendering must not wedge the queue: retry, then give up
        logger.error("unexpected error sending message %s", message.pk, exc_info=exc)
        error = RetryableError(f"{type(exc).__name__}: {exc}")
    else:
        error = None
    finished = now + timedelta(seconds=time.monotonic() - sending.started)
    if error is None:
        _record_outcome(message, finished=finished, provider_id=provider_id)
        sends.add(message, finished)
        return "sent"
    _record_outcome(message, finished=finished, error=error)
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        return "failed"
    return "retrying"


class _RecentSends:
    """Routine messages sent to the batch's customers within the frequency cap: read once for the
    batch, then kept up to date with what the batch itself sends.

    Planning applies the cap already, but two ingest transactions for one customer can plan at the
    same time without seeing each other's rows (PostgreSQL, READ COMMITTED); checking what was
    actually sent makes "at most one routine message per customer and channel within the cap" hold.
    (A message another worker sends while this batch runs, seconds long, is not seen: the same gap
    as between any worker's send and its record.)
    """

    def __init__(self, sent: Mapping[tuple[int, str, str], list[tuple[int, datetime]]]) -> None:
        self._sent = {key: list(value) for key, value in sent.items()}

    @classmethod
    def load(cls, messages: Sequence[Message], now: datetime) -> _RecentSends:
        limited = [m for m in messages if _cap(m)]
        sent: dict[tuple[int, str, str], list[tuple[int, datetime]]] = {}
        if limited:
            longest = max(_cap(m) for m in limited)
            rows = Message.objects.filter(
                store_id__in={m.store_id for m in limited},
                channel__in={m.channel for m in limited},
                recipient__in={m.recipient for m in limited},
                status=Message.Status.SENT,
                critical=False,
                sent_at__gt=now - longest,
            ).values_list("pk", "store_id", "channel", "recipient", "sent_at", "milestone")
            for pk, store_id, channel, recipient, sent_at, milestone in rows:
                if not capped(Milestone(milestone), False):
                    continue  # a closing message is not counted against the next ones
                sent.setdefault((store_id, channel, recipient), []).append((pk, sent_at))  # type: ignore[arg-type]  # sent_at__gt: never NULL (the stubs type the nullable column)
        return cls(sent)

    @staticmethod
    def key(message: Message) -> tuple[int, str, str] | None:
        """Whose sends the cap counts together with this message's (None: it is not capped)."""
        return (message.store_id, message.channel, message.recipient) if _cap(message) else None

    def sent_before(self, message: Message) -> list[datetime]:
        """When the routine messages the cap counts with this one went (this one aside)."""
        if not _cap(message):
            return []
        key = (message.store_id, message.channel, message.recipient)
        return [sent_at for pk, sent_at in self._sent.get(key, ()) if pk != message.pk]

    def add(self, message: Message, sent_at: datetime) -> None:
        """The batch sent this message."""
        if _cap(message):
            self._sent.setdefault((message.store_id, message.channel, message.recipient), []).append(
                (message.pk, sent_at)
            )


def _cap(message: Message) -> timedelta:
    """The frequency cap this message is subject to (zero: none; critical and closing messages
    always go: :func:`~aftercart.domain.messaging.capped`)."""
    if not capped(Milestone(message.milestone), message.critical) or not message.recipient:
        return timedelta(0)
    return DEFAULT_POLICY.frequency_cap.get(Channel(message.channel)) or timedelta(0)


# The writes of one delivery run once per message, so they are prepared statements (see
# aftercart.kernel.db) rather than ORM queries, whose building cost more than the database's work.
_CLOSE_ATTEMPT = (("outcome", "finished_at", "error"), ("message", "outcome"))
_ATTEMPT_FIELDS = ("message", "number", "started_at", "outcome", "error")
_FINISH = ("status", "reason", "claimed_until", "next_attempt_at")


@memoised("notifications.consolidate_sql", maxsize=None)
def _consolidate_sql(vendor: str, owned: int) -> str:
    """``Message.objects.filter(order_id=, channel=, status=, attempts=0).exclude(milestone__in=
    own_milestones()).update(status=, reason=, next_attempt_at=None)``, built once."""
    qn = connection.ops.quote_name
    own = ", ".join(["%s"] * owned)
    return (
        f"UPDATE {qn(Message._meta.db_table)} SET {qn('status')} = %s, {qn('reason')} = %s, "
        f"{qn('next_attempt_at')} = NULL WHERE {qn('order_id')} = %s AND {qn('channel')} = %s "
        f"AND {qn('status')} = %s AND {qn('attempts')} = 0"
        + (f" AND {qn('milestone')} NOT IN ({own})" if own else "")
    )


def _attempt_start(message: Message, now: datetime) -> None:
    with transaction.atomic(durable=True):
        # This message renders the order's latest state, so it says all that the other pending
        # messages of this order and channel would (they were planned for milestones already
        # reached): withdraw them. This also consolidates messages that concurrent ingest
        # transactions planned without seeing each other. Not for events: each milestone is one.
        # (This message itself is "sending", so the "pending" condition leaves it alone.)
        own = own_milestones()
        if message.channel not in _EVENT_CHANNELS and message.milestone not in own:
            # A return's messages are their own (they render the return, not the order): never
            # consolidated into an order's message, nor it into them.
            reason = f"consolidated into {message.milestone} when sent"
            with connection.cursor() as cursor:
                cursor.execute(
                    _consolidate_sql(connection.vendor, len(own)),
                    [
                        Message.Status.SUPERSEDED,
                        reason,
                        message.order_id,
                        message.channel,
                        Message.Status.PENDING,
                        *sorted(own),
                    ],
                )
        # Attempts of a worker that died mid-send are closed now that the lease has expired, which
        # leaves the one started here as the message's only attempt in flight.
        in_flight = DeliveryAttempt.Outcome.IN_FLIGHT
        update_rows_where(
            DeliveryAttempt,
            *_CLOSE_ATTEMPT,
            [(DeliveryAttempt.Outcome.RETRYABLE, now, _ABANDONED, message.pk, in_flight)],
        )
        insert_rows(DeliveryAttempt, _ATTEMPT_FIELDS, [(message.pk, message.attempts, now, in_flight, "")])


def _record_outcome(
    message: Message,
    *,
    finished: datetime,
    provider_id: str = "",
    error: ChannelError | None = None,
) -> None:
    """Record a send's outcome on the message and its attempt (the one in flight), in one
    transaction."""
    values: dict[str, object]
    if error is None:
        values = {
            "status": Message.Status.SENT,
            "sent_at": finished,
            "provider_message_id": provider_id[:255],
            "claimed_until": None,
            "next_attempt_at": None,
            "last_error": "",
            # Sent with the built-in text because the store's template could not be used: say so.
            "reason": message.reason if message.reason.startswith(BUILT_IN_TEXT) else "",
        }
        outcome = DeliveryAttempt.Outcome.SENT
    elif error.permanent or message.attempts >= MAX_ATTEMPTS:
        values = {
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
        values = {
            "status": Message.Status.FAILED,
            "claimed_until": None,
            "next_attempt_at": finished + retry_delay(message.attempts, base=RETRY_BASE, cap=RETRY_CAP),
            "last_error": str(error),
            "reason": f"retrying (attempt {message.attempts} of {MAX_ATTEMPTS} failed)",
        }
        outcome = DeliveryAttempt.Outcome.RETRYABLE
    in_flight = DeliveryAttempt.Outcome.IN_FLIGHT
    with transaction.atomic(durable=True):
        update_rows_where(Message, tuple(values), ("id",), [(*values.values(), message.pk)])
        update_rows_where(
            DeliveryAttempt,
            *_CLOSE_ATTEMPT,
            [(outcome, finished, "" if error is None else str(error), message.pk, in_flight)],
        )


def _finish_unsent(message: Message, status: str, reason: str) -> None:
    update_rows_where(Message, _FINISH, ("id",), [(status, reason[:300], None, None, message.pk)])


def message_retry_now(*, message: Message, now: datetime | None = None) -> bool:
    """Put a failed message back in the queue at once (operator action). False if not failed."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            next_attempt_at=now or timezone.now(), claimed_until=None, attempts=0, reason="retry requested"
        )
    )
