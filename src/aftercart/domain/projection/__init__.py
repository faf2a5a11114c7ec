"""Fold an order's facts into its state.

The state is a pure function of the *set* of facts: they are de-duplicated by idempotency key and
folded in one total order (:attr:`Fact.sort_key`), so arrival order and duplicates never matter.
Rules that make late or contradictory reports harmless live here and nowhere else:

* a shipment that is delivered stays delivered (a later "in transit" scan is kept in the timeline,
  never as the status);
* a line does not move back through the warehouse flow (a late "picking" after "packed"), except
  out of ``on_hold`` / ``unavailable``, which a restock or release legitimately ends;
* a cancelled order stays cancelled.

Modules: :mod:`~aftercart.domain.projection.state` (``OrderState`` and its parts, and their JSON
form), :mod:`~aftercart.domain.projection.fold` (``project``, ``can_extend``, ``derive_stage``: the
rules above), :mod:`~aftercart.domain.projection.snapshot` (``to_snapshot``, ``from_snapshot``) and
:mod:`~aftercart.domain.projection.values` (lenient value readers). Import from those modules; the
names below are re-exported so that code written against the former single module keeps working.
"""

from aftercart.domain.projection.fold import can_extend, derive_stage, project
from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot
from aftercart.domain.projection.state import Checkpoint, LineState, OrderState, Pickup, ShipmentState

__all__ = [
    "Checkpoint",
    "LineState",
    "OrderState",
    "Pickup",
    "ShipmentState",
    "can_extend",
    "derive_stage",
    "from_snapshot",
    "project",
    "to_snapshot",
]
