"""The send-time gate: the last look at a claimed message before it goes, one customer at a time.

Many workers, on many machines, deliver from one outbox. Whether a message may go depends on what
else is going: the frequency cap counts the customer's other routine messages, consolidation the
order's other messages on the channel, consent the customer's latest choice. A worker that judged
its whole batch against what it read when the batch began could send to a customer another worker
had just written to (both saw "nothing sent yet"), and an unsubscribe made while the batch ran was
not seen.

So each message passes :func:`message_gate` in one short transaction that first takes two locks
(:func:`aftercart.kernel.db.serialise_on`: advisory locks on PostgreSQL; SQLite's IMMEDIATE
transactions already make writers take turns):

- **the customer's**: store, channel and the address the message was planned for, whose routine
  messages the cap counts together (routine messages only: critical and closing ones are never
  capped);
- **the order's on the channel**: whose messages consolidate into one (not the event channels, not a
  subject's own messages: those are each their own).

Holding them it reads, as committed now: its own row (still claimed by this worker?), the customer's
consent, the routine messages sent to the customer within the cap, and the messages of the customer
or the order that another worker is sending right now. Then it decides (the domain's
:func:`~aftercart.domain.messaging.send_time_verdict`) and records the outcome or the attempt before
letting go. The attempt in flight is what the next gate for that customer sees: the message after it
waits for its outcome (the cap depends on whether it went) instead of guessing.

The send itself happens after the commit, outside any transaction: a lock is never held across the
network.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from aftercart.domain.messaging import DEFAULT_POLICY, Channel, Withheld, capped, send_time_verdict
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.caches import memoised
from aftercart.kernel.db import insert_rows, serialise_on, update_rows_where
from aftercart.kernel.reads import FixedRead
from aftercart.notifications.models import DeliveryAttempt, Message
from aftercart.notifications.renderers import own_milestones, renderer_for
from aftercart.notifications.selectors import Contact, choices_for_contacts

logger = logging.getLogger(__name__)

#: How long a message waits when another message to its customer (or of its order) is on the wire
#: at another worker: about the time one send takes, so it is judged again soon after that outcome.
WAIT = timedelta(seconds=2)

_EVENT_CHANNELS = frozenset(c.value for c in DEFAULT_POLICY.event_channels)
_SENT, _SENDING = Message.Status.SENT.value, Message.Status.SENDING.value
_ABANDONED = "lease expired: the worker stopped before recording the outcome (it may have been sent)"
_CLOSE_ATTEMPT = (("outcome", "finished_at", "error"), ("message", "outcome"))
_ATTEMPT_FIELDS = ("message", "number", "started_at", "outcome", "error")
_FINISH = ("status", "reason", "claimed_until", "next_attempt_at")

_OWN = FixedRead(Message, "id = %s", fields=("status", "claimed_until"))
_CUT_SHORT = FixedRead(DeliveryAttempt, "message_id = %s AND outcome = %s", fields=("id",))
_M, _A = Message._meta.db_table, DeliveryAttempt._meta.db_table
#: Sending with an attempt in flight (one statement with the rest: read apart, a send recorded in
#: between would be seen neither in flight nor sent).
_ON_THE_WIRE = (
    f'status = %s AND EXISTS (SELECT 1 FROM "{_A}" WHERE "{_A}"."message_id" = "{_M}"."id" AND "{_A}".'
    '"outcome" = %s)'
)
#: The customer's routine messages sent within the cap or on the wire, and the order's messages on
#: the channel on the wire (message_recipient_recent and message_order_channel find them).
_NEIGHBOURS = FixedRead(
    Message,
    "id <> %s AND channel = %s AND ((%s AND store_id = %s AND recipient = %s AND critical = %s"
    f" AND ((status = %s AND sent_at > %s) OR ({_ON_THE_WIRE}))) OR (%s AND order_id = %s AND {_ON_THE_WIRE}))",
    fields=("order_id", "status", "sent_at", "milestone", "recipient", "critical"),
)


def cap_of(message: Message) -> timedelta:
    """The frequency cap this message is subject to (zero: none; critical and closing messages
    always go: :func:`~aftercart.domain.messaging.capped`)."""
    if not capped(Milestone(message.milestone), message.critical) or not message.recipient:
        return timedelta(0)
    return DEFAULT_POLICY.frequency_cap.get(Channel(message.channel)) or timedelta(0)


def cap_key(message: Message) -> tuple[int, str, str] | None:
    """Whose sends the cap counts together with this message's (None: it is not capped)."""
    return (message.store_id, message.channel, message.recipient) if cap_of(message) else None


