"""The replay engine: one customer's orders through the live notification policy, in time order,
sending nothing (:func:`replay_customer`). See :mod:`aftercart.domain.journey_replay` for the rules."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aftercart.domain.contacts import email_key
from aftercart.domain.exceptions import (
    CRITICAL_MILESTONE,
    MESSAGED_ON_OPEN,
    detect,
)
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.journey_replay.journey import (
    CUSTOMER_CHANNELS,
    WAITING_STAGES,
    OrderHistory,
    OrderJourney,
    Outcome,
    SilentGap,
    SimMessage,
    SimulationSettings,
    outcome_of,
)
from aftercart.domain.messaging import (
    Action,
    Channel,
    MessagingPolicy,
    Recent,
    Withheld,
    capped,
    plan_messages,
    send_time_verdict,
)
from aftercart.domain.milestones import Milestone, Reached, newly_reached, reached
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import Stage

#: The live planner looks this far back beyond the cap for rows still retrying (selectors._RETRY_SLACK).
_RECENT_SLACK = timedelta(days=2)
#: Outbox size from which messages no decision can see any more are forgotten (see :func:`_prune`).
_PRUNE_AT = 64
#: Messages that tell a customer their parcel is late or in trouble.
_DELAY_NEWS = frozenset({Milestone.DELAYED, Milestone.EXCEPTION, Milestone.ATTEMPT_FAILED})
#: The report's outcome for each send-time rule.
_AT_SEND = {
    Withheld.STALE: Outcome.STALE_AT_SEND,
    Withheld.NO_CONSENT: Outcome.NO_CONSENT_AT_SEND,
    Withheld.FREQUENCY_CAP: Outcome.FREQUENCY_CAP_AT_SEND,
}


class _Order:
    """One order's replay state."""

    def __init__(self, index: int, history: OrderHistory, settings: SimulationSettings) -> None:
        self.index = index
        self.history = history
        self.settings = settings
        self.state: OrderState | None = None
        self.milestone_keys: list[str] = []
        self.dedupe_keys: set[str] = set()
        self.pickup_timers: set[datetime] = set()
        self.journey = OrderJourney(order_id=history.order_id, number=history.number)
        # Silence tracking: when the customer last heard from us (or the order began), the gap
        # being measured, the time up to which stages have been examined.
        self.silent_since: datetime | None = None
        self.gap: SilentGap | None = None
        self.untold = 0
        self.facts = 0
        self.checked_to: datetime | None = None

    @property
    def stage(self) -> Stage:
        return self.state.stage if self.state is not None else Stage.CONFIRMATION

    def advance(self, now: datetime) -> None:
        """Look at the silence from the last event up to ``now`` (the stage did not change in it)."""
        threshold = self.settings.silent_after
        if (
            self.gap is None
            and self.silent_since is not None
            and self.stage in WAITING_STAGES
            and now - self.silent_since > threshold
        ):
            # Milestones reached before the silence passed the threshold, none of them told.
            self.gap = SilentGap(
                number=self.history.number,
                stage=self.stage,
                since=self.silent_since,
                untold_milestones=self.untold,
                facts=self.facts,
            )
            if self.silent_since + threshold >= self.settings.since:
                self.journey.gaps.append(self.gap)
        self.checked_to = now

    def heard(self, now: datetime) -> None:
        """A customer message went at ``now``: a silence ends and a new one begins."""
        self._close(now)
        self.silent_since = now

    def _close(self, now: datetime, *, ongoing: bool = False) -> None:
        if self.gap is not None:
            self.gap.until = now
            self.gap.ongoing = ongoing
            self.gap = None
        self.untold = 0
        self.facts = 0

    def finish(self, as_of: datetime) -> OrderJourney:
        self.advance(as_of)
        if self.gap is not None:
            self._close(as_of, ongoing=True)
        self.journey.final_stage = self.stage
        self.journey.late_unwarned = self._late(as_of) and not any(
            m.outcome is Outcome.SENT and m.channel in CUSTOMER_CHANNELS and m.milestone in _DELAY_NEWS
            for m in self.journey.messages
        )
        return self.journey

    def _late(self, as_of: datetime) -> bool:
        """Whether a parcel missed its promised day: the sweep's "overdue" rule (the latest date the
        customer was given, compared in UTC days), applied at delivery or at the end of history."""
        if self.state is None or self.state.cancelled_at is not None:
            return False
        for s in self.state.shipments.values():
            promise = max(filter(None, (s.first_estimated_delivery, s.estimated_delivery)), default=None)
            arrived = s.delivered_at if s.is_delivered else as_of
            if promise is not None and arrived is not None and arrived.astimezone(UTC).date() > promise:
                return True
        return False


