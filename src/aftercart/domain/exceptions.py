"""Exception rules: which problems an order has right now, as a pure function of its state and time.

:func:`detect` is the only place that decides whether a parcel is stalled, late, lost, or a line is
unavailable. It runs on every re-projected order (a new fact can open *or* close a problem) and in the
periodic sweep (time alone can open one: nothing happening *is* the problem for a stalled parcel).
Because it is a function of (state, now, rules) only, both paths agree, and the caller turns the
difference between what it returns and what is recorded as open into "opened" and "resolved".

A cause is identified by ``(kind, subject)``: the same problem with the same parcel or line is one
cause however often it is detected. ``detail`` (a new delivery date, a deadline) is information about
the cause, not part of its identity, so a delay that moves again updates the open record instead of
opening a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from aftercart.domain.calendar import is_business_day
from aftercart.domain.facts import CustomerChoice
from aftercart.domain.milestones import Milestone, Reached
from aftercart.domain.projection.state import LineState, OrderState, Pickup, ShipmentState
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag


class ExceptionKind(StrEnum):
    """Every problem the team can be asked to look at."""

    STALLED = "stalled"
    NOT_PICKED_UP = "not_picked_up"
    DELAYED = "delayed"
    ATTEMPT_FAILED = "attempt_failed"
    RETURNING_TO_SENDER = "returning_to_sender"
    LOST = "lost"
    DAMAGED = "damaged"
    PICKUP_EXPIRING = "pickup_expiring"
    PICKUP_EXPIRED = "pickup_expired"
    NOT_SHIPPED_IN_SLA = "not_shipped_in_sla"
    ITEM_UNAVAILABLE = "item_unavailable"
    #: An approved return's prepaid label could not be bought (the purchase failed for good):
    #: subject ``return:<RMA>``. Recorded by the returns app, not detected (see :data:`RECORDED`).
    RETURN_LABEL_FAILED = "return_label_failed"
    #: A customer a person should talk to: they rated the order low (subject ``survey:<ref>``), or
    #: it arrived late and nobody told them (``late:<order>``). Recorded by the feedback app.
    CUSTOMER_FOLLOW_UP = "customer_follow_up"


class Severity(StrEnum):
    """How urgently a person should look: critical ones are customer-visible failures."""

    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"


class Queue(StrEnum):
    """Which team owns a kind of problem by default."""

    CARRIER = "carrier"
    WAREHOUSE = "warehouse"
    CUSTOMER = "customer"


SEVERITY: dict[ExceptionKind, Severity] = {
    ExceptionKind.STALLED: Severity.HIGH,
    ExceptionKind.NOT_PICKED_UP: Severity.HIGH,
    ExceptionKind.DELAYED: Severity.WARNING,
    ExceptionKind.ATTEMPT_FAILED: Severity.HIGH,
    ExceptionKind.RETURNING_TO_SENDER: Severity.CRITICAL,
    ExceptionKind.LOST: Severity.CRITICAL,
    ExceptionKind.DAMAGED: Severity.CRITICAL,
    ExceptionKind.PICKUP_EXPIRING: Severity.WARNING,
    ExceptionKind.PICKUP_EXPIRED: Severity.HIGH,
    ExceptionKind.NOT_SHIPPED_IN_SLA: Severity.HIGH,
    ExceptionKind.ITEM_UNAVAILABLE: Severity.CRITICAL,
    ExceptionKind.RETURN_LABEL_FAILED: Severity.HIGH,
    ExceptionKind.CUSTOMER_FOLLOW_UP: Severity.HIGH,
}

#: Default owner of each kind: the carrier desk chases parcels, the warehouse ships and restocks,
#: customer care talks to the customer about what only they can do (collect, re-arrange delivery).
QUEUE: dict[ExceptionKind, Queue] = {
    ExceptionKind.STALLED: Queue.CARRIER,
    ExceptionKind.NOT_PICKED_UP: Queue.WAREHOUSE,
    ExceptionKind.DELAYED: Queue.CARRIER,
    ExceptionKind.ATTEMPT_FAILED: Queue.CUSTOMER,
    ExceptionKind.RETURNING_TO_SENDER: Queue.CARRIER,
    ExceptionKind.LOST: Queue.CARRIER,
    ExceptionKind.DAMAGED: Queue.CARRIER,
    ExceptionKind.PICKUP_EXPIRING: Queue.CUSTOMER,
    ExceptionKind.PICKUP_EXPIRED: Queue.CUSTOMER,
    ExceptionKind.NOT_SHIPPED_IN_SLA: Queue.WAREHOUSE,
    ExceptionKind.ITEM_UNAVAILABLE: Queue.WAREHOUSE,
    # Usually the shopper's address: customer care confirms it with them, fixes it, retries.
    ExceptionKind.RETURN_LABEL_FAILED: Queue.CUSTOMER,
    # An unhappy customer reaches a person: customer care calls or writes back.
    ExceptionKind.CUSTOMER_FOLLOW_UP: Queue.CUSTOMER,
}

#: The customer-facing milestone an opened exception corresponds to, where one exists.
#: Fact-driven kinds (delayed, lost, unavailable ...) already reach these milestones through
#: :func:`aftercart.domain.milestones.reached`; time-driven kinds (stalled, pickup expiring, not
#: shipped in SLA) reach none, which is why the ledger hands newly opened exceptions on separately
#: (:data:`MESSAGED_ON_OPEN`). A stall is told as ``delayed`` with the re-estimated date, and only
#: when that breaks the promise (:func:`stall_delay`).
CRITICAL_MILESTONE: dict[ExceptionKind, Milestone | None] = {
    ExceptionKind.STALLED: Milestone.DELAYED,
    ExceptionKind.NOT_PICKED_UP: None,  # the merchant's problem: tell the team, not the customer
    ExceptionKind.DELAYED: Milestone.DELAYED,
    ExceptionKind.ATTEMPT_FAILED: Milestone.ATTEMPT_FAILED,
    ExceptionKind.RETURNING_TO_SENDER: Milestone.EXCEPTION,
    ExceptionKind.LOST: Milestone.EXCEPTION,
    ExceptionKind.DAMAGED: Milestone.EXCEPTION,
    ExceptionKind.PICKUP_EXPIRING: Milestone.PICKUP_EXPIRING,
    ExceptionKind.PICKUP_EXPIRED: None,
    ExceptionKind.NOT_SHIPPED_IN_SLA: Milestone.LATE_TO_SHIP,  # the customer may keep waiting or cancel
    ExceptionKind.ITEM_UNAVAILABLE: Milestone.ITEM_UNAVAILABLE,
    ExceptionKind.RETURN_LABEL_FAILED: None,  # the return's own next step tells the shopper
    ExceptionKind.CUSTOMER_FOLLOW_UP: None,  # a person writes to the customer
}

#: Kinds that :func:`detect` does not decide: the app that knows the cause opens and resolves their
#: cases itself (``exceptions.services.exception_record_open`` / ``_resolve``), and syncing an
#: order's detected causes leaves them alone (nothing in the order's state says they are over).
RECORDED = frozenset({ExceptionKind.RETURN_LABEL_FAILED, ExceptionKind.CUSTOMER_FOLLOW_UP})

#: Kinds whose customer message only an opened exception can trigger (time revealed them; no fact
#: reaches their milestone). The others' milestones come from the facts already. A stall's message
#: depends on the re-estimated window as well (:func:`stall_delay`), so it is decided apart.
MESSAGED_ON_OPEN = frozenset({ExceptionKind.PICKUP_EXPIRING, ExceptionKind.NOT_SHIPPED_IN_SLA})

_LOST = {Subtag.EXCEPTION_LOST}
_DAMAGED = {Subtag.EXCEPTION_DAMAGED}
_RETURNING = {Subtag.EXCEPTION_RETURN_TO_SENDER, Subtag.EXCEPTION_RETURNED_TO_SENDER}
#: A parcel the carrier has and is moving: silence from it for too long means it is stuck.
_MOVING = {CarrierTag.IN_TRANSIT, CarrierTag.OUT_FOR_DELIVERY}
#: A label exists but the carrier has not scanned the parcel yet.
_LABEL_ONLY = {CarrierTag.PENDING, CarrierTag.INFO_RECEIVED}
#: Lines the merchant no longer has to ship (or that leave by another route than a parcel).
_NOT_TO_SHIP = {
    FulfilmentStatus.CANCELLED,
    FulfilmentStatus.PICKED_UP,
    FulfilmentStatus.READY_FOR_PICKUP,
    FulfilmentStatus.UNAVAILABLE,
}


@dataclass(frozen=True, slots=True)
class OpenCause:
    """A problem that exists now: its kind, what it is about (a shipment key, ``line:<id>`` or ""
    for the whole order) and a human detail that may change while the cause stays the same."""

    kind: ExceptionKind
    subject: str = ""
    detail: str = field(default="", compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the cause: two detections with the same key are the same problem."""
        return (self.kind.value, self.subject)

    @property
    def severity(self) -> Severity:
        """How urgent this kind is."""
        return SEVERITY[self.kind]

    @property
    def queue(self) -> Queue:
        """Who owns this kind by default."""
        return QUEUE[self.kind]


