"""Recency-weighted histograms of whole business days, and how backoff levels are blended into one
distribution."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate


class DayHistogram:
    """Recency-weighted counts of whole business days. Weights grow with time (``2 ** (t/h)``)
    instead of old ones decaying, so an update touches one bin."""

    __slots__ = ("bins", "weight")

    def __init__(self, size: int) -> None:
        self.bins = [0.0] * size
        self.weight = 0.0

    def add(self, index: int, w: float) -> None:
        """Count an observation of ``index`` business days with growth weight ``w``."""
        self.bins[index] += w
        self.weight += w

    def scale(self, factor: float) -> None:
        """Multiply every count by ``factor`` (rebasing the growth origin keeps weights finite)."""
        self.bins = [b * factor for b in self.bins]
        self.weight *= factor


def uniform_pmf(size: int, low: int, high: int) -> list[float]:
    """A pmf over ``size`` business days, uniform on ``low..high``: the cold-start prior."""
    low, high = max(0, min(low, size - 1)), max(0, min(high, size - 1))
    p = [0.0] * size
    for i in range(low, high + 1):
        p[i] = 1.0 / (high - low + 1)
    return p


def blend(
    hists: Sequence[DayHistogram | None], prior: list[float], k: float, scale: float
) -> tuple[list[float], list[float]]:
    """Shrink each level towards its parent, from the most general level to the most specific:
    ``p = (n · p_level + k · p_parent) / (n + k)`` with ``n`` the level's decayed count. Returns
    the (unnormalised) pmf of the most specific level and the decayed count of every level."""
    p = prior
    counts: list[float] = []
    for hist in reversed(hists):
        n = hist.weight * scale if hist is not None else 0.0
        counts.append(n)
        if n <= 0 or hist is None:
            continue
        a = scale / (n + k)  # bins are in growth units: bins * scale are decayed counts
        b = k / (n + k)
        p = [x * a + y * b for x, y in zip(hist.bins, p, strict=True)]
    counts.reverse()
    return p, counts


def cdf(pmf: Sequence[float]) -> list[float]:
    """The normalised cumulative distribution of an (unnormalised) pmf."""
    total = sum(pmf)
    inv = 1.0 / total if total > 0 else 1.0
    out = [c * inv for c in accumulate(pmf)]
    if out:
        out[-1] = 1.0  # no rounding dust: the last bin holds everything at or beyond it
    return out
