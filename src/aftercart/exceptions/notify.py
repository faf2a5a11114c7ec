"""Customer messages for exceptions that time revealed: no fact reaches their milestone, so an
opened case publishes it (:class:`~aftercart.orders.events.MilestonesReached`, as the ledger does)
for whoever plans messages.

* a pickup deadline coming up, a handling SLA missed: their milestone, as :data:`MESSAGED_ON_OPEN`
  says;
* a parcel the carrier stopped scanning: ``delayed`` with the window re-estimated now, when that
  breaks what the customer was promised (:func:`~aftercart.domain.exceptions.stall_delay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aftercart.domain.exceptions import CRITICAL_MILESTONE, MESSAGED_ON_OPEN, ExceptionKind, stall_delay
from aftercart.domain.milestones import Reached
from aftercart.domain.projection.state import OrderState
from aftercart.exceptions.models import OrderException
from aftercart.kernel import events
from aftercart.orders.events import MilestonesReached, Planned
from aftercart.orders.windows import Stalled, stall_reestimates


def notify_opened(
    opened: Iterable[OrderException], orders: Mapping[int, tuple[Any, OrderState]], now: datetime
) -> None:
    """Publish the milestone of every opened case that time revealed, for its customer message.

    ``orders`` maps order id → (order row, its current state): an ``Order``, or the ledger's
    ``OrderRow`` (``pk``, ``store_id``, ``external_id``). Runs in the caller's transaction; a
    constant number of queries whatever the number of cases.
    """
    reached: dict[int, list[Reached]] = {}
    stalled: list[Stalled] = []
    for case in opened:
        if case.order_id not in orders:
            continue
        kind = ExceptionKind(case.kind)
        milestone = CRITICAL_MILESTONE.get(kind)
        if kind is ExceptionKind.STALLED:
            order, state = orders[case.order_id]
            stalled.append(Stalled(order.store_id, case.order_id, state, case.subject))
        elif kind in MESSAGED_ON_OPEN and milestone is not None:
            reached.setdefault(case.order_id, []).append(Reached(milestone, case.subject))
    dates = stall_reestimates(stalled, now)
    for item in stalled:
        shipment = item.state.shipments.get(item.shipment_key)
        found = dates.get((item.order_id, item.shipment_key))
        if shipment is None or found is None:
            continue
        delay = stall_delay(
            item.shipment_key,
            last_scan=shipment.last_checkpoint_at or shipment.status_at,
            now=now,
            promised=found.promised,
            reestimate=found.reestimate,
            country=found.country,
        )
        if delay is not None:
            reached.setdefault(item.order_id, []).append(delay)
    items = [
        Planned(order=orders[order_id][0], state=orders[order_id][1], reached=milestones)
        for order_id, milestones in reached.items()
    ]
    if items:
        events.publish(MilestonesReached(items=items, now=now))
