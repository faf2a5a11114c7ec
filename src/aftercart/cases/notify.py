"""Customer messages for exceptions that time revealed (a pickup deadline coming up): no fact
reaches their milestone, so an opened case hands it to the notification planner itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from aftercart.cases.models import OrderException
from aftercart.domain.exceptions import CRITICAL_MILESTONE, MESSAGED_ON_OPEN, ExceptionKind
from aftercart.domain.milestones import Reached
from aftercart.domain.projection import OrderState
from aftercart.notifications.receivers import plan_notifications
from aftercart.orders.models import Order
from aftercart.orders.planner import Planned


def notify_opened(
    opened: Iterable[OrderException], orders: Mapping[int, tuple[Order, OrderState]], now: datetime
) -> None:
    """Plan the customer message of every opened case of a kind only an opened case announces.

    ``orders`` maps order id → (order row, its current state). Runs in the caller's transaction.
    """
    reached: dict[int, list[Reached]] = {}
    for case in opened:
        kind = ExceptionKind(case.kind)
        milestone = CRITICAL_MILESTONE.get(kind)
        if kind in MESSAGED_ON_OPEN and milestone is not None and case.order_id in orders:
            reached.setdefault(case.order_id, []).append(Reached(milestone, case.subject))
    items = [
        Planned(order=orders[order_id][0], state=orders[order_id][1], reached=milestones)
        for order_id, milestones in reached.items()
    ]
    if items:
        plan_notifications(items=items, now=now)