def consolidates(channel: str, milestone: str) -> bool:
    """Whether this message stands for its order's other pending messages on the channel (it renders
    the order's latest state). Events are each their own, and so is a subject's own message (a
    return's: it renders the return, not the order)."""
    return channel not in _EVENT_CHANNELS and milestone not in own_milestones()


def message_gate(
    message: Message, *, state: OrderState, contact: Contact | None, now: datetime
) -> str | None:
    """Judge a claimed message once more, serialised with every other worker judging a message to
    the same customer or of the same order and channel; ``None`` when it goes (its attempt is then
    recorded as in flight), else the outcome, already recorded:

    - ``"superseded"``: stale, or another worker's message consolidated it;
    - ``"suppressed"``: no consent now, or the cap (another routine message went);
    - ``"waiting"``: another message to the customer, or of the order, is on the wire elsewhere; put
      back to be judged again in :data:`WAIT` (the claim is not counted as an attempt);
    - ``"lost"``: the lease ran out and another worker took the message over: left to it.
    """
    cap = cap_of(message)
    merges = consolidates(message.channel, message.milestone)
    keys = []
    if cap:
        keys.append(f"aftercart.cap:{message.store_id}:{message.channel}:{message.recipient}")
    if merges:
        keys.append(f"aftercart.consolidate:{message.order_id}:{message.channel}")
    with transaction.atomic(durable=True):
        serialise_on(*keys)
        own = _OWN.rows([message.pk])
        if not own or own[0] != (_SENDING, message.claimed_until):
            if own and own[0][0] == Message.Status.SUPERSEDED:
                return "superseded"  # another worker's message, sent first, consolidated it
            logger.warning(
                "message %s was taken over by another worker (this one's lease ran out)", message.pk
            )
            return "lost"
        sent, busy = _neighbours(message, cap=cap, merges=merges, now=now)
        if busy:
            _wait(message)
            return "waiting"
        verdict = send_time_verdict(
            channel=Channel(message.channel),
            milestone=Milestone(message.milestone),
            subject=message.subject,
            critical=message.critical,
            state=state,
            choices=choices_for_contacts([contact]).get(contact) if contact is not None else None,
            address=message.recipient,
            sent=sent,
            now=now,
            subject_stale=_subject_stale(message),
        )
        if verdict is not None and verdict.rule is not Withheld.NO_CONSENT and _cut_short(message):
            # An attempt of this message was cut short (its worker died): it may be in the inbox
            # already. Withholding it now would record as unsent a message that may have gone, and
            # staleness and the cap are about not telling the customer twice: it goes again, under
            # the same idempotency key, which the provider uses to drop the copy. Consent still
            # stops it.
            verdict = None
        if verdict is not None:
            if verdict.rule is Withheld.STALE:  # contradicted: withdrawn rather than sent
                finish_unsent(message, Message.Status.SUPERSEDED, verdict.reason)
                return "superseded"
            finish_unsent(message, Message.Status.SUPPRESSED, verdict.reason)
            return "suppressed"
        _attempt_start(message, now, merges=merges)
    return None


def _cut_short(message: Message) -> bool:
    """Whether an earlier attempt of this message is still in flight: its worker died after the
    attempt was recorded, perhaps after the provider accepted it. (A first claim has none: only
    read when the message was claimed before.)"""
    return message.attempts > 1 and bool(_CUT_SHORT.rows([message.pk, DeliveryAttempt.Outcome.IN_FLIGHT]))


def _subject_stale(message: Message) -> str:
    """The message's own subject's verdict (a return that moved past the milestone), "" for an
    order's message or a subject without the check."""
    renderer = renderer_for(message.milestone)
    if renderer is None or renderer.stale_reason is None:
        return ""
    return renderer.stale_reason(message)


