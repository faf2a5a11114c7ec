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
stores' templates). Each message then passes its gate (:mod:`aftercart.notifications.send_gate`):
one short transaction, serialised per customer and per order across every worker, that reads the
customer's consent and sends as they are at that moment, decides, and records the attempt; the
outcome is written just after the send.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from aftercart.domain.facts import Fact
from aftercart.domain.messaging import CUSTOMER_CHANNELS, Channel, retry_delay
from aftercart.kernel.db import update_rows_where
from aftercart.notifications.channels import ChannelError, Outbound, RetryableError, Transport, transport_for
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.message_templates import BUILT_IN_TEXT, templates_cached
from aftercart.notifications.models import (
    DeliveryAttempt,
    Message,
)
from aftercart.notifications.selectors import Contact
from aftercart.notifications.send_gate import cap_key, consolidates, finish_unsent, message_gate
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

_CLAIMABLE = (Message.Status.PENDING, Message.Status.FAILED, Message.Status.SENDING)


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
    for pk, order_id, channel, milestone in candidates.values_list("pk", "order_id", "channel", "milestone")[
        : limit * 2
    ]:
        if len(wanted) == limit:
            break
        if (order_id, channel) in seen and consolidates(channel, milestone):
            # One message per order and channel per batch: the first, sent with the latest state,
            # withdraws the others still pending (see send_gate). Events are each their own.
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
    #: Put back for a moment: another worker had a message to the same customer (or of the same
    #: order) on the wire, and the cap or consolidation depends on its outcome.
    waiting: int = 0
    #: Taken over by another worker after this one's lease ran out (left to that worker).
    lost: int = 0
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
    with their stores and orders, the orders' facts. The customer's consent and the cap are read
    per message, at its gate (:mod:`~aftercart.notifications.send_gate`): as they are at that
    moment, whatever other workers did meanwhile.

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
        with templates_cached():
            _send_all(ready, now, report)
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
        finish_unsent(message, Message.Status.FAILED, f"gave up after {MAX_ATTEMPTS} attempts")
        return "failed"
    state, step = order_view_of(message.order, facts, now)
    if message.channel not in transports:
        try:
            transports[message.channel] = transport_for(message.channel)
        except ChannelError as exc:  # a channel planned but not installed: nothing to retry
            finish_unsent(message, Message.Status.FAILED, str(exc))
            return "failed"
    transport = transports[message.channel]
    address = transport.address(state) or message.recipient
    if not address:
        finish_unsent(message, Message.Status.SUPPRESSED, "no address at send time")
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
    now: datetime,
    report: DeliveryReport,
) -> None:
    """Send the batch's messages in order, up to :data:`ON_THE_WIRE` at once, recording each
    outcome as it comes (oldest first)."""
    wire = ThreadPoolExecutor(max_workers=ON_THE_WIRE, thread_name_prefix="aftercart-send")
    sending: deque[_Sending] = deque()

    def finish_oldest() -> None:
        done = sending.popleft()
        _guarded(report, done.ready.outbound.message.pk, _finish, done, now)

    try:
        for r in ready:
            key = cap_key(r.outbound.message)
            if key is not None and key in {cap_key(s.ready.outbound.message) for s in sending}:
                # The cap for this customer depends on whether the message on its way to them
                # goes through: wait for it.
                while sending:
                    finish_oldest()
            started = _guarded(report, r.outbound.message.pk, _start, r, now, wire)
            if isinstance(started, _Sending):
                sending.append(started)
            while len(sending) >= ON_THE_WIRE:
                finish_oldest()
        while sending:
            finish_oldest()
    finally:
        wire.shutdown(wait=True)


def _start(ready: _Ready, now: datetime, wire: ThreadPoolExecutor) -> _Sending | str:
    """Pass the message through its gate (:func:`~aftercart.notifications.send_gate.message_gate`:
    the order's latest state, the customer's choices and sends as they are now, serialised with the
    other workers), then hand it to its transport; the outcome when it does not go."""
    outbound = ready.outbound
    message = outbound.message
    # The state may have moved on since planning (delivered before the window closed), the customer
    # may have unsubscribed (or texted STOP), another routine message may have gone: ask again.
    held = message_gate(message, state=outbound.state, contact=ready.contact, now=now)
    if held is not None:
        return held
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


def _finish(sending: _Sending, now: datetime) -> str:
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
        return "sent"
    _record_outcome(message, finished=finished, error=error)
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        return "failed"
    return "retrying"


# The writes of one delivery run once per message, so they are prepared statements (see
# aftercart.kernel.db) rather than ORM queries, whose building cost more than the database's work.
_CLOSE_ATTEMPT = (("outcome", "finished_at", "error"), ("message", "outcome"))


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


def message_retry_now(*, message: Message, now: datetime | None = None) -> bool:
    """Put a failed message back in the queue at once (operator action). False if not failed."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            next_attempt_at=now or timezone.now(), claimed_until=None, attempts=0, reason="retry requested"
        )
    )
