"""The event stream: a firehose of carrier webhooks over ``active`` moving parcels, made lazily and
deterministically for a seed (re-sends, late checkpoints, and the simulated clock of each batch)."""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aftercart.benchmarks.ingest.config import DELIVERY_LAG, EPOCH, RESEND_WINDOW, IngestConfig

_CARRIERS = (
    ("UPS", "1Z"),
    ("FedEx", "7"),
    ("DHL Express", "JD"),
    ("USPS", "94"),
    ("Royal Mail", "RM"),
    ("DPD", "15"),
)
_PLACES = (
    "Louisville, KY, US",
    "Memphis, TN, US",
    "Chicago, IL, US",
    "Newark, NJ, US",
    "Ontario, CA, US",
    "Dallas, TX, US",
    "Leipzig, DE",
    "Cologne, DE",
    "East Midlands, GB",
    "Heathrow, GB",
    "Paris-Nord, FR",
    "Liège, BE",
    "Madrid, ES",
    "Milan, IT",
    "Warsaw, PL",
    "Toronto, ON, CA",
)
#: (raw code, message, subtag) of in-transit scans, as carriers word them.
_TRANSIT_SCANS = (
    ("OR", "Origin scan", "in_transit.accepted"),
    ("PU", "Picked up by carrier", "in_transit.accepted"),
    ("AR", "Arrived at facility", "in_transit.arrival_scan"),
    ("DP", "Departed from facility", "in_transit.departure_scan"),
    ("IT", "In transit to next facility", "in_transit"),
    ("FW", "Forwarded to local depot", "in_transit.forwarded"),
    ("CC", "Cleared customs", "in_transit.customs_cleared"),
    ("AD", "Arrived at destination country", "in_transit.at_destination_country"),
)


@dataclass(slots=True)
class _Checkpoint:
    minute: int  # since EPOCH
    tag: str
    subtag: str
    raw_code: str
    raw_message: str
    location: str
    estimated_delivery: date | None = None


@dataclass(slots=True)
class Parcel:
    """One simulated shipment: its order, carrier, tracking number and planned checkpoints."""

    index: int
    start: int  # minute since EPOCH of the first checkpoint
    carrier: str
    tracking_number: str
    lines: int
    estimated_delivery: date
    checkpoints: list[_Checkpoint]
    #: A checkpoint of this parcel is being held back; the next one must go out on time, or the
    #: held one would not be "after a later event" any more.
    holding: bool = False

    @property
    def order_id(self) -> str:
        """The store's order id."""
        return f"BENCH-{self.index:08d}"


def _parcel(seed: int, index: int, start: int) -> Parcel:
    """The journey of parcel ``index``: a pure function of (seed, index, start)."""
    rng = random.Random(seed * 1_000_003 + index)
    carrier, prefix = _CARRIERS[index % len(_CARRIERS)]
    tracking = f"{prefix}BN{seed:02d}{index:010d}"
    eta = (EPOCH + timedelta(minutes=start)).date() + timedelta(days=rng.randint(3, 5))
    total = rng.randint(10, 20)
    failed_attempt = rng.random() < 0.15
    delayed = rng.random() < 0.10
    # Fixed steps: received, out for delivery, delivered; +2 for a failed attempt and its retry,
    # +1 for a delay. The rest are transit scans (at least 4).
    transit = total - 3 - (2 if failed_attempt else 0) - (1 if delayed else 0)
    minute = start
    places = rng.sample(_PLACES, 6)
    origin, destination = places[0], places[-1]
    steps: list[_Checkpoint] = [
        _Checkpoint(minute, "info_received", "info_received", "MP", "Shipment information received", origin)
    ]
    delay_at = rng.randrange(1, transit) if delayed else -1
    for i in range(transit):
        minute += rng.randint(30, 480)
        code, message, subtag = rng.choice(_TRANSIT_SCANS)
        place = rng.choice(places)
        facility = rng.randint(1000, 9999)
        estimate = eta if i == 0 else None  # carriers repeat their estimate on the first scan
        steps.append(
            _Checkpoint(minute, "in_transit", subtag, code, f"{message} {facility}", place, estimate)
        )
        if i == delay_at:
            minute += rng.randint(30, 240)
            eta += timedelta(days=rng.randint(1, 3))
            steps.append(
                _Checkpoint(minute, "exception", "exception.delayed", "DL", "Delayed: weather", place, eta)
            )
    minute += rng.randint(60, 600)
    steps.append(
        _Checkpoint(minute, "out_for_delivery", "out_for_delivery", "OD", "Out for delivery", destination)
    )
    if failed_attempt:
        minute += rng.randint(120, 480)
        steps.append(
            _Checkpoint(
                minute,
                "attempt_fail",
                "attempt_fail.addressee_unavailable",
                "NA",
                "Delivery attempted: nobody home",
                destination,
            )
        )
        minute += rng.randint(900, 1500)  # the next working day
        steps.append(
            _Checkpoint(minute, "out_for_delivery", "out_for_delivery", "OD", "Out for delivery", destination)
        )
    minute += rng.randint(30, 300)
    if rng.random() < 0.5:
        final = (
            "delivered",
            "delivered.signed",
            "KB",
            f"Delivered, signed by {rng.choice('ABCDEFGH')}. SMITH",
        )
    else:
        final = ("delivered", "delivered", "DL", "Delivered to front door")
    steps.append(_Checkpoint(minute, *final, destination))
    assert len(steps) == total
    return Parcel(
        index=index,
        start=start,
        carrier=carrier,
        tracking_number=tracking,
        lines=rng.randint(1, 3),
        estimated_delivery=(EPOCH + timedelta(minutes=start)).date() + timedelta(days=4),
        checkpoints=steps,
    )