def _neighbours(
    message: Message, *, cap: timedelta, merges: bool, now: datetime
) -> tuple[list[datetime], bool]:
    """When the customer's other routine messages went within the cap, and whether one of them, or
    another consolidating message of the order on this channel, is on the wire at another worker."""
    if not cap and not merges:
        return [], False
    in_flight = DeliveryAttempt.Outcome.IN_FLIGHT
    rows = _NEIGHBOURS.rows(
        [
            message.pk,
            message.channel,
            bool(cap),
            message.store_id,
            message.recipient,
            False,
            _SENT,
            now - cap,
            _SENDING,
            in_flight,
            merges,
            message.order_id,
            _SENDING,
            in_flight,
        ]
    )
    own = own_milestones()
    sent: list[datetime] = []
    busy = False
    for order_id, status, sent_at, milestone, recipient, critical in rows:
        # A closing message (delivered...) is not counted against the next ones (domain.capped).
        routine = capped(Milestone(milestone), critical)
        if status == _SENT:
            if routine:
                sent.append(sent_at)
        elif (bool(cap) and recipient == message.recipient and routine) or (
            merges and order_id == message.order_id and milestone not in own
        ):
            # On the wire at another worker (this worker waits for its own before a gate): whether
            # it goes decides the cap, and it may say all this message would.
            busy = True
    return sent, busy


def _wait(message: Message) -> None:
    """Unclaim the message, to be judged again in :data:`WAIT`; the claim does not count as an
    attempt (nothing was tried)."""
    attempts = message.attempts - 1
    status = Message.Status.PENDING if attempts == 0 else Message.Status.FAILED
    update_rows_where(
        Message,
        ("status", "attempts", "claimed_until", "next_attempt_at"),
        ("id",),
        [(status, attempts, None, timezone.now() + WAIT, message.pk)],
    )


@memoised("notifications.consolidate_sql", maxsize=None)
def _consolidate_sql(vendor: str, owned: int) -> str:
    """Withdraw the order's other messages on the channel nobody has tried to send: pending and
    never claimed, or claimed by a worker that has not reached their gate (which then finds them
    superseded). Built once."""
    qn = connection.ops.quote_name
    message, attempt = qn(Message._meta.db_table), qn(DeliveryAttempt._meta.db_table)
    own = ", ".join(["%s"] * owned)
    return (
        f"UPDATE {message} SET {qn('status')} = %s, {qn('reason')} = %s, {qn('next_attempt_at')} = NULL, "
        f"{qn('claimed_until')} = NULL WHERE {qn('order_id')} = %s AND {qn('channel')} = %s "
        f"AND {qn('id')} <> %s AND (({qn('status')} = %s AND {qn('attempts')} = 0) OR ({qn('status')} = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {attempt} WHERE {attempt}.{qn('message_id')} = {message}.{qn('id')})))"
        + (f" AND {qn('milestone')} NOT IN ({own})" if own else "")
    )


def _attempt_start(message: Message, now: datetime, *, merges: bool) -> None:
    """Record the attempt (in the gate's transaction, under its locks)."""
    if merges:
        # This message renders the order's latest state, so it says all that the other messages of
        # this order and channel nobody has tried yet would (they were planned for milestones
        # already reached): withdraw them. This also consolidates messages that concurrent ingest
        # transactions planned without seeing each other, and messages other workers claimed.
        own = own_milestones()
        with connection.cursor() as cursor:
            cursor.execute(
                _consolidate_sql(connection.vendor, len(own)),
                [
                    Message.Status.SUPERSEDED,
                    f"consolidated into {message.milestone} when sent",
                    message.order_id,
                    message.channel,
                    message.pk,
                    Message.Status.PENDING,
                    Message.Status.SENDING,
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


def finish_unsent(message: Message, status: str, reason: str) -> None:
    """Record that the message will not be sent, and why."""
    update_rows_where(Message, _FINISH, ("id",), [(status, reason[:300], None, None, message.pk)])
