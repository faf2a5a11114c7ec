"""The claims' loop, run by ``aftercart worker``: flag claims past their service-level due times
(a decision or a resolution late), which no incoming fact signals."""

from __future__ import annotations

from aftercart.claims.services.sla import claims_overdue_flag
from aftercart.kernel.loops import Loop

BATCH = 500


def claims_sla_pass(*, limit: int = BATCH) -> bool:
    """Flag one batch of overdue claims; whether more may be waiting (a full batch)."""
    return claims_overdue_flag(limit=limit) >= limit


def claims_sla_loop(*, interval: float = 300.0) -> Loop:
    """The pass as a loop (:mod:`aftercart.kernel.loops`): every ``interval`` seconds."""
    return Loop("claims-sla", claims_sla_pass, interval)