def replay_customer(orders: Sequence[OrderHistory], settings: SimulationSettings) -> list[OrderJourney]:
    """Replay one customer's orders together, in time order, through the live policy.

    Orders without a customer in common must be replayed separately (one call each): the frequency
    cap only counts messages to the same address. Returns one :class:`OrderJourney` per order, in
    the order given.
    """
    sims = [_Order(i, h, settings) for i, h in enumerate(orders)]
    queue: list[tuple[datetime, int, int, Any]] = []
    seq = itertools.count()
    for sim in sims:
        for at, group in _instants(sim.history.facts, settings.as_of):
            heapq.heappush(queue, (at, 0, next(seq), (sim, group)))
    outbox: list[SimMessage] = []
    by_key: dict[str, SimMessage] = {}
    while queue:
        at, kind, _, item = heapq.heappop(queue)
        if kind == 0:
            sim, group = item
            if len(outbox) > _PRUNE_AT:
                _prune(outbox, by_key, at, settings.policy)
            sim.advance(at)
            _fold(sim, group, at)
            sim.facts += sum(f.kind is not FactKind.FEEDBACK_RECEIVED for f in group)
            newly = newly_reached(sim.milestone_keys, current := reached(sim.state))
            sim.milestone_keys = [r.key for r in current]
            sim.untold += len(newly)
            for timer in _pickup_timers(sim, at):
                heapq.heappush(queue, (timer, 1, next(seq), sim))
            _plan(sim, newly, at, sims, outbox, by_key, queue, seq)
            if sim.stage not in WAITING_STAGES:
                sim._close(at)
            elif sim.silent_since is None:
                sim.silent_since = at
                sim.facts = 0  # the fact that began the wait is not news within it
        elif kind == 1:
            sim = item
            if at > settings.as_of:
                continue
            sim.advance(at)
            causes = detect(sim.state, at, settings.rules)
            opened = [
                Reached(milestone, c.subject)
                for c in sorted(causes, key=lambda c: c.key)
                if c.kind in MESSAGED_ON_OPEN and (milestone := CRITICAL_MILESTONE.get(c.kind)) is not None
            ]
            _plan(sim, opened, at, sims, outbox, by_key, queue, seq)
        else:
            _deliver(item, at, sims, outbox)
    return [sim.finish(settings.as_of) for sim in sims]


def _prune(
    outbox: list[SimMessage], by_key: dict[str, SimMessage], now: datetime, policy: MessagingPolicy
) -> None:
    """Forget messages no later decision can see: memory and time stay flat for a customer with
    thousands of orders. Pending ones may still be replaced or withdrawn; sent ones count against
    the frequency cap (at planning and at send time) for the cap plus the live reader's slack."""
    keep_from = now - max(policy.frequency_cap.values(), default=timedelta(0)) - _RECENT_SLACK
    outbox[:] = [
        m
        for m in outbox
        if m.outcome is Outcome.PENDING
        or (m.outcome is Outcome.SENT and m.sent_at is not None and m.sent_at >= keep_from)
    ]
    for key in [k for k, m in by_key.items() if m.outcome is not Outcome.PENDING]:
        del by_key[key]


def _instants(facts: Iterable[Fact], as_of: datetime) -> list[tuple[datetime, list[Fact]]]:
    """Facts up to ``as_of`` grouped by the instant they happened, in the projection's order."""
    unique = {f.idempotency_key: f for f in facts if f.occurred_at <= as_of}
    out: list[tuple[datetime, list[Fact]]] = []
    for fact in sorted(unique.values(), key=lambda f: f.sort_key):
        if out and out[-1][0] == fact.occurred_at:
            out[-1][1].append(fact)
        else:
            out.append((fact.occurred_at, [fact]))
    return out


def _fold(sim: _Order, group: list[Fact], at: datetime) -> None:
    sim.state = project(group, sim.history.order_ref, base=sim.state)
    if sim.settings.assume_reachable and not sim.state.email.strip():
        # A stand-in address per order: caps then count per order, the best guess without customers.
        sim.state.email = f"order-{sim.history.order_id}@reachable.invalid"


def _pickup_timers(sim: _Order, now: datetime) -> list[datetime]:
    """When the sweep would first see each pickup deadline coming up (once per deadline)."""
    assert sim.state is not None
    pickups = [s.pickup for s in sim.state.shipments.values() if s.pickup is not None]
    pickups += [ln.pickup for ln in sim.state.lines.values() if ln.pickup is not None]
    out = []
    for pickup in pickups:
        if pickup.deadline is None or pickup.collected_at is not None or pickup.deadline in sim.pickup_timers:
            continue
        sim.pickup_timers.add(pickup.deadline)
        out.append(max(now, pickup.deadline - sim.settings.rules.pickup_warning))
    return out