@dataclass(frozen=True, slots=True)
class DetectionRules:
    """Thresholds, per store. Durations count business hours: a weekend without scans is not a stall.

    ``stall_hours`` overrides :attr:`default_stall_hours` per carrier slug (lower-case); ``country``
    is the store's, whose public holidays do not count (none when empty).
    """

    default_stall_hours: int = 48
    stall_hours: Mapping[str, int] = field(default_factory=dict)
    not_picked_up_hours: int = 48
    handling_sla_days: int = 2
    pickup_warning: timedelta = timedelta(hours=24)
    country: str = ""

    def stall_hours_for(self, carrier: str) -> int:
        """The stall threshold, in business hours, for one carrier."""
        return int(self.stall_hours.get(carrier.strip().lower(), self.default_stall_hours))

    @property
    def min_stall_hours(self) -> int:
        """The smallest stall threshold of any carrier: a sweep that selects by wall-clock age can
        use it as a safe lower bound (business hours never exceed wall-clock hours)."""
        return min([self.default_stall_hours, *self.stall_hours.values()])


DEFAULT_RULES = DetectionRules()


def business_hours_between(start: datetime, end: datetime, country: str = "", cap: float = 0.0) -> float:
    """Hours from ``start`` to ``end`` that fall on business days (whole days count, in UTC).

    With ``cap``, counting stops once it is reached: callers only ask "at least N hours?", and a parcel
    silent for a year should not cost a year of days.
    """
    if end <= start:
        return 0.0
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(), UTC)
        stop = min(midnight, end)
        if is_business_day(cursor.date(), country):
            total += (stop - cursor).total_seconds() / 3600
            if cap and total >= cap:
                return total
        cursor = stop
    return total


