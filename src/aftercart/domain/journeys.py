"""Journey preview: replay stored history through the live notification policy, send nothing.

``aftercart journeys simulate`` answers "what would this journey have told our customers, what would
it have held back, and who was left waiting without news?" over the ledger's facts. The decisions are
the production ones, not a copy: each order's facts are folded in time order with
:func:`~aftercart.domain.projection.fold.project`, compared with :func:`~aftercart.domain.milestones.reached`
as the ledger does, and planned with :func:`~aftercart.domain.messaging.plan_messages`; the worker's
checks at send time (:func:`~aftercart.domain.messaging.stale_reason`, the frequency cap again, one
message per order and channel carrying the latest state) are replayed when each message falls due.
Time-driven milestones (a pickup deadline coming up) come from the sweep's own rule,
:func:`~aftercart.domain.exceptions.detect`.

Each fact is taken to have arrived when it happened (``now`` = its ``occurred_at``), which is what
the journey would have done had it been live; that is why the "historical" rule never fires here.
Facts of one order with the same ``occurred_at`` arrive together, as one batch would. At one instant,
facts come first, then time-driven checks, then deliveries (the worker sees what was just recorded).

One customer's orders are replayed together, merged in time order (:func:`replay_customer`), so the
frequency cap sees that customer's other orders exactly as the live planner would. Deliveries never
fail here: retries and provider errors are not simulated.

:class:`JourneyReport` aggregates the replayed orders in flat memory (counters, a day histogram and
the top examples only) and derives the recommendations.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from aftercart.domain.exceptions import (
    CRITICAL_MILESTONE,
    DEFAULT_RULES,
    MESSAGED_ON_OPEN,
    DetectionRules,
    detect,
)
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.messaging import (
    DEFAULT_POLICY,
    Action,
    Channel,
    ContactChoices,
    MessagingPolicy,
    Recent,
    plan_messages,
    stale_reason,
)
from aftercart.domain.milestones import Milestone, Reached, newly_reached, reached
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import Stage

#: Channels that reach the customer (the others feed the store's tools): only these end a silence.
CUSTOMER_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})
#: Stages in which the customer is waiting for the order: silence here is what the report hunts.
WAITING_STAGES = frozenset(
    {Stage.CONFIRMATION, Stage.FULFILMENT, Stage.IN_TRANSIT, Stage.DELIVERY, Stage.EXCEPTION, Stage.PICKUP}
)
#: Stages the customer reads as "not shipped yet" and "on its way" (recommendations group by them).
AWAITING_SHIPMENT = frozenset({Stage.CONFIRMATION, Stage.FULFILMENT})
ON_ITS_WAY = frozenset({Stage.IN_TRANSIT, Stage.DELIVERY})
#: The live planner looks this far back beyond the cap for rows still retrying (selectors._RETRY_SLACK).
_RECENT_SLACK = timedelta(days=2)
#: Outbox size from which messages no decision can see any more are forgotten (see :func:`_prune`).
_PRUNE_AT = 64
#: Messages that tell a customer their parcel is late or in trouble.
_DELAY_NEWS = frozenset({Milestone.DELAYED, Milestone.EXCEPTION, Milestone.ATTEMPT_FAILED})


class Outcome(StrEnum):
    """What finally became of one planned message (stable keys of the JSON report)."""

    SENT = "sent"
    #: Planning: the milestone was already contradicted by the state ("shipped" once delivered).
    STALE = "stale"
    NO_CONTACT = "no_contact"
    #: The customer opted out of the channel or milestone, or gave no SMS consent.
    NO_CONSENT = "no_consent"
    #: Planning: reached together with a more important milestone, told in the same message.
    CONSOLIDATED = "consolidated"
    FREQUENCY_CAP = "frequency_cap"
    HISTORICAL = "historical"
    #: A newer message of the order replaced it inside the consolidation window.
    REPLACED = "replaced"
    #: When due, the state had moved past it (delivered before "shipped" went).
    STALE_AT_SEND = "stale_at_send"
    #: When due, another message of the order on the channel went first, with the latest state.
    CONSOLIDATED_AT_SEND = "consolidated_at_send"
    FREQUENCY_CAP_AT_SEND = "frequency_cap_at_send"
    #: Still waiting to go when history ends.
    PENDING = "pending"
    #: A reason this version of the report does not know (a newer policy rule).
    OTHER = "other"


def outcome_of(reason: str) -> Outcome:
    """The report's category for a reason :func:`plan_messages` gave for not sending."""
    if reason.startswith("historical"):
        return Outcome.HISTORICAL
    if reason.startswith("superseded"):
        return Outcome.STALE
    if reason.startswith("opted out") or reason == "no SMS consent":
        return Outcome.NO_CONSENT
    if reason.startswith("no "):
        return Outcome.NO_CONTACT
    if reason.startswith("consolidated"):
        return Outcome.CONSOLIDATED
    if reason.startswith("frequency cap"):
        return Outcome.FREQUENCY_CAP
    return Outcome.OTHER


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """One order's stored facts (any order; duplicates are ignored) and how the report names it."""

    order_id: int
    number: str
    order_ref: str
    facts: Sequence[Fact]


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    """The journey being previewed and the span of history it is previewed over.

    Decisions before ``since`` are replayed (they shape caps and silences) but not counted; nothing
    after ``as_of`` is replayed. ``assume_reachable`` gives every order without an e-mail address a
    stand-in one, to preview timing on data that carries no contact details (e.g. Olist's).
    """

    channels: Mapping[Milestone, Collection[Channel]]
    since: datetime
    as_of: datetime
    policy: MessagingPolicy = DEFAULT_POLICY
    rules: DetectionRules = DEFAULT_RULES
    store_timezone: str = "UTC"
    silent_after: timedelta = timedelta(days=3)
    assume_reachable: bool = False
    #: The customer's consent and preferences on a channel, given (channel, address as the order
    #: has it, the order's country): how the live planner finds them. ``None``: nobody chose anything.
    choices: Callable[[Channel, str, str], ContactChoices] | None = None