def _plan(
    sim: _Order,
    milestones: list[Reached],
    now: datetime,
    sims: list[_Order],
    outbox: list[SimMessage],
    by_key: dict[str, SimMessage],
    queue: list,
    seq: Iterator[int],
) -> None:
    """The live planner's step (``notifications.receivers.plan_notifications``) for one order."""
    if not milestones or sim.state is None:
        return
    settings = sim.settings
    policy = settings.policy
    state = sim.state
    enabled = {c for r in milestones for c in settings.channels.get(r.milestone, ())}
    contacts = {
        c: a
        for c, a in ((Channel.EMAIL, email_key(state.email)), (Channel.SMS, state.phone.strip()))
        if c in enabled and a
    }
    horizon = now - max(policy.frequency_cap.values(), default=policy.consolidation_window)
    recent = []
    for m in outbox:
        # What the live selector reads: live rows to this address, at their sent (else due) time.
        at = m.sent_at if m.outcome is Outcome.SENT else m.send_at
        if m.outcome not in (Outcome.PENDING, Outcome.SENT) or contacts.get(m.channel) != m.address:
            continue
        if at is None or at < horizon or m.send_at is None or m.send_at < horizon - _RECENT_SLACK:
            continue
        recent.append(
            Recent(
                channel=m.channel,
                milestone=m.milestone,
                at=at,
                critical=m.critical,
                replaceable=m.order_index == sim.index and m.outcome is Outcome.PENDING,
                dedupe_key=m.dedupe_key,
            )
        )
    decisions = plan_messages(
        reached=milestones,
        state=state,
        now=now,
        channels=settings.channels,
        recent=recent,
        policy=policy,
        order_key=str(sim.history.order_id),
        store_timezone=settings.store_timezone,
        choices={c: settings.choices(c, a, state.country) for c, a in contacts.items()}
        if settings.choices is not None
        else None,
    )
    for d in decisions:
        if d.dedupe_key in sim.dedupe_keys:
            continue  # the outbox's unique key: the same moment is told once
        sim.dedupe_keys.add(d.dedupe_key)
        message = SimMessage(
            order_index=sim.index,
            channel=d.channel,
            milestone=d.milestone,
            subject=d.subject,
            key=d.key,
            dedupe_key=d.dedupe_key,
            critical=d.critical,
            address=contacts.get(d.channel, ""),
            planned_at=now,
            send_at=d.send_at,
        )
        sim.journey.messages.append(message)
        if not d.goes:
            message.outcome = outcome_of(d.reason)
            continue
        message.held = d.action is Action.HOLD
        outbox.append(message)
        by_key[d.dedupe_key] = message
        for key in d.supersedes:
            replaced = by_key.get(key)
            if replaced is not None and replaced.outcome is Outcome.PENDING:
                replaced.outcome = Outcome.REPLACED
        assert d.send_at is not None
        heapq.heappush(queue, (d.send_at, 2, next(seq), message))


def _deliver(message: SimMessage, now: datetime, sims: list[_Order], outbox: list[SimMessage]) -> None:
    """The worker's checks when a message falls due (``notifications.delivery._start``): the same
    :func:`~aftercart.domain.messaging.send_time_verdict`, then one message per order and channel."""
    if message.outcome is not Outcome.PENDING:
        return
    sim = sims[message.order_index]
    assert sim.state is not None
    settings = sim.settings
    state = sim.state
    choices = None
    if settings.choices is not None and message.channel in CUSTOMER_CHANNELS:
        # The worker looks the customer up by the address the order has now.
        current = email_key(state.email) if message.channel is Channel.EMAIL else state.phone.strip()
        choices = settings.choices(message.channel, current or message.address, state.country)
    verdict = send_time_verdict(
        channel=message.channel,
        milestone=message.milestone,
        subject=message.subject,
        critical=message.critical,
        state=state,
        choices=choices,
        address=message.address,
        sent=(
            other.sent_at
            for other in outbox
            if other is not message
            and other.outcome is Outcome.SENT
            and capped(other.milestone, other.critical)
            and other.channel is message.channel
            and other.address == message.address
            and other.sent_at is not None
        ),
        now=now,
        policy=settings.policy,
    )
    if verdict is not None:
        message.outcome = _AT_SEND[verdict.rule]
        return
    message.outcome = Outcome.SENT
    message.sent_at = now
    if message.channel not in settings.policy.event_channels:
        # It renders the order's latest state, so it says what the order's other pending messages
        # on this channel would: the worker withdraws them.
        for other in outbox:
            if (
                other is not message
                and other.order_index == message.order_index
                and other.channel is message.channel
                and other.outcome is Outcome.PENDING
            ):
                other.outcome = Outcome.CONSOLIDATED_AT_SEND
    if message.channel in CUSTOMER_CHANNELS:
        sim.advance(now)
        sim.heard(now)
