"""Whether, and when, an order reached the customer: the one rule the next step, the life of a
shopper's link and the tracking page's way into returns all follow."""

from __future__ import annotations

from datetime import datetime

from aftercart.domain.projection.state import OrderState

__all__ = ["arrived_at"]


def arrived_at(state: OrderState) -> datetime | None:
    """When the last parcel of the order was delivered or collected; ``None`` when nothing has
    arrived yet. A parcel that arrived counts whatever else is still on its way."""
    moments = [s.delivered_at for s in state.shipments.values() if s.delivered_at]
    moments += [ln.pickup.collected_at for ln in state.lines.values() if ln.pickup and ln.pickup.collected_at]
    return max(moments) if moments else None
