"""Holdout groups: who does not get a journey or placement, and what the difference was.

INTERFACE STUB (to be replaced; keep these names and signatures).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


def assigned_to_holdout(*, customer_key: str, experiment: str, share: float) -> bool:
    """Whether this customer is in the experiment's holdout group: deterministic per customer and
    experiment, a ``share`` (0..1) of customers in expectation."""
    digest = hashlib.sha256(f"{experiment}\x00{customer_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass(frozen=True, slots=True)
class Estimate:
    """Treated mean minus held-out mean, with its confidence interval."""

    difference: float
    low: float
    high: float
    n_treated: int
    n_held_out: int


def difference(treated: Sequence[float], held_out: Sequence[float], *, confidence: float = 0.95) -> Estimate:
    """The difference of means between the groups (per-customer values: contacts per order,
    CSAT, repeat purchase 0/1, revenue), with a confidence interval (stub: no interval)."""
    mt = sum(treated) / len(treated) if treated else 0.0
    mh = sum(held_out) / len(held_out) if held_out else 0.0
    return Estimate(mt - mh, mt - mh, mt - mh, len(treated), len(held_out))
