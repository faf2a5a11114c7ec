"""Which messages to send about newly reached milestones, when, and which to hold back.

:func:`plan_messages` is the whole policy, as a pure function: the planner hands it the milestones
an order has just reached, the order's current state and what this customer was recently sent or is
about to be sent; it answers one :class:`Decision` per milestone and channel. The outbox stores every
decision, including the ones not sent, so "why did (not) this customer hear from us?" has an answer.

The rules, in the order they apply to each milestone:

1. **Historical** — when the order's newest fact is older than ``max_age`` (an import, a replay),
   nothing is said: it would be news about the past.
2. **Stale** — a milestone the current state has moved past is never sent ("shipped" for a parcel
   that is now delivered, "preparing" once something shipped): see :func:`stale_reason`.
3. **No contact** — no e-mail address (or phone number for SMS).
3b. **Consent and preferences** — on the channels that reach the customer (e-mail, SMS): nothing
   goes to a customer who opted out of the channel or of that milestone on it, and no SMS goes
   without an explicit opt-in (the order's ``sms_consent`` or a later START / preference page).
   See :func:`consent_reason`.
4. **Consolidated** — several milestones reached together make one message per channel, led by the
   most important (critical first); the others are recorded as consolidated into it.
5. **Consolidation window** — a non-critical message is scheduled ``consolidation_window`` later
   (critical ones go now), and a newer message for the same order and channel replaces a pending
   one (``supersedes``) while keeping its earlier send time, so milestones landing within the window
   become one message. Messages render the order's *latest* state when sent, never a copy taken here.
6. **Quiet hours** — on channels that have them (SMS: 21:00–08:00 in the customer's time zone) a
   message falling inside them is held until they end, not dropped.
7. **Frequency cap** — at most one routine message per customer and channel within the cap
   (e-mail 16 h, SMS 24 h); critical milestones and the milestones that close a journey
   (:data:`~aftercart.domain.milestones.CLOSING`: delivered, cancelled, refund issued...) are never
   capped and do not count against it (:func:`capped`). A closing message replaces a pending
   earlier one of the same order (rule 5) and is never replaced by routine news.

**Event channels** (Klaviyo, Iterable, the store's webhook) are not messages to the customer but
events fed to the store's own tools, which apply their own flows, caps and quiet hours. Rules 1–3
hold for them (the past and contradicted milestones are never news), rules 4 and 5 do not: every
milestone is its own event, sent at once, and never replaces another. No quiet hours or frequency
cap are configured for them by default.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aftercart.domain.milestones import CLOSING, CRITICAL, Milestone, Reached
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import CarrierTag


class Channel(StrEnum):
    """Where a message goes."""

    EMAIL = "email"
    SMS = "sms"
    KLAVIYO = "klaviyo"
    ITERABLE = "iterable"
    WEBHOOK = "webhook"


#: Channels that carry events to the store's own tools rather than messages to the customer: one
#: per milestone, immediately (see the module docstring).
EVENT_CHANNELS = frozenset({Channel.KLAVIYO, Channel.ITERABLE, Channel.WEBHOOK})


#: Channels that reach the customer directly: the customer's consent and preferences apply to them.
CUSTOMER_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})


@dataclass(frozen=True, slots=True)
class ContactChoices:
    """What one customer chose for one channel (preference page, one-click unsubscribe, SMS
    keyword): ``opted_in`` for the whole channel (``None``: never said) and the milestones they
    turned off on it."""

    opted_in: bool | None = None
    muted: frozenset[Milestone] = frozenset()


def consent_reason(
    channel: Channel, milestone: Milestone, state: OrderState, choices: ContactChoices | None
) -> str:
    """Why the customer's own choices forbid this message ("" when they allow it).

    The customer's explicit choice beats the order's: an opt-out (STOP, unsubscribe) is undone only
    by an explicit opt-in (START, the preference page), never by ticking a box on a later order —
    Twilio itself keeps refusing a number that sent STOP until it sends START (error 21610). SMS
    needs an explicit opt-in; e-mail about an order the customer placed does not.
    """
    if channel not in CUSTOMER_CHANNELS:
        return ""
    choices = choices or ContactChoices()
    refused = channel_consent_reason(channel, state, choices)
    if refused:
        return refused
    if milestone in choices.muted:
        return f"opted out of {milestone.value} on {channel.value}"
    return ""


def channel_consent_reason(channel: Channel, state: OrderState, choices: ContactChoices | None) -> str:
    """Why the customer's own choices forbid every message on ``channel`` ("" when they allow
    some): the channel-wide part of :func:`consent_reason`, which the preference page shows as the
    channel's switch. E-mail unless opted out; SMS only with an explicit opt-in (the customer's,
    else the order's consent)."""
    if channel not in CUSTOMER_CHANNELS:
        return ""
    choices = choices or ContactChoices()
    if choices.opted_in is False:
        return f"opted out of {channel.value}"
    if channel is Channel.SMS and not (choices.opted_in or state.sms_consent):
        return "no SMS consent"
    return ""