def _waited(since: datetime | None, now: datetime, hours: float, country: str) -> bool:
    return since is not None and business_hours_between(since, now, country, cap=hours) >= hours


def detect(state: OrderState, now: datetime, rules: DetectionRules = DEFAULT_RULES) -> set[OpenCause]:
    """Every problem the order has at ``now``. Pure and deterministic: same input, same answer.

    A delivered (or collected) parcel has no parcel problems, whatever its history: what the
    customer cares about has happened. A cancelled order keeps its parcel problems (a parcel
    already sent can still be lost) but not its fulfilment ones.
    """
    causes: set[OpenCause] = set()
    for shipment in state.shipments.values():
        if not shipment.is_delivered:
            causes |= _shipment_causes(shipment, now, rules)
    if state.cancelled_at is None:
        causes |= _line_causes(state, now, rules)
    return causes


def _shipment_causes(s: ShipmentState, now: datetime, rules: DetectionRules) -> set[OpenCause]:
    out: set[OpenCause] = set()
    key = s.key
    # Carrier-reported problems hold while they are the parcel's *current* status: a later scan
    # (problem resolved, back in transit) closes them.
    if s.subtag in _LOST:
        out.add(OpenCause(ExceptionKind.LOST, key, s.raw_message[:200]))
    elif s.subtag in _DAMAGED:
        out.add(OpenCause(ExceptionKind.DAMAGED, key, s.raw_message[:200]))
    elif s.subtag in _RETURNING:
        out.add(OpenCause(ExceptionKind.RETURNING_TO_SENDER, key, s.raw_message[:200]))
    if s.tag is CarrierTag.ATTEMPT_FAIL:
        out.add(OpenCause(ExceptionKind.ATTEMPT_FAILED, key, f"attempt {s.failed_attempts}"))
    delay = _delay(s, now)
    if delay is not None:
        out.add(OpenCause(ExceptionKind.DELAYED, key, delay))
    stalled = stalled_since(s, now, rules)
    if stalled is not None:
        out.add(OpenCause(ExceptionKind.STALLED, key, f"no scan since {_iso(stalled)}"))
    elif s.tag in _LABEL_ONLY and s.first_scan_at is None:
        since = s.created_at or s.status_at
        if _waited(since, now, rules.not_picked_up_hours, rules.country):
            out.add(OpenCause(ExceptionKind.NOT_PICKED_UP, key, f"label since {_iso(since)}"))
    waiting = s.tag is CarrierTag.AVAILABLE_FOR_PICKUP or s.pickup is not None
    if waiting and s.pickup is not None:
        cause = _pickup_cause(s.pickup, key, now, rules)
        if cause is not None:
            out.add(cause)
    return out


