"""The return's own parcel, through the ledger: its carrier events move the return."""

from __future__ import annotations

from datetime import datetime

from aftercart.domain.returns.lifecycle import ReturnStatus, carrier_event
from aftercart.returns.models import Return
from aftercart.returns.services.transition import return_transition


def return_carrier_event(
    ret: Return, *, tag: str, occurred_at: datetime, fact_key: str = "", now: datetime | None = None
) -> bool:
    """Apply one carrier event for the return's parcel: the first scan moves it to in_transit,
    delivery to received (:func:`~aftercart.domain.returns.lifecycle.carrier_event` decides).
    Called by the ledger's receiver for every tracking event naming a return's tracking number,
    inside the ledger's transaction. Whether the return moved."""
    event = carrier_event(ReturnStatus(ret.status), tag)
    if event is None:
        return False
    result = return_transition(
        ret=ret,
        event=event,
        actor="carrier",
        now=occurred_at,
        details={"tag": tag, "fact": fact_key} if fact_key else {"tag": tag},
    )
    return result.applied
