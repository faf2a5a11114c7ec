"""Self-service actions a customer's message can take on an order, as facts in the ledger.

* cancel before fulfilment: an ``order.cancelled`` fact through :func:`aftercart.orders.cancel.
  order_cancel` (refused under the order's lock once delivered), and refused here first once
  anything shipped — a parcel on its way is not the automation's to cancel;
* change the delivery address before the carrier has it: an ``order.updated`` fact carrying
  ``shipping_address`` (and ``source="support"``), written under the order's lock after checking
  again that no parcel has been scanned.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.state import ShipmentState
from aftercart.domain.vocabulary import CarrierTag
from aftercart.kernel.db import rows_in
from aftercart.orders.cancel import OrderDelivered, order_cancel
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.services import facts_record


def with_carrier(shipment: ShipmentState) -> bool:
    """A carrier has the parcel: it was scanned (more than a label printed)."""
    return shipment.first_scan_at is not None or shipment.tag not in (
        CarrierTag.PENDING,
        CarrierTag.INFO_RECEIVED,
    )


class ActionRefused(Exception):
    """The order's state no longer allows the action (nothing was written)."""


def order_cancel_by_customer(*, order: Order, conversation_id: str, now: datetime) -> None:
    """Cancel ``order`` at the customer's request; :class:`ActionRefused` once shipped."""
    state = order_state(order)
    if state.shipments or state.fully_delivered:
        raise ActionRefused("already shipped")
    fact = Fact(
        kind=FactKind.ORDER_CANCELLED,
        occurred_at=now,
        idempotency_key=f"order:{order.external_id}:cancelled",
        source="support",
        order_ref=order.external_id,
        payload={"reason": "customer request", "conversation": conversation_id},
    )
    try:
        order_cancel(store=order.store, order=order, fact=fact, now=now)
    except OrderDelivered as exc:
        raise ActionRefused("delivered") from exc


def order_address_change(*, order: Order, address: str, conversation_id: str, now: datetime) -> None:
    """Record the customer's new delivery address; :class:`ActionRefused` once a carrier has a
    parcel (a scan) or the order is cancelled or delivered."""
    with transaction.atomic():
        if connection.features.has_select_for_update:
            rows_in(Order, ("id",), "id", [order.pk], lock=True)
        state = order_state(order)
        scanned = any(with_carrier(s) for s in state.shipments.values())
        if state.cancelled_at is not None or state.fully_delivered or scanned:
            raise ActionRefused("with the carrier")
        fact = Fact(
            kind=FactKind.ORDER_UPDATED,
            occurred_at=now,
            idempotency_key=f"order:{order.external_id}:address:{conversation_id}:{now.isoformat()}",
            source="support",
            order_ref=order.external_id,
            payload={"shipping_address": address, "changed_by": "customer", "conversation": conversation_id},
        )
        facts_record(store=order.store, facts=[fact], now=now)