def stalled_since(s: ShipmentState, now: datetime, rules: DetectionRules = DEFAULT_RULES) -> datetime | None:
    """When the carrier last scanned a parcel it is moving, if that is longer ago than the carrier's
    stall threshold (business hours); ``None`` when the parcel is not stalled.

    The one stall rule: the team's case and the customer's next step both ask it.
    """
    if s.is_delivered or s.tag not in (*_MOVING, CarrierTag.EXPIRED):
        return None
    last = s.last_checkpoint_at or s.status_at
    if s.tag is CarrierTag.EXPIRED and last is not None:
        # The tracker (AfterShip) stopped updating after its own silence window: the parcel has
        # gone quiet already, whatever our threshold says; "on its way" would be told forever.
        return last
    if _waited(last, now, rules.stall_hours_for(s.carrier), rules.country):
        return last
    return None


#: A stall whose last scan is older than this is history (an import, a replay), not news: the team
#: still gets a case, the customer no message about a parcel that went quiet months ago.
STALL_NEWS_HORIZON = timedelta(days=14)


def stall_delay(
    subject: str,
    *,
    last_scan: datetime | None,
    now: datetime,
    promised: date | None,
    reestimate: date | None,
    country: str = "",
) -> Reached | None:
    """The ``delayed`` milestone a newly stalled parcel reaches, or ``None`` when the customer's
    promise still holds (the page says the parcel is quiet; a message would only worry them).

    ``promised`` is the latest date the customer was given (the kept promise, or the carrier's first
    estimate, whichever is later); ``reestimate`` the latest date of the window re-estimated now,
    with the silence taken into account. The milestone carries the new date, so a parcel that
    stalls twice and slips twice is told twice, and the same slip once.

    * the re-estimate ends after the promise → delayed, with the new date;
    * nothing was ever promised (no history, no carrier estimate) → delayed without a date: nothing
      the customer was told still explains the silence;
    * no re-estimate, and the promised day is over → delayed without a date.

    Windows end on business days (of ``country``): a promise falling on a weekend or a holiday is
    kept by the next business day, so a re-estimate ending then is no slip.
    """
    if last_scan is not None and now - last_scan > STALL_NEWS_HORIZON:
        return None
    if promised is not None:
        while not is_business_day(promised, country):
            promised += timedelta(days=1)
    if promised is None:
        return Reached(Milestone.DELAYED, subject, reestimate.isoformat() if reestimate else "", by_time=True)
    if reestimate is not None:
        if reestimate > promised:
            return Reached(Milestone.DELAYED, subject, reestimate.isoformat(), by_time=True)
        return None
    if now.astimezone(UTC).date() > promised:
        return Reached(Milestone.DELAYED, subject, by_time=True)
    return None