@dataclass(slots=True)
class SimMessage:
    """One planned message and what became of it."""

    order_index: int
    channel: Channel
    milestone: Milestone
    subject: str
    key: str
    dedupe_key: str
    critical: bool
    address: str
    planned_at: datetime
    send_at: datetime | None
    outcome: Outcome = Outcome.PENDING
    held: bool = False
    sent_at: datetime | None = None


@dataclass(slots=True)
class SilentGap:
    """A stretch longer than the threshold in which a waiting customer heard nothing."""

    number: str
    stage: Stage
    since: datetime
    until: datetime | None = None
    #: Still silent when history ends.
    ongoing: bool = False
    #: Milestones reached in the silence before it passed the threshold, none told to the customer
    #: (not enabled on a customer channel, or suppressed): 0 means the sources said nothing new.
    untold_milestones: int = 0
    #: Facts that arrived in the silence before it passed the threshold (carrier scans, warehouse
    #: steps, reviews aside): 0 means the sources reported nothing at all in that time.
    facts: int = 0

    @property
    def days(self) -> float:
        """Length of the silence in days (to the end of history when ongoing)."""
        end = self.until or self.since
        return (end - self.since).total_seconds() / 86400


@dataclass(slots=True)
class OrderJourney:
    """One order replayed: every message planned for it, its silences and where it ended."""

    order_id: int
    number: str
    messages: list[SimMessage] = field(default_factory=list)
    gaps: list[SilentGap] = field(default_factory=list)
    final_stage: Stage = Stage.CONFIRMATION
    #: A parcel arrived after the date the customer was promised (or is still out past it at the
    #: end of history) and no customer message about a delay or exception went: a broken promise
    #: nobody explained.
    late_unwarned: bool = False


# --- replay -------------------------------------------------------------------------------------


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
        for c, a in ((Channel.EMAIL, state.email.strip().lower()), (Channel.SMS, state.phone.strip()))
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
    """The worker's checks when a message falls due (``notifications.services._deliver``)."""
    if message.outcome is not Outcome.PENDING:
        return
    sim = sims[message.order_index]
    assert sim.state is not None
    policy = sim.settings.policy
    if stale_reason(message.milestone, message.subject, sim.state):
        message.outcome = Outcome.STALE_AT_SEND
        return
    cap = policy.frequency_cap.get(message.channel)
    if cap and not message.critical and message.address:
        for other in outbox:
            if (
                other is not message
                and other.outcome is Outcome.SENT
                and not other.critical
                and other.channel is message.channel
                and other.address == message.address
                and other.sent_at is not None
                and other.sent_at > now - cap
            ):
                message.outcome = Outcome.FREQUENCY_CAP_AT_SEND
                return
    message.outcome = Outcome.SENT
    message.sent_at = now
    if message.channel not in policy.event_channels:
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


# --- report -------------------------------------------------------------------------------------

#: Example orders kept per stage for the recommendations.
STAGE_EXAMPLES = 3


def _keep_top(
    heap: list[tuple[float, str, int, SilentGap]], entry: tuple[float, str, int, SilentGap], k: int
) -> None:
    if len(heap) < k:
        heapq.heappush(heap, entry)
    elif k:
        heapq.heappushpop(heap, entry)


