"""Planner benchmark: how many order state changes per second the notification planner decides.

One state change is one fact folded onto an order. Deciding it is what the live planner does for
each: the milestones the order has reached (:func:`reached`), those it has just reached
(:func:`newly_reached`), and the messaging decisions for each enabled channel
(:func:`plan_messages`: staleness, consent, consolidation, frequency caps, quiet hours) against the
customer's recent messages. All pure domain code, timed in CPU seconds of this one thread
(``time.process_time``: the figure does not move when other processes share the core); folding the fact into the
state (:func:`project`) is timed separately, since ingest pays it whether or not anyone is told.

Journeys are synthetic but complete: order placed, picked, packed, shipped with an estimate,
5–10 carrier scans, and for some a failed attempt, a delay with a new date, or an exception; three
channels (e-mail, SMS with consent, webhook) for every milestone.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

EPOCH = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class PlannerReport:
    changes: int
    orders: int
    decisions: int
    messages_planned: int
    decide_seconds: float
    fold_seconds: float
    changes_per_s: float
    fold_and_decide_per_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _journey(index: int, rng: random.Random) -> list[Any]:
    from aftercart.integrations.canonical.schemas import (
        LineStatusIn,
        OrderIn,
        ShipmentCreatedIn,
        TrackingEventIn,
        event_fact,
        order_placed_fact,
    )

    placed = EPOCH + timedelta(minutes=3 * index)
    ref = f"P{index:07d}"
    tracking = f"1Z{index:014d}"
    estimate = (placed + timedelta(days=5)).date()
    facts = [
        order_placed_fact(
            OrderIn.model_validate(
                {
                    "order_id": ref,
                    "number": f"#{index}",
                    "placed_at": placed.isoformat(),
                    "email": f"c{index % 5000}@example.com",  # repeat customers meet frequency caps
                    "phone": f"+1415555{index % 5000:04d}",
                    "sms_consent": True,
                    "country": "US",
                    "lines": [{"line_id": "L1", "title": "Jacket", "quantity": 1}],
                }
            )
        )
    ]

    def line(status: str, hours: float) -> Any:
        return event_fact(
            LineStatusIn.model_validate(
                {
                    "kind": "line.status",
                    "order_id": ref,
                    "line_id": "L1",
                    "status": status,
                    "occurred_at": (placed + timedelta(hours=hours)).isoformat(),
                }
            )
        )

    facts += [line("picking", 3), line("packed", 4)]
    facts.append(
        event_fact(
            ShipmentCreatedIn.model_validate(
                {
                    "kind": "shipment.created",
                    "order_id": ref,
                    "shipment_id": "S1",
                    "carrier": "ups",
                    "tracking_number": tracking,
                    "lines": [{"line_id": "L1"}],
                    "estimated_delivery": estimate.isoformat(),
                    "occurred_at": (placed + timedelta(hours=5)).isoformat(),
                }
            )
        )
    )

    def scan(tag: str, hours: float, subtag: str | None = None, new_estimate: date | None = None) -> Any:
        return event_fact(
            TrackingEventIn.model_validate(
                {
                    "kind": "tracking.event",
                    "tracking_number": tracking,
                    "carrier": "ups",
                    "tag": tag,
                    "subtag": subtag,
                    "raw_message": tag.replace("_", " "),
                    "location": "Louisville, KY, US",
                    "estimated_delivery": new_estimate.isoformat() if new_estimate else None,
                    "occurred_at": (placed + timedelta(hours=hours)).isoformat(),
                }
            )
        )

    hours = 8.0
    for _ in range(rng.randint(5, 10)):
        facts.append(scan("in_transit", hours))
        hours += rng.uniform(4, 14)
    roll = rng.random()
    if roll < 0.08:
        facts.append(scan("exception", hours, "exception_delayed", estimate + timedelta(days=2)))
        hours += 30
    elif roll < 0.10:
        facts.append(scan("exception", hours, "exception_damaged"))
        return facts
    facts.append(scan("out_for_delivery", hours))
    if rng.random() < 0.06:
        facts.append(scan("attempt_fail", hours + 6, "attempt_fail_no_one_home"))
        hours += 24
        facts.append(scan("out_for_delivery", hours))
    facts.append(scan("delivered", hours + 5))
    return facts


def run_planner(*, changes: int = 200_000, seed: int = 1) -> PlannerReport:
    """Fold and decide ``changes`` state changes, journey after journey, one core."""
    from aftercart.domain.messaging import Channel, ContactChoices, Recent, plan_messages
    from aftercart.domain.milestones import Milestone, newly_reached, reached
    from aftercart.domain.projection.fold import project

    rng = random.Random(seed)
    channels = {m: frozenset({Channel.EMAIL, Channel.SMS, Channel.WEBHOOK}) for m in Milestone}
    choices = {Channel.SMS: ContactChoices(opted_in=True)}
    recent_by_customer: dict[str, list[Recent]] = {}
    done = orders = decisions = planned = 0
    fold_seconds = decide_seconds = 0.0
    while done < changes:
        facts = _journey(orders, rng)
        orders += 1
        state = None
        seen: list[str] = []
        for fact in facts:
            if done >= changes:
                break
            t0 = time.process_time()
            state = project([fact], base=state)
            t1 = time.process_time()
            now = fact.occurred_at + timedelta(minutes=2)
            after = reached(state)
            new = newly_reached(seen, after)
            customer = state.email
            made = plan_messages(
                reached=new,
                state=state,
                now=now,
                channels=channels,
                recent=recent_by_customer.get(customer, ()),
                order_key=str(orders),
                choices=choices,
            )
            seen = [r.key for r in after]
            going = [d for d in made if d.goes and d.send_at is not None]
            if going:
                history = recent_by_customer.setdefault(customer, [])
                history.extend(
                    Recent(
                        channel=d.channel,
                        milestone=d.milestone,
                        at=send_at,
                        critical=d.critical,
                        dedupe_key=d.dedupe_key,
                    )
                    for d in going
                    if (send_at := d.send_at) is not None  # always, in going
                )
                del history[:-20]  # what the live planner reads back: the recent window only
            t2 = time.process_time()
            fold_seconds += t1 - t0
            decide_seconds += t2 - t1
            decisions += len(made)
            planned += len(going)
            done += 1
    return PlannerReport(
        changes=done,
        orders=orders,
        decisions=decisions,
        messages_planned=planned,
        decide_seconds=round(decide_seconds, 3),
        fold_seconds=round(fold_seconds, 3),
        changes_per_s=round(done / decide_seconds, 1),
        fold_and_decide_per_s=round(done / (decide_seconds + fold_seconds), 1),
    )