class Action(StrEnum):
    """What to do with a planned message."""

    SEND = "send"  # at ``send_at``
    HOLD = "hold"  # send later than it would have gone (quiet hours), at ``send_at``
    SUPPRESS = "suppress"  # never; ``reason`` says why


#: Most important first: the milestone that leads a consolidated message. Critical ones come first
#: whatever their rank here (see :func:`_importance`).
RANK: dict[Milestone, int] = {
    m: i
    for i, m in enumerate(
        [
            Milestone.CANCELLED,
            Milestone.EXCEPTION,
            Milestone.ITEM_UNAVAILABLE,
            Milestone.ATTEMPT_FAILED,
            Milestone.DELAYED,
            Milestone.PICKUP_EXPIRING,
            Milestone.LATE_TO_SHIP,
            Milestone.READY_FOR_PICKUP,
            Milestone.DELIVERED,
            Milestone.OUT_FOR_DELIVERY,
            Milestone.PARTIALLY_SHIPPED,
            Milestone.SHIPPED,
            Milestone.PREPARING,
            Milestone.ORDER_CONFIRMED,
        ]
    )
}

#: Milestones that are news for the store's tools only (event channels): the customer's own answer
#: is confirmed on the page where they gave it, not by a message.
EVENT_ONLY = frozenset(
    {
        Milestone.CUSTOMER_CHOICE,
        Milestone.RETURN_CREATED,
        Milestone.RETURN_APPROVED,
        Milestone.RETURN_RESOLVED,
        Milestone.REVIEW_REQUESTED,
    }
)

#: Milestones that time reaches, not a fact: an order whose last fact is old is not history for them
#: (a parcel waiting days at a pickup point is exactly when the reminder matters).
TIME_DRIVEN = frozenset({Milestone.PICKUP_EXPIRING, Milestone.LATE_TO_SHIP})

#: Milestones whose subject is a shipment key (``ready_for_pickup`` also has ``line:<id>`` subjects).
SHIPMENT_MILESTONES = frozenset(
    {
        Milestone.SHIPPED,
        Milestone.OUT_FOR_DELIVERY,
        Milestone.ATTEMPT_FAILED,
        Milestone.READY_FOR_PICKUP,
        Milestone.PICKUP_EXPIRING,
        Milestone.EXCEPTION,
        Milestone.DELAYED,
        Milestone.DELIVERED,
    }
)

_CONTACT_MISSING = {
    Channel.EMAIL: "no e-mail address",
    Channel.SMS: "no phone number",
    Channel.KLAVIYO: "no e-mail address or phone number",
    Channel.ITERABLE: "no e-mail address",
    Channel.WEBHOOK: "no endpoint",
}


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time in which a channel does not disturb (may wrap midnight)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time falls inside the quiet span."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, at: datetime, zone: tzinfo) -> datetime | None:
        """When a message due at ``at`` may go: ``None`` if not inside quiet hours, else the end of
        the quiet span in ``zone``, as an aware datetime in the same zone as ``at``."""
        local = at.astimezone(zone)
        if not self.contains(local.time()):
            return None
        day: date = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # evening side of a span that wraps midnight: ends tomorrow
        # Wall-clock end in the customer's zone; an end inside a DST gap maps to a real instant
        # (PEP 495, fold=0), never an error.
        end = datetime.combine(day, self.end, tzinfo=zone)
        return end.astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class MessagingPolicy:
    """The knobs of smart sending. The defaults are the product's defaults."""

    consolidation_window: timedelta = timedelta(minutes=15)
    #: Per channel; zero means no cap (event channels: the store's tools apply their own).
    frequency_cap: Mapping[Channel, timedelta] = field(
        default_factory=lambda: {
            Channel.EMAIL: timedelta(hours=16),
            Channel.SMS: timedelta(hours=24),
            **{c: timedelta(0) for c in EVENT_CHANNELS},
        }
    )
    quiet_hours: Mapping[Channel, QuietHours] = field(
        default_factory=lambda: {Channel.SMS: QuietHours(time(21, 0), time(8, 0))}
    )
    critical: frozenset[Milestone] = CRITICAL
    #: Facts older than this describe the past (imports, replays): nothing is sent about them.
    max_age: timedelta = timedelta(days=3)
    #: Channels sent one event per milestone, at once, never consolidated or replaced.
    event_channels: frozenset[Channel] = EVENT_CHANNELS