def _longest_first(entries: Iterable[tuple[float, str, int, SilentGap]]) -> list[SilentGap]:
    return [e[3] for e in sorted(entries, key=lambda e: (-e[0], e[1], e[2]))]


def _orders(n: int) -> str:
    return f"{n:,} order" if n == 1 else f"{n:,} orders"


def _eg(numbers: list[str]) -> str:
    return f" (e.g. {', '.join(numbers)})" if numbers else ""


@dataclass
class JourneyReport:
    """Everything the preview prints, aggregated in flat memory. Feed it with :meth:`add`."""

    since: datetime
    as_of: datetime
    silent_days: int
    examples: int = 10
    orders: int = 0
    customers: int = 0
    #: channel → milestone → messages sent.
    sent: dict[str, Counter[str]] = field(default_factory=dict)
    #: outcome → count (every planned message that did not go, plus sent and pending).
    outcomes: Counter[str] = field(default_factory=Counter)
    #: channel → outcome → count.
    outcomes_by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    #: outcome → milestone → count.
    outcomes_by_milestone: dict[str, Counter[str]] = field(default_factory=dict)
    held_quiet_hours: Counter[str] = field(default_factory=Counter)
    orders_with_customer_message: int = 0
    silent_orders: int = 0
    silent_by_stage: Counter[str] = field(default_factory=Counter)
    silent_ongoing: int = 0
    silent_untold: int = 0
    #: Silent orders on their way whose silence had no fact at all before passing the threshold.
    silent_transit_no_news: int = 0
    #: ... and those whose silence had facts but reached no milestone (scans that are not news).
    silent_transit_scans_only: int = 0
    #: whole days of each order's longest silence → orders (medians without keeping every order).
    silent_days_histogram: Counter[int] = field(default_factory=Counter)
    #: Orders whose parcel missed its promised day with no delay or exception message.
    late_unwarned: int = 0
    _late_examples: list[tuple[float, str, int, SilentGap]] = field(default_factory=list)
    _longest: list[tuple[float, str, int, SilentGap]] = field(default_factory=list)
    #: stage → the longest silences that passed the threshold in it (:data:`STAGE_EXAMPLES` each).
    _by_stage: dict[str, list[tuple[float, str, int, SilentGap]]] = field(default_factory=dict)

    def add(self, journeys: Iterable[OrderJourney]) -> None:
        """Count one customer's replayed orders."""
        self.customers += 1
        for journey in journeys:
            self.orders += 1
            told = False
            for m in journey.messages:
                if m.planned_at < self.since:
                    continue
                channel = m.channel.value
                self.outcomes[m.outcome.value] += 1
                self.outcomes_by_channel.setdefault(channel, Counter())[m.outcome.value] += 1
                self.outcomes_by_milestone.setdefault(m.outcome.value, Counter())[m.milestone.value] += 1
                if m.outcome is Outcome.SENT:
                    self.sent.setdefault(channel, Counter())[m.milestone.value] += 1
                    told = told or m.channel in CUSTOMER_CHANNELS
                    if m.held:
                        self.held_quiet_hours[channel] += 1
            self.orders_with_customer_message += told
            if journey.late_unwarned:
                self.late_unwarned += 1
                if len(self._late_examples) < STAGE_EXAMPLES:
                    # The first ones met (history order), not the worst: lateness is not measured.
                    marker = SilentGap(number=journey.number, stage=journey.final_stage, since=self.since)
                    self._late_examples.append((0.0, journey.number, journey.order_id, marker))
            if journey.gaps:
                longest = max(journey.gaps, key=lambda g: g.days)
                self.silent_orders += 1
                self.silent_by_stage[longest.stage.value] += 1
                self.silent_ongoing += any(g.ongoing for g in journey.gaps)
                self.silent_untold += any(g.untold_milestones for g in journey.gaps)
                on_the_way = longest.stage in ON_ITS_WAY
                self.silent_transit_no_news += on_the_way and not longest.facts
                self.silent_transit_scans_only += (
                    on_the_way and bool(longest.facts) and not longest.untold_milestones
                )
                self.silent_days_histogram[int(longest.days)] += 1
                entry = (longest.days, journey.number, journey.order_id, longest)
                _keep_top(self._longest, entry, self.examples)
                _keep_top(self._by_stage.setdefault(longest.stage.value, []), entry, STAGE_EXAMPLES)

    @property
    def longest_gaps(self) -> list[SilentGap]:
        """The longest silences, longest first (one per order)."""
        return _longest_first(self._longest)

    def examples_in(self, stages: Iterable[Stage | str]) -> list[str]:
        """Order numbers of the longest silences that passed the threshold in these stages."""
        entries = [e for stage in stages for e in self._by_stage.get(str(stage), [])]
        return [g.number for g in _longest_first(entries)[:STAGE_EXAMPLES]]

    @property
    def sent_total(self) -> int:
        """Messages that went, all channels."""
        return self.outcomes[Outcome.SENT.value]

    @property
    def not_sent(self) -> Counter[str]:
        """Planned messages that did not go, by outcome (pending ones excluded)."""
        return Counter(
            {k: v for k, v in self.outcomes.items() if k not in (Outcome.SENT.value, Outcome.PENDING.value)}
        )

    def median_silent_days(self) -> int:
        """Median of each silent order's longest silence, in whole days (0 when none)."""
        half, seen = self.silent_orders / 2, 0
        for days in sorted(self.silent_days_histogram):
            seen += self.silent_days_histogram[days]
            if seen >= half:
                return days
        return 0

    def recommendations(self) -> list[str]:
        """One line per finding a CX lead can act on, most important first, derived from the numbers."""
        out: list[str] = []
        orders = max(self.orders, 1)
        planned = sum(self.outcomes.values())
        days = self.silent_days
        no_contact = self.outcomes[Outcome.NO_CONTACT.value]
        if planned and no_contact / planned >= 0.2:
            out.append(
                f"{no_contact:,} of {planned:,} planned messages ({no_contact / planned:.0%}) had no "
                "address to go to: capture e-mail (and SMS consent) at checkout or send contact "
                "details with your orders; re-run with --assume-reachable to preview the timing anyway."
            )
        transit = sum(self.silent_by_stage[s.value] for s in ON_ITS_WAY)
        if transit:
            blind = self.silent_transit_no_news
            if blind * 2 >= transit:
                advice = (
                    f"for {blind:,} of them the carrier reported nothing in that time: connect carrier "
                    "tracking (AfterShip, carrier webhooks) so out_for_delivery and delayed can fire, "
                    "and send an 'on its way' update with the delivery estimate."
                )
            elif self.silent_transit_scans_only * 2 >= transit:
                advice = (
                    f"carrier scans arrived for {self.silent_transit_scans_only:,} of them but none was a "
                    f"milestone: send an 'on its way' update with the delivery estimate after {days} days "
                    "in transit."
                )
            else:
                advice = (
                    "most of them reached a milestone nobody was told about: see why in the reasons "
                    "above (no address, caps, milestones not enabled)."
                )
            out.append(
                f"{_orders(transit)} ({transit / orders:.0%}) waited more than {days} days on their way "
                f"without a message{_eg(self.examples_in(ON_ITS_WAY))}; {advice}"
            )
        waiting = sum(self.silent_by_stage[s.value] for s in AWAITING_SHIPMENT)
        if waiting:
            out.append(
                f"{_orders(waiting)} ({waiting / orders:.0%}) waited more than {days} days before shipping "
                f"without a message{_eg(self.examples_in(AWAITING_SHIPMENT))}: send warehouse progress "
                "(allocated/picking/packed) so 'preparing' goes out, and review the handling time of "
                "the slowest sellers."
            )
        for stage, advice in (
            (
                Stage.EXCEPTION,
                "nothing told the customer how the problem ends: have the team follow up on these "
                "cases (item unavailable, lost, damaged) so the customer hears what happens next.",
            ),
            (
                Stage.PICKUP,
                "check that ready_for_pickup and pickup_expiring go out, and that collections are reported.",
            ),
        ):
            n = self.silent_by_stage[stage.value]
            if n:
                out.append(
                    f"{_orders(n)} went silent for more than {days} days in {stage.value}"
                    f"{_eg(self.examples_in([stage]))}: {advice}"
                )
        if self.silent_ongoing:
            examples = [g.number for g in self.longest_gaps if g.ongoing]
            out.append(
                f"{_orders(self.silent_ongoing)} still open and silent at the end of history"
                f"{_eg(examples)}: they look lost or abandoned; open a case with the carrier or close them."
            )
        if self.late_unwarned:
            examples = [e[1] for e in self._late_examples]
            out.append(
                f"{_orders(self.late_unwarned)} ({self.late_unwarned / orders:.0%}) arrived after the "
                f"promised date, or are still out past it, and nobody told the customer{_eg(examples)}: "
                "the exception queue sees them as delayed, but only a carrier's delay report sends the "
                "delayed message; warn customers when a promise is missed."
            )
        capped = (
            self.outcomes[Outcome.FREQUENCY_CAP.value] + self.outcomes[Outcome.FREQUENCY_CAP_AT_SEND.value]
        )
        if capped and capped / orders >= 0.02:
            by_milestone = self.outcomes_by_milestone.get(Outcome.FREQUENCY_CAP.value, Counter()) + (
                self.outcomes_by_milestone.get(Outcome.FREQUENCY_CAP_AT_SEND.value, Counter())
            )
            milestone, n = by_milestone.most_common(1)[0]
            out.append(
                f"{capped:,} routine messages were dropped by the frequency cap (mostly {milestone}: {n:,}, "
                f"{n / orders:.0%} of orders never got that news): another message went less than the "
                "cap before; consider a shorter cap, or consolidating the earlier message instead."
            )
        stale = self.outcomes[Outcome.STALE.value]
        if planned and stale / planned >= 0.05:
            milestone, n = self.outcomes_by_milestone[Outcome.STALE.value].most_common(1)[0]
            out.append(
                f"{stale:,} milestones ({stale / planned:.0%}) were already out of date when their facts "
                f"arrived (mostly {milestone}: {n:,}): those facts come in together with later ones; "
                "have the source report each step when it happens."
            )
        overtaken = self.outcomes[Outcome.STALE_AT_SEND.value]
        if planned and overtaken / planned >= 0.05:
            out.append(
                f"{overtaken:,} messages ({overtaken / planned:.0%}) were overtaken by events while waiting "
                "to go (consolidation window, quiet hours): the customer got the newer news instead."
            )
        untold = self.silent_untold
        if untold and (not planned or no_contact / planned < 0.2):
            out.append(
                f"{_orders(untold)} had reached a milestone nobody was told about before going silent: "
                "check the reasons above and enable those milestones on e-mail or SMS."
            )
        if not out:
            out.append("No gaps or losses above the thresholds: the journey keeps customers informed.")
        return out

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-safe data; keys are stable and documented in docs/journeys.md."""
        orders = max(self.orders, 1)
        return {
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "orders": self.orders,
            "customers": self.customers,
            "messages": {
                "sent": self.sent_total,
                "per_order": round(self.sent_total / orders, 3),
                "by_channel": {
                    channel: {
                        "sent": sum(counts.values()),
                        "per_order": round(sum(counts.values()) / orders, 3),
                        "by_milestone": dict(sorted(counts.items())),
                    }
                    for channel, counts in sorted(self.sent.items())
                },
                "held_quiet_hours": dict(sorted(self.held_quiet_hours.items())),
                "pending_at_end": self.outcomes[Outcome.PENDING.value],
                "orders_with_customer_message": self.orders_with_customer_message,
            },
            "suppressed": {
                "total": sum(self.not_sent.values()),
                "by_reason": dict(sorted(self.not_sent.items())),
                "by_reason_milestone": {
                    reason: dict(sorted(self.outcomes_by_milestone.get(reason, Counter()).items()))
                    for reason in sorted(self.not_sent)
                },
                "by_channel": {
                    channel: dict(
                        sorted(
                            (k, v)
                            for k, v in counts.items()
                            if k not in (Outcome.SENT.value, Outcome.PENDING.value)
                        )
                    )
                    for channel, counts in sorted(self.outcomes_by_channel.items())
                },
            },
            "silent": {
                "days": self.silent_days,
                "orders": self.silent_orders,
                "share": round(self.silent_orders / orders, 4),
                "by_stage": dict(sorted(self.silent_by_stage.items())),
                "ongoing": self.silent_ongoing,
                "with_untold_milestones": self.silent_untold,
                "on_the_way_without_news": self.silent_transit_no_news,
                "on_the_way_scans_only": self.silent_transit_scans_only,
                "median_days": self.median_silent_days(),
                "examples_by_stage": {
                    stage: self.examples_in([stage]) for stage in sorted(self.silent_by_stage)
                },
                "longest": [
                    {
                        "number": g.number,
                        "stage": g.stage.value,
                        "since": g.since.isoformat(),
                        "until": g.until.isoformat() if g.until else None,
                        "days": round(g.days, 1),
                        "ongoing": g.ongoing,
                        "untold_milestones": g.untold_milestones,
                        "facts": g.facts,
                    }
                    for g in self.longest_gaps
                ],
            },
            "late_unwarned": {
                "orders": self.late_unwarned,
                "share": round(self.late_unwarned / orders, 4),
                "examples": [e[1] for e in self._late_examples],
            },
            "recommendations": self.recommendations(),
        }
