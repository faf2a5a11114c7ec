"""Tuning of the delivery-window model: the target share, the trust grid and :class:`EtaConfig`."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SHARE = 0.95

#: Weights the carrier's estimate can get (0 = ignore it, 1 = only it, corrected by its track record).
#: A coarse grid keeps the choice explainable and cheap to learn online.
TRUST_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True, slots=True)
class EtaConfig:
    """Tuning knobs. Defaults were chosen by backtests on the shared Olist sample (docs/eta.md)."""

    share: float = DEFAULT_SHARE  # deliveries that must arrive by the latest date
    # At most this share should arrive before the earliest date. 8%, not 5%: on the shared sample
    # the window narrows by a day on both periods (2017-06..12 and 2018) and still covers ≥ 81%.
    early_share: float = 0.08
    half_life_days: float = 240.0  # memory of the lane/location histograms, by delivered time
    calibration_half_life_days: float = 10.0  # memory of calibration, trust and hit rates
    calibration_prior: float = 50.0  # pseudo-deliveries that were exactly calibrated
    local_strength: float = 60.0  # pseudo-deliveries a destination's calibration borrows overall
    min_count: int = 30  # a level speaks for itself in the explanation from this many
    prior_strength: float = 20.0  # shrink a level towards its parent with this many pseudo-deliveries
    cutoff_hour: int = 18  # orders at or after this local hour start the next day (24 = never)
    handoff_cutoff_hour: int = 18  # handoffs at or after this hour start transit the next day
    max_days: int = 120  # business days; longer legs are counted as this
    max_sla_days: int = 15  # ship-by deadlines further out share one bucket
    timezone: str = ""  # local zone for aware datetimes ("" = keep their own offset)
    calibration_window: int = 5000  # fit() scores (calibrates on) this many of the newest deliveries
    # Not read: the business days are the house calendar's (aftercart.domain.calendar, public
    # holidays). Kept in place because pickled models restore this dataclass's fields by position.
    holiday_categories: tuple[str, ...] = ("public",)
    prior_handling_days: tuple[int, int] = (0, 3)  # cold start: uniform over these business days
    prior_transit_days: tuple[int, int] = (1, 10)
    trust: float | None = None  # pin the weight of carrier estimates (None = learn it per carrier)
    match_estimate: float | None = None  # target = estimate's recent hit rate + this (None = share)
    min_share: float = 0.8  # bounds for the matched target share
    max_share: float = 0.99
    warmup_days: float = 30.0  # history younger than this: the window ends on the carrier estimate
    match_after_days: float = 60.0  # history younger than this: the target is ``share``
