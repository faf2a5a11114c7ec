"""The customer's recorded choices, read back from an order's state.

Kept apart from :mod:`aftercart.domain.options` (what may be chosen) because milestones need it and
options depend on exception detection, which depends on milestones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aftercart.domain.facts import CustomerChoice
from aftercart.domain.projection.state import OrderState


@dataclass(frozen=True, slots=True)
class RecordedChoice:
    """A choice the order's facts hold, as the store's systems are told of it."""

    subject: str
    choice: CustomerChoice
    line_id: str = ""
    shipment_key: str = ""
    substitute: str = ""
    deadline: datetime | None = None
    previous_deadline: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The webhook shape."""
        return {
            "subject": self.subject,
            "choice": self.choice.value,
            "line_id": self.line_id or None,
            "shipment_id": self.shipment_key or None,
            "substitute": self.substitute or None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "previous_deadline": self.previous_deadline.isoformat() if self.previous_deadline else None,
        }


def recorded_choices(state: OrderState) -> list[RecordedChoice]:
    """Every choice the order's facts hold, in a stable order (lines, pickups, order)."""
    out: list[RecordedChoice] = []
    for line in state.lines.values():
        if line.customer_choice:
            out.append(
                RecordedChoice(
                    f"line:{line.line_id}",
                    CustomerChoice(line.customer_choice),
                    line_id=line.line_id,
                    substitute=line.substitute if line.customer_choice == CustomerChoice.SUBSTITUTE else "",
                )
            )
    pickups = [(f"line:{ln.line_id}", ln.line_id, "", ln.pickup) for ln in state.lines.values()]
    pickups += [(s.key, "", s.key, s.pickup) for s in state.shipments.values()]
    for subject, line_id, shipment_key, pickup in pickups:
        if pickup is None:
            continue
        if pickup.extended_from is not None:
            out.append(
                RecordedChoice(
                    subject,
                    CustomerChoice.EXTEND_PICKUP,
                    line_id=line_id,
                    shipment_key=shipment_key,
                    deadline=pickup.deadline,
                    previous_deadline=pickup.extended_from,
                )
            )
        if pickup.delivery_requested:
            out.append(
                RecordedChoice(
                    subject, CustomerChoice.SWITCH_TO_DELIVERY, line_id=line_id, shipment_key=shipment_key
                )
            )
    if state.customer_choice:
        out.append(RecordedChoice("", CustomerChoice(state.customer_choice)))
    return out