def late_to_ship(state: OrderState, now: datetime, rules: DetectionRules = DEFAULT_RULES) -> list[LineState]:
    """Lines still to ship once the store's handling SLA (business days since the order) is over;
    empty when the order is on time, cancelled, or has nothing left to ship."""
    if state.cancelled_at is not None:
        return []
    late = [ln for ln in state.lines.values() if _to_ship(ln)]
    if late and _waited(state.placed_at, now, rules.handling_sla_days * 24, rules.country):
        return late
    return []


def _delay(s: ShipmentState, now: datetime) -> str | None:
    """Why the parcel counts as late, or ``None``: the carrier said so, the estimate moved past the
    first promise, or the promised day is over and the parcel is not here."""
    promise = s.first_estimated_delivery
    latest = s.estimated_delivery
    if latest is not None and promise is not None and latest > promise:
        return latest.isoformat()
    if s.subtag is Subtag.EXCEPTION_DELAYED:
        return latest.isoformat() if latest else "reported by carrier"
    if promise is not None and now.astimezone(UTC).date() > max(promise, latest or promise):
        return f"overdue since {promise.isoformat()}"
    return None


def _pickup_cause(pickup: Pickup, subject: str, now: datetime, rules: DetectionRules) -> OpenCause | None:
    if not pickup.awaiting_collection or pickup.deadline is None:
        return None  # collected, or the customer asked for delivery instead: nobody is late
    deadline = pickup.deadline
    if now >= deadline:
        return OpenCause(ExceptionKind.PICKUP_EXPIRED, subject, deadline.isoformat())
    if now >= deadline - rules.pickup_warning:
        return OpenCause(ExceptionKind.PICKUP_EXPIRING, subject, deadline.isoformat())
    return None


def _line_causes(state: OrderState, now: datetime, rules: DetectionRules) -> set[OpenCause]:
    out: set[OpenCause] = set()
    for line in state.lines.values():
        subject = f"line:{line.line_id}"
        # A refund the customer chose settles the line for them (the store is told by webhook);
        # waiting or a substitute still leaves the warehouse something to send.
        refunded = line.customer_choice == CustomerChoice.REFUND
        if line.unavailable_quantity > 0 and line.status is not FulfilmentStatus.CANCELLED and not refunded:
            out.add(
                OpenCause(ExceptionKind.ITEM_UNAVAILABLE, subject, f"{line.unavailable_quantity} unit(s)")
            )
        if line.pickup is not None and line.status is FulfilmentStatus.READY_FOR_PICKUP:
            cause = _pickup_cause(line.pickup, subject, now, rules)
            if cause is not None:
                out.add(cause)
    late = late_to_ship(state, now, rules)
    if late:
        names = ", ".join(sorted(ln.line_id for ln in late))
        out.add(OpenCause(ExceptionKind.NOT_SHIPPED_IN_SLA, "", f"unshipped: {names}"[:200]))
    return out


def _to_ship(line: LineState) -> bool:
    return line.status not in _NOT_TO_SHIP and line.open_quantity > 0


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else "unknown"
