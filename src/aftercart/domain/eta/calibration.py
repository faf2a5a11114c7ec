"""Calibration of quantile levels from recent PIT values, so that a target share of deliveries is
covered whatever the histograms get wrong."""

from __future__ import annotations


class PitCalibrator:
    """Recency-weighted histogram of PIT values: the level at which to read a quantile so that a
    target share of recent deliveries would have been covered."""

    BINS = 1000

    def __init__(self, prior: float) -> None:
        self.bins = [0.0] * self.BINS
        self.weight = 0.0
        self.prior = prior

    def add(self, u: float, w: float) -> None:
        """Count a PIT value ``u`` (in [0, 1]) with growth weight ``w``."""
        i = min(self.BINS - 1, max(0, int(u * self.BINS)))
        self.bins[i] += w
        self.weight += w

    def scale(self, factor: float) -> None:
        """Multiply every count by ``factor`` (rebasing the growth origin keeps weights finite)."""
        self.bins = [b * factor for b in self.bins]
        self.weight *= factor

    def upper(
        self, share: float, scale: float, parent: PitCalibrator | None = None, strength: float = 0.0
    ) -> float:
        """Smallest level ``L`` such that ``share`` of the PIT mass lies below ``L``: the quantile at
        ``L`` covers that share of recent deliveries. The PITs are padded with :attr:`prior`
        pseudo-deliveries spread uniformly (a perfectly calibrated model), which keeps ``L`` near
        ``share`` on thin data; with a ``parent`` (the overall calibrator of a destination's),
        ``strength`` more pseudo-deliveries are spread like the parent's PITs."""
        total = self.weight * scale + self.prior
        pad = self.prior / self.BINS
        pbins: list[float] | None = None
        pmul = ppad = 0.0
        if parent is not None and strength > 0:
            pn = parent.weight * scale + parent.prior
            pbins = parent.bins
            pmul = strength * scale / pn
            ppad = strength * parent.prior / self.BINS / pn
            total += strength
        # Scan down from the top: only the thin tail above the share has to be summed.
        allowed = (1.0 - share) * total
        acc = 0.0
        bins = self.bins
        for i in range(self.BINS - 1, -1, -1):
            acc += bins[i] * scale + pad
            if pbins is not None:
                acc += pbins[i] * pmul + ppad
            if acc > allowed + 1e-12:
                return (i + 1) / self.BINS
        return 0.0

    def lower(self, share: float, scale: float) -> float:
        """Largest level ``L`` with at most ``share`` of the mass of ``F(actual)`` below ``L``: at
        most that share of recent deliveries arrived before the quantile at ``L``."""
        pad = self.prior / self.BINS
        allowed = share * (self.weight * scale + self.prior)
        acc = 0.0
        for i, b in enumerate(self.bins):
            acc += b * scale + pad
            if acc > allowed + 1e-12:
                return i / self.BINS
        return 1.0