DEFAULT_POLICY = MessagingPolicy()


@dataclass(frozen=True, slots=True)
class Recent:
    """A message this customer was sent, or is due to be sent, on one channel.

    ``at`` is when it went (or is due to go). ``replaceable`` marks a message of the *same order*
    still waiting to go: a newer message for that order replaces it instead of counting against
    the frequency cap; ``dedupe_key`` names it.
    """

    channel: Channel
    milestone: Milestone
    at: datetime
    critical: bool
    replaceable: bool = False
    dedupe_key: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about one milestone on one channel."""

    channel: Channel
    milestone: Milestone
    subject: str
    key: str  # the milestone's key (``Reached.key``)
    dedupe_key: str
    action: Action
    send_at: datetime | None
    reason: str = ""
    critical: bool = False
    #: Dedupe keys of pending messages of this order and channel this one replaces.
    supersedes: tuple[str, ...] = ()

    @property
    def goes(self) -> bool:
        """Whether a message will be sent (now, later or after quiet hours)."""
        return self.action is not Action.SUPPRESS


def capped(milestone: Milestone, critical: bool) -> bool:
    """Whether the frequency cap applies to a message, and counts it against the next ones: routine
    news only. Critical news always goes, and so does the message that closes a journey
    (:data:`~aftercart.domain.milestones.CLOSING`): the demo's "delivered" e-mails were dropped
    because "out for delivery" had gone a few hours earlier, leaving customers told their parcel
    was on its way after it had arrived. Planning, the worker and the journey preview all ask this."""
    return not critical and milestone not in CLOSING


def dedupe_key(order_key: str, channel: Channel, reached: Reached) -> str:
    """The outbox's unique key for a milestone on a channel: the same moment is told once.

    Long keys (long tracking numbers, dates) are shortened with a hash so they fit the column.
    """
    key = f"{order_key}:{channel.value}:{reached.key}"
    if len(key) <= 200:
        return key
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"{key[:160]}~{digest}"


def stale_reason(milestone: Milestone, subject: str, state: OrderState) -> str:
    """Why the current state makes telling this milestone wrong ("" when it is still news).

    Used when planning and again just before sending, so a message is never contradicted by what
    the customer's parcel has done since.
    """
    if milestone in SHIPMENT_MILESTONES and not subject.startswith("line:"):
        shipment = state.shipments.get(subject)
        if shipment is None:
            # The parcel was first known by tracking number and since renamed to its shipment id:
            # its milestones are reached again under the new key.
            return "superseded: shipment renamed"
        if shipment.is_delivered and milestone is not Milestone.DELIVERED:
            return "superseded by delivered"
        if milestone is Milestone.SHIPPED and CarrierTag.OUT_FOR_DELIVERY.value in shipment.tags_seen:
            return "superseded by out_for_delivery"
    if milestone is Milestone.PICKUP_EXPIRING and subject.startswith("line:"):
        line = state.lines.get(subject.removeprefix("line:"))
        if line is not None and line.pickup is not None and line.pickup.collected_at is not None:
            return "superseded by collected"
    if milestone in (Milestone.PREPARING, Milestone.LATE_TO_SHIP) and state.shipments:
        return "superseded by shipped"
    if milestone is Milestone.LATE_TO_SHIP and (state.cancelled_at is not None or state.customer_choice):
        return "superseded by the customer's answer" if state.customer_choice else "superseded by cancelled"
    if milestone is Milestone.PARTIALLY_SHIPPED and state.shipments and not state.unshipped_lines:
        return "superseded by shipped"
    if state.cancelled_at is not None and milestone in (Milestone.ORDER_CONFIRMED, Milestone.PREPARING):
        return "superseded by cancelled"
    return ""


class Withheld(StrEnum):
    """Which send-time rule stopped a planned message (see :func:`send_time_verdict`)."""

    STALE = "stale"  # the state moved past the milestone: withdrawn (superseded)
    NO_CONSENT = "no_consent"  # the customer's choices forbid it now: suppressed
    FREQUENCY_CAP = "frequency_cap"  # a routine message went to this address too recently: suppressed


@dataclass(frozen=True, slots=True)
class SendVerdict:
    """Why a planned message may not go now: the rule and the reason the outbox records."""

    rule: Withheld
    reason: str


def send_time_verdict(
    *,
    channel: Channel,
    milestone: Milestone,
    subject: str,
    critical: bool,
    state: OrderState,
    choices: ContactChoices | None,
    address: str,
    sent: Iterable[datetime],
    now: datetime,
    policy: MessagingPolicy = DEFAULT_POLICY,
    subject_stale: str = "",
) -> SendVerdict | None:
    """May this planned message go now? ``None`` when it may, else why not. The worker asks it of
    every due message and the journey preview of every simulated one, so both apply the same rules
    in the same order:

    1. **Stale** — the order's latest ``state`` contradicts the milestone (:func:`stale_reason`), or
       the message's own subject has moved past it (``subject_stale``: the subject's rule, e.g. a
       return's :func:`~aftercart.domain.returns.notices.return_stale_reason`, asked by the outbox
       of the subject's renderer);
    2. **Consent** — the customer's ``choices`` as they are now, and the order's SMS consent as it
       is now (:func:`consent_reason`): an unsubscribe or a STOP after planning stops the message;
    3. **Frequency cap** — a routine message to ``address`` on this channel was ``sent`` within the
       policy's cap (``sent``: when the other routine messages to it went, those :func:`capped`).
       Critical and closing messages and messages without an address are not capped.
    """
    stale = subject_stale or stale_reason(milestone, subject, state)
    if stale:
        return SendVerdict(Withheld.STALE, stale)
    refused = consent_reason(channel, milestone, state, choices)
    if refused:
        return SendVerdict(Withheld.NO_CONSENT, f"{refused} (at send time)")
    cap = policy.frequency_cap.get(channel)
    if cap and capped(milestone, critical) and address and any(at > now - cap for at in sent):
        return SendVerdict(
            Withheld.FREQUENCY_CAP, f"frequency cap ({int(cap.total_seconds() // 3600)}h) at send time"
        )
    return None


def plan_messages(
    *,
    reached: Iterable[Reached],
    state: OrderState,
    now: datetime,
    channels: Mapping[Milestone, Collection[Channel]],
    recent: Iterable[Recent] = (),
    policy: MessagingPolicy = DEFAULT_POLICY,
    order_key: str = "",
    store_timezone: str = "UTC",
    choices: Mapping[Channel, ContactChoices] | None = None,
) -> list[Decision]:
    """Decide, for each newly reached milestone and each channel enabled for it, whether a message
    is sent, held or suppressed, and when. Pure and deterministic: same inputs, same decisions, in
    the same order, whatever order ``reached`` and ``recent`` come in.

    ``order_key`` identifies the order globally in dedupe keys (defaults to ``state.order_ref``);
    quiet hours use ``state.timezone``, else ``store_timezone``. ``choices`` are the customer's
    consent and preferences per channel (none given: no opt-outs, SMS only with the order's consent).
    """
    unique = sorted({r.key: r for r in reached}.values(), key=lambda r: _importance(r, policy))
    if not unique:
        return []  # most state changes reach nothing new: decide that without the work below
    choices = choices or {}
    order_key = order_key or state.order_ref
    recent = sorted(recent, key=lambda r: (r.channel.value, r.at, r.dedupe_key))
    historical = bool(state.last_event_at and now - state.last_event_at > policy.max_age)
    decisions: list[Decision] = []
    for channel in Channel:
        lead: Decision | None = None
        # Events are not consolidated: each milestone is one event the store's tools may act on.
        consolidate = channel not in policy.event_channels
        for r in unique:
            if channel not in channels.get(r.milestone, ()):
                continue
            if r.milestone in EVENT_ONLY and channel not in policy.event_channels:
                continue
            reason = ""
            if historical and r.milestone not in TIME_DRIVEN and not r.by_time:
                reason = f"historical: last event more than {_span(policy.max_age)} ago"
            else:
                reason = stale_reason(r.milestone, r.subject, state)
            if not reason and not _contact(state, channel):
                reason = _CONTACT_MISSING[channel]
            if not reason:
                reason = consent_reason(channel, r.milestone, state, choices.get(channel))
            if not reason and lead is not None:
                reason = f"consolidated into {lead.key}"
            # Built once, with its reason: the planner decides every state change of every order.
            base = Decision(
                channel=channel,
                milestone=r.milestone,
                subject=r.subject,
                key=r.key,
                dedupe_key=dedupe_key(order_key, channel, r),
                action=Action.SUPPRESS,
                send_at=None,
                reason=reason,
                critical=r.milestone in policy.critical,
            )
            if reason:
                decisions.append(base)
                continue
            scheduled = _schedule(base, state=state, now=now, recent=recent, policy=policy, tz=store_timezone)
            decisions.append(scheduled)
            if consolidate:
                lead = scheduled
    return decisions


def retry_delay(
    attempt: int, *, base: timedelta, cap: timedelta, rand: random.Random | None = None
) -> timedelta:
    """How long to wait before retry number ``attempt`` (1 = after the first failure): exponential
    backoff with full jitter, uniform in [1 s, min(cap, base·2^(attempt-1))].

    Full jitter spreads retries of many messages that failed together (an SMTP outage) instead of
    having them all return at once; the one-second floor keeps a retry strictly in the future.
    """
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** max(attempt - 1, 0))
    draw = (rand or random).uniform(0, ceiling)
    return timedelta(seconds=max(1.0, draw))


# --- internals ----------------------------------------------------------------------------------


def _importance(r: Reached, policy: MessagingPolicy) -> tuple[bool, int, str]:
    return (r.milestone not in policy.critical, RANK.get(r.milestone, len(RANK)), r.key)


def _contact(state: OrderState, channel: Channel) -> str:
    if channel is Channel.WEBHOOK:
        return "store"  # goes to the store's endpoint, whoever the customer is
    if channel is Channel.SMS:
        return state.phone.strip()
    if channel is Channel.KLAVIYO:
        # A Klaviyo profile is identified by e-mail or phone number.
        return state.email.strip() or state.phone.strip()
    return state.email.strip()


def _schedule(
    d: Decision,
    *,
    state: OrderState,
    now: datetime,
    recent: list[Recent],
    policy: MessagingPolicy,
    tz: str,
) -> Decision:
    """Send time, replaced messages, quiet hours and frequency cap of a message's lead milestone."""
    mine = [r for r in recent if r.channel is d.channel]
    event = d.channel in policy.event_channels
    # A pending message of this order is replaced by the newer one, unless it is critical and the
    # newer one is not (bad news is never withdrawn in favour of routine news), or it closes the
    # journey and the newer one is routine (the customer waits for "delivered"; a second parcel's
    # "shipped" must not withdraw it). Events replace nothing: each is its own fact for the
    # store's tools.
    routine = capped(d.milestone, d.critical)
    replaced = (
        []
        if event
        else [
            r
            for r in mine
            if r.replaceable and (d.critical or not r.critical) and not (routine and r.milestone in CLOSING)
        ]
    )
    send_at = now if d.critical or event else now + policy.consolidation_window
    if replaced:
        # Keep the earliest send time: the window opens with the first milestone, so a stream of
        # scans cannot postpone a message indefinitely.
        send_at = max(now, min([send_at, *(r.at for r in replaced)]))
    action, reason = Action.SEND, ""
    quiet = policy.quiet_hours.get(d.channel)
    if quiet is not None:
        zone = _zone(state.timezone or tz)
        release = quiet.release(send_at, zone)
        if release is not None:
            action, send_at = Action.HOLD, release
            reason = f"quiet hours until {release.astimezone(zone):%H:%M} {zone}"
    cap = policy.frequency_cap.get(d.channel)
    if cap and routine:
        for r in mine:
            if capped(r.milestone, r.critical) and not r.replaceable and abs(r.at - send_at) < cap:
                return replace(d, reason=f"frequency cap ({_span(cap)})")
    return replace(
        d,
        action=action,
        send_at=send_at,
        reason=reason,
        supersedes=tuple(sorted(r.dedupe_key for r in replaced if r.dedupe_key)),
    )


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        # A malformed zone from a source must not stop planning; UTC is the documented fallback.
        return ZoneInfo("UTC")


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0 and seconds > 2 * 86400:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}min"