@dataclass(slots=True)
class _Emit:
    parcel: Parcel
    checkpoint: int
    late: bool


@dataclass(slots=True)
class _Resend:
    pick: float  # which recent event, as a fraction of the re-send window


@dataclass
class StreamStats:
    """What the stream produced, for the checks: filled in as it runs."""

    emitted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    parcels: int = 0
    #: Tracking numbers whose final (delivered) checkpoint was sent.
    delivered: set[str] = field(default_factory=set)


def schedule(
    config: IngestConfig, stats: StreamStats, on_admit: Callable[[Parcel], None] | None = None
) -> Iterator[_Emit | _Resend]:
    """What to send, in order: checkpoints of the moving parcels by time, resends and late ones.

    A parcel that delivers leaves the window and the next one enters, so ``active`` parcels are
    always moving. A late checkpoint is held back until 10 minutes to 6 hours after the parcel's
    next one, so it usually lands in a later batch than its successor, as a carrier's delayed
    delivery does (a swap inside one batch would cost the ledger nothing). Resends and late sends
    are spread by feedback (send one when the running share is below its rate), which keeps both
    shares exact at any length without a calibrated probability.
    """
    rng = random.Random(config.seed)
    # (minute, tie-break, parcel, checkpoint index, late)
    heap: list[tuple[int, int, Parcel, int, bool]] = []
    sequence = 0

    def push(minute: int, parcel: Parcel, checkpoint: int, late: bool) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(heap, (minute, sequence, parcel, checkpoint, late))

    def admit(at: int) -> None:
        parcel = _parcel(config.seed, stats.parcels, at)
        stats.parcels += 1
        if on_admit is not None:
            on_admit(parcel)
        push(parcel.checkpoints[0].minute, parcel, 0, False)

    # Stagger the first parcels over a typical journey (~3 days) so the window starts in its
    # steady state instead of with every parcel at "info received".
    for _ in range(config.active):
        admit(rng.randint(0, 3 * 24 * 60))

    planned_late = 0
    while stats.emitted < config.events:
        if stats.emitted and stats.duplicates < config.duplicate_rate * stats.emitted and rng.random() < 0.5:
            stats.emitted += 1
            stats.duplicates += 1
            yield _Resend(rng.random())
            continue
        minute, _, parcel, current, late = heapq.heappop(heap)
        if late:
            stats.emitted += 1
            stats.out_of_order += 1
            parcel.holding = False
            yield _Emit(parcel, current, True)
            continue
        final = current == len(parcel.checkpoints) - 1
        if not final:
            following = parcel.checkpoints[current + 1].minute
            push(following, parcel, current + 1, False)
            if not parcel.holding and planned_late < config.late_rate * stats.emitted and rng.random() < 0.5:
                planned_late += 1
                parcel.holding = True
                push(following + rng.randint(10, 360), parcel, current, True)
                continue
        stats.emitted += 1
        if final:
            stats.delivered.add(parcel.tracking_number)
            admit(minute + rng.randint(1, 120))
        yield _Emit(parcel, current, False)


def _event(parcel: Parcel, checkpoint: int) -> dict[str, Any]:
    """The webhook JSON of one checkpoint, as a carrier aggregator would post it."""
    c = parcel.checkpoints[checkpoint]
    event: dict[str, Any] = {
        "kind": "tracking.event",
        "tracking_number": parcel.tracking_number,
        "carrier": parcel.carrier,
        "tag": c.tag,
        "subtag": c.subtag,
        "raw_code": c.raw_code,
        "raw_message": c.raw_message,
        "location": c.location,
        "occurred_at": (EPOCH + timedelta(minutes=c.minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if c.estimated_delivery is not None:
        event["estimated_delivery"] = c.estimated_delivery.isoformat()
    return event


def tracking_events(
    config: IngestConfig,
    stats: StreamStats | None = None,
    on_admit: Callable[[Parcel], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """The ``config.events`` webhook dicts of the firehose, made one at a time (deterministic for a
    seed). ``on_admit`` sees each parcel as it enters the window, before its first event."""
    stats = stats if stats is not None else StreamStats()
    recent: deque[dict[str, Any]] = deque(maxlen=RESEND_WINDOW)
    for item in schedule(config, stats, on_admit):
        if isinstance(item, _Resend):
            # A copy: a re-sent webhook is a new body with the same content.
            yield dict(recent[int(item.pick * len(recent))])
            continue
        event = _event(item.parcel, item.checkpoint)
        recent.append(event)
        yield event


def batch_clock(batch: list[dict[str, Any]]) -> datetime:
    """The simulated "now" a batch is recorded at: its newest event plus a delivery delay."""
    # One timestamp format throughout the stream, so the newest string is the newest time.
    newest = max(event["occurred_at"] for event in batch)
    return datetime.fromisoformat(newest) + DELIVERY_LAG
