"""What a prediction returns: an earliest–latest :class:`Window`, the stage it was made at and the
evidence (:class:`Basis`) it rests on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class WindowStage(StrEnum):
    """When a window is made."""

    PROMISE = "promise"  # at order confirmation: handling + transit
    HANDOFF = "handoff"  # when the carrier takes the parcel: transit only
    CHECKPOINT = "checkpoint"  # a later tracking event: transit, given it has not arrived yet


@dataclass(frozen=True, slots=True)
class Basis:
    """One piece of evidence behind a window: which leg, which backoff level, how much data."""

    part: str  # "handling" | "transit" | "carrier estimate"
    level: str  # "location" | "sla" | "lane" | "destination" | "region" | "carrier" | "global" | "prior"
    label: str  # e.g. "from SP to RJ"
    count: int  # recent (recency-weighted) observations at that level

    def describe(self) -> str:
        """E.g. ``"transit based on 412 recent deliveries from SP to RJ (lane)"``."""
        if self.level == "prior":
            return f"{self.part}: no history yet, a default assumption"
        what = "orders" if self.part == "handling" else "deliveries"
        return f"{self.part} based on {self.count:,} recent {what} {self.label} ({self.level})"


@dataclass(frozen=True, slots=True)
class Window:
    """An earliest–latest delivery window (local dates, both inclusive).

    ``share`` is the share of similar deliveries calibrated to arrive by ``latest``, ``level`` the
    quantile level that took, ``trust`` the weight given to the carrier's estimate.
    """

    earliest: date
    latest: date
    stage: WindowStage
    share: float
    basis: tuple[Basis, ...]
    trust: float = 0.0
    level: float = 0.0
    note: str = ""

    @property
    def explanation(self) -> str:
        """One sentence: what the window promises and what it rests on."""
        parts = [b.describe() for b in self.basis]
        if self.trust > 0:
            parts.append(f"carrier estimate trusted {self.trust:.0%}")
        if self.note:
            parts.append(self.note)
        head = f"{self.share:.0%} of similar deliveries arrive by {self.latest.isoformat()}"
        return head + ("; " + "; ".join(parts) if parts else "")


def pick_basis(part: str, levels: list[str], labels: list[str], counts: list[float], min_count: int) -> Basis:
    """The most specific level with enough recent data (else the most general level with any)."""
    for level, label, n in zip(levels, labels, counts, strict=True):
        if n >= min_count:
            return Basis(part, level, label, round(n))
    for level, label, n in reversed(list(zip(levels, labels, counts, strict=True))):
        if n >= 0.5:
            return Basis(part, level, label, round(n))
    return Basis(part, "prior", "", 0)
