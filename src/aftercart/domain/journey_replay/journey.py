"""What the journey preview works on and produces: an order's stored history
(:class:`OrderHistory`), the journey being previewed (:class:`SimulationSettings`), and per order the
messages planned (:class:`SimMessage`), what became of them (:class:`Outcome`) and the silences
(:class:`SilentGap`) in an :class:`OrderJourney`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aftercart.domain.exceptions import (
    DEFAULT_RULES,
    DetectionRules,
)
from aftercart.domain.facts import Fact
from aftercart.domain.messaging import (
    DEFAULT_POLICY,
    Channel,
    ContactChoices,
    MessagingPolicy,
)
from aftercart.domain.milestones import Milestone
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
    #: When due, the customer's choices or the order's SMS consent no longer allowed it.
    NO_CONSENT_AT_SEND = "no_consent_at_send"
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
