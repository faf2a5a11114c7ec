"""The delivery-window model: learns from completed deliveries (:meth:`EtaModel.observe`,
:meth:`EtaModel.fit`) and predicts earliest–latest windows (:meth:`EtaModel.predict`).

See :mod:`aftercart.domain.eta` for how a window is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aftercart.domain.calendar import BusinessCalendar
from aftercart.domain.eta.calibration import PitCalibrator
from aftercart.domain.eta.config import TRUST_GRID, EtaConfig
from aftercart.domain.eta.geography import REGIONS
from aftercart.domain.eta.histograms import DayHistogram, blend, cdf, uniform_pmf
from aftercart.domain.eta.shipments import Delivery, EtaShipment
from aftercart.domain.eta.windows import Basis, Window, WindowStage, pick_basis


@dataclass(slots=True)
class _Prepared:
    """Ordinals and keys of one shipment, computed once per prediction or observation."""

    calendar: BusinessCalendar
    start: int  # business-day ordinal the clock starts on (after the cutoff)
    handoff: int | None
    estimate: int | None
    carrier: str
    local: str  # key of the destination's calibrators
    sla: str  # ship-by deadline in business days after the start ("?" when unknown)
    handling: list[tuple[str, ...]]  # histogram keys, most specific first
    transit: list[tuple[str, ...]]
    residual: list[tuple[str, ...]]


@dataclass(slots=True)
class _Legs:
    """The blended histograms of one shipment at one moment (shared by its promise and handoff)."""

    transit: list[float]  # CDF by business day
    handling: list[tuple[int, float]]  # normalised pmf, support only
    residual: list[float] | None  # CDF of (actual − estimate) + max_days
    counts: dict[str, list[float]]  # decayed count per level, per part


@dataclass(slots=True)
class _Dist:
    """A predicted distribution over the business-day offset from ``base`` of the delivery day."""

    base: int
    transit: list[float]  # CDF of the transit leg by business day
    handling: list[tuple[int, float]] | None  # pmf of the handling leg (support only), if ahead
    residual: list[float] | None  # CDF of (actual − estimate) + max_days
    shift: int  # offset of the estimate from ``base``
    trust: float
    lower: int = 0  # the parcel did not arrive before this offset (checkpoints)


class EtaModel:
    """Learns delivery times from completed deliveries and predicts earliest–latest windows.

    Feed deliveries in the order they complete (:meth:`observe`, or :meth:`fit` for a batch), then
    :meth:`predict` a :class:`Window` for a shipment at a moment ``at``.
    """

    def __init__(self, config: EtaConfig | None = None) -> None:
        self.config = c = config or EtaConfig()
        self._size = c.max_days + 1
        self._handling: dict[tuple[str, ...], DayHistogram] = {}
        self._transit: dict[tuple[str, ...], DayHistogram] = {}
        self._residual: dict[tuple[str, ...], DayHistogram] = {}  # actual − estimate, offset by max_days
        self._calendars: dict[str, BusinessCalendar] = {}
        self._tz = ZoneInfo(c.timezone) if c.timezone else None
        self._epoch: float | None = None  # growth origin of the histograms
        self._cal_epoch: float | None = None  # growth origin of calibration, trust and hit rates
        self._calibration: dict[tuple[WindowStage, str, str], PitCalibrator] = {}
        self._trust_length: dict[tuple[str, WindowStage], list[float]] = {}
        self._trust_cal: dict[tuple[str, WindowStage], list[PitCalibrator]] = {}
        self._estimate_hits: dict[str, list[float]] = {}
        self._first_order: float | None = None
        self._prior_handling = uniform_pmf(self._size, *c.prior_handling_days)
        self._prior_transit = uniform_pmf(self._size, *c.prior_transit_days)
        self._prior_residual = uniform_pmf(2 * self._size, c.max_days, c.max_days)  # "the estimate is right"
        self.observed = 0

    # -- time ---------------------------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is not None and self._tz is not None:
            return moment.astimezone(self._tz)
        return moment

    @staticmethod
    def _stamp(moment: datetime) -> float:
        # Wall-clock days: recency weights only need to be right to within hours.
        return moment.toordinal() + (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400.0

    def calendar(self, country: str) -> BusinessCalendar:
        """The (cached) business calendar of a country."""
        cal = self._calendars.get(country)
        if cal is None:
            cal = self._calendars[country] = BusinessCalendar(country)
        return cal

    def _growth(self, stamp: float, *, calibration: bool = False) -> float:
        """Weight of an observation at ``stamp``: ``2 ** ((stamp − epoch) / half_life)``."""
        c = self.config
        if calibration:
            if self._cal_epoch is None:
                self._cal_epoch = stamp
            exponent = (stamp - self._cal_epoch) / c.calibration_half_life_days
            if exponent > 500:  # keep weights finite: rebase everything (every few years at most)
                factor = 2.0**-exponent
                cals = [*self._calibration.values(), *(x for cs in self._trust_cal.values() for x in cs)]
                for cal in cals:
                    cal.scale(factor)
                for sums in (*self._trust_length.values(), *self._estimate_hits.values()):
                    sums[:] = [x * factor for x in sums]
                self._cal_epoch, exponent = stamp, 0.0
            return 2.0**exponent
        if self._epoch is None:
            self._epoch = stamp
        exponent = (stamp - self._epoch) / c.half_life_days
        if exponent > 500:
            factor = 2.0**-exponent
            for table in (self._handling, self._transit, self._residual):
                for hist in table.values():
                    hist.scale(factor)
            self._epoch, exponent = stamp, 0.0
        return 2.0**exponent

    def _decay(self, stamp: float, *, calibration: bool = False) -> float:
        """Multiplier turning stored growth units into counts decayed to ``stamp``."""
        epoch = self._cal_epoch if calibration else self._epoch
        if epoch is None:
            return 0.0
        half = self.config.calibration_half_life_days if calibration else self.config.half_life_days
        return 2.0 ** (-(stamp - epoch) / half)

    def history_days(self, at: datetime) -> float:
        """How far back the learned history reaches from ``at`` (by order time), in days."""
        if self._first_order is None:
            return 0.0
        return self._stamp(at) - self._first_order

    # -- keys ---------------------------------------------------------------------------------------

    def _prepare(self, s: EtaShipment) -> _Prepared:
        c = self.config
        cal = self.calendar(s.destination.country or s.origin.country)
        ordered = self._local(s.ordered_at)
        start_day = ordered.date()
        if ordered.hour >= c.cutoff_hour:
            start_day += timedelta(days=1)
        start = cal.ordinal(start_day)
        handoff = None
        if s.handed_over_at is not None:
            handed = self._local(s.handed_over_at)
            # Parcels handed over in the evening leave with the next day's collection.
            handed_day = handed.date() + timedelta(days=1 if handed.hour >= c.handoff_cutoff_hour else 0)
            handoff = max(start, cal.ordinal(handed_day))
        estimate = cal.ordinal(s.carrier_estimate) if s.carrier_estimate is not None else None
        sla = str(min(c.max_sla_days, max(0, cal.ordinal(s.ship_by) - start))) if s.ship_by else "?"
        o, d = s.origin, s.destination
        carrier = s.carrier or "?"
        o_zone = o.region or REGIONS.get(o.country, {}).get(o.area, o.country)
        d_zone = d.region or REGIONS.get(d.country, {}).get(d.area, d.country)
        return _Prepared(
            calendar=cal,
            start=start,
            handoff=handoff,
            estimate=estimate,
            carrier=carrier,
            local=d.area or d.country,
            sla=sla,
            handling=[("location", s.location or "?", o.country, o.area), ("sla", sla), ("global",)],
            transit=[
                ("lane", carrier, s.service, o.country, o.area, d.country, d.area),
                ("destination", carrier, d.country, d.area),
                ("region", carrier, o.country, o_zone, d.country, d_zone),
                ("carrier", carrier),
                ("global",),
            ],
            residual=[("carrier", carrier), ("global",)],
        )

    @staticmethod
    def _labels(s: EtaShipment, p: _Prepared) -> dict[str, list[str]]:
        """How explanations name each level (built only when a window is returned)."""
        o, d = s.origin, s.destination
        sla = "with no ship-by date" if p.sla == "?" else f"with a {p.sla}-business-day ship-by"
        return {
            "handling": [f"at {(s.location or '?')[:12]}", sla, "overall"],
            "transit": [
                f"from {o.label} to {d.label}",
                f"to {d.label}",
                f"from {o.zone} to {d.zone}",
                f"with {p.carrier}",
                "overall",
            ],
            "carrier estimate": [f"for {p.carrier}", "overall"],
        }

    # -- learning -----------------------------------------------------------------------------------

    def _add(self, delivery: Delivery, p: _Prepared) -> None:
        s = delivery.shipment
        ordered = self._stamp(s.ordered_at)
        if self._first_order is None or ordered < self._first_order:
            self._first_order = ordered
        arrived = p.calendar.ordinal(self._local(delivery.delivered_at).date())
        w = self._growth(self._stamp(delivery.delivered_at))
        top = self.config.max_days
        if p.handoff is not None:
            handling = min(top, max(0, p.handoff - p.start))
            transit = min(top, max(0, arrived - p.handoff))
            for key in p.handling:
                hist = self._handling.get(key)
                if hist is None:
                    hist = self._handling[key] = DayHistogram(self._size)
                hist.bins[handling] += w
                hist.weight += w
            for key in p.transit:
                hist = self._transit.get(key)
                if hist is None:
                    hist = self._transit[key] = DayHistogram(self._size)
                hist.bins[transit] += w
                hist.weight += w
        if p.estimate is not None:
            r = min(2 * top + 1, max(0, arrived - p.estimate + top))
            for key in p.residual:
                hist = self._residual.get(key)
                if hist is None:
                    hist = self._residual[key] = DayHistogram(2 * self._size)
                hist.bins[r] += w
                hist.weight += w
        self.observed += 1

    def observe(self, delivery: Delivery) -> None:
        """Learn one completed delivery. First the model scores what it would have predicted for it
        now (promise and handoff): that drives calibration, trust and the estimate's hit rate."""
        p = self._prepare(delivery.shipment)
        self._score(delivery, p)
        self._add(delivery, p)

    def fit(self, deliveries: Iterable[Delivery], *, until: datetime | None = None) -> EtaModel:
        """Learn a batch of deliveries (any order: sorted by delivered time here), keeping only those
        completed strictly before ``until``. Calibration, trust and hit rates are learned on the
        newest :attr:`EtaConfig.calibration_window`; older ones only feed the histograms, which is
        what keeps a refit on a million deliveries fast (their short memory would forget them)."""
        items = [d for d in deliveries if until is None or d.delivered_at < until]
        items.sort(key=lambda d: d.delivered_at)
        head = max(0, len(items) - self.config.calibration_window)
        prepare, add = self._prepare, self._add
        for d in items[:head]:
            add(d, prepare(d.shipment))
        for d in items[head:]:
            self.observe(d)
        return self

    def _score(self, delivery: Delivery, p: _Prepared) -> None:
        stamp = self._stamp(delivery.delivered_at)
        arrived = p.calendar.ordinal(self._local(delivery.delivered_at).date())
        wc = self._growth(stamp, calibration=True)
        if p.estimate is not None:
            hits = self._estimate_hits.setdefault(p.carrier, [0.0, 0.0])
            hits[0] += wc * (arrived <= p.estimate)
            hits[1] += wc
        stages: list[tuple[WindowStage, int]] = [(WindowStage.PROMISE, p.start)]
        if p.handoff is not None:
            stages.append((WindowStage.HANDOFF, p.handoff))
        legs = self._legs(p, stamp)
        for stage, base in stages:
            actual = arrived - base
            dist = self._distribution(p, stage, legs)
            # Discrete PIT: the probability given to arriving strictly before the actual day (the
            # latest date covers it iff it is read at a level above that), and at or before it.
            below = self._cdf_at(dist, actual - 1)
            self._calibrator(stage, "upper").add(below, wc)
            self._calibrator(stage, "upper", p.local).add(below, wc)
            self._calibrator(stage, "lower").add(self._cdf_at(dist, actual), wc)
            if dist.residual is not None:
                self._learn_trust(p.carrier, stage, dist, actual, wc, stamp)

    def _learn_trust(
        self, carrier: str, stage: WindowStage, dist: _Dist, actual: int, wc: float, stamp: float
    ) -> None:
        """Score each trust weight by the promise it would have made once calibrated (each weight
        has its own PIT calibrator), with the quantile score at the target share: a day of promise
        costs 1, a day late ``1 / (1 − share)``. Lower is sharper at equal reliability."""
        late_cost = 1.0 / max(1e-3, 1.0 - self.config.share)
        lengths = self._trust_length.setdefault((carrier, stage), [0.0] * len(TRUST_GRID))
        cals = self._trust_cal.get((carrier, stage))
        if cals is None:
            cals = self._trust_cal[(carrier, stage)] = [
                PitCalibrator(self.config.calibration_prior) for _ in TRUST_GRID
            ]
        scale = self._decay(stamp, calibration=True)
        for i, trust in enumerate(TRUST_GRID):
            dist.trust = trust
            q = self._quantile(dist, cals[i].upper(self.config.share, scale))
            lengths[i] += wc * (max(0, q) + late_cost * max(0, actual - q))
            cals[i].add(self._cdf_at(dist, actual - 1), wc)

    def _calibrator(self, stage: WindowStage, side: str, local: str = "") -> PitCalibrator:
        key = (WindowStage.HANDOFF if stage is WindowStage.CHECKPOINT else stage, side, local)
        cal = self._calibration.get(key)
        if cal is None:
            cal = self._calibration[key] = PitCalibrator(self.config.calibration_prior)
        return cal

    def trust(self, carrier: str, stage: WindowStage) -> float:
        """How far the carrier's estimate is trusted at a stage: the weight whose calibrated promises
        have recently scored best (see ``_learn_trust``); fully (1.0) before there is any history."""
        if self.config.trust is not None:
            return self.config.trust
        stage = WindowStage.HANDOFF if stage is WindowStage.CHECKPOINT else stage
        lengths = self._trust_length.get((carrier or "?", stage))
        if not lengths or not any(lengths):
            return 1.0
        return TRUST_GRID[min(range(len(TRUST_GRID)), key=lambda i: (lengths[i], -i))]

    def estimate_hit_rate(self, carrier: str, at: datetime) -> tuple[float, float]:
        """``(rate, recent deliveries)``: how often the carrier's estimate was kept lately."""
        hits = self._estimate_hits.get(carrier or "?")
        if not hits or hits[1] <= 0:
            return math.nan, 0.0
        scale = self._decay(self._stamp(at), calibration=True)
        return hits[0] / hits[1], hits[1] * scale

    def share(self, shipment: EtaShipment, at: datetime) -> float:
        """The share the latest date is calibrated for: :attr:`EtaConfig.share`, or with
        :attr:`EtaConfig.match_estimate` set (and history older than ``match_after_days``) the
        carrier estimate's recent hit rate plus that margin, within ``[min_share, max_share]``."""
        c = self.config
        if c.match_estimate is None or shipment.carrier_estimate is None:
            return c.share
        if self.history_days(at) < c.match_after_days:
            return c.share
        rate, n = self.estimate_hit_rate(shipment.carrier, at)
        if n <= 0:
            return c.share
        # Shrunk towards ``share`` by the calibration prior while there are few recent deliveries.
        rate = (rate * n + c.share * c.calibration_prior) / (n + c.calibration_prior)
        return min(c.max_share, max(c.min_share, rate + c.match_estimate))

    # -- predicting ---------------------------------------------------------------------------------

    def _legs(self, p: _Prepared, stamp: float) -> _Legs:
        c = self.config
        scale = self._decay(stamp)
        k = c.prior_strength
        transit, transit_n = blend(
            [self._transit.get(key) for key in p.transit], self._prior_transit, k, scale
        )
        handling, handling_n = blend(
            [self._handling.get(key) for key in p.handling], self._prior_handling, k, scale
        )
        support = [(h, x) for h, x in enumerate(handling) if x > 1e-7]
        total = sum(x for _, x in support) or 1.0
        residual = None
        counts = {"transit": transit_n, "handling": handling_n}
        if p.estimate is not None:
            res, counts["carrier estimate"] = blend(
                [self._residual.get(key) for key in p.residual], self._prior_residual, k, scale
            )
            residual = cdf(res)
        return _Legs(cdf(transit), [(h, x / total) for h, x in support], residual, counts)

    def _distribution(
        self, p: _Prepared, stage: WindowStage, legs: _Legs, trust: float | None = None
    ) -> _Dist:
        if stage is WindowStage.PROMISE or p.handoff is None:
            base, handling = p.start, legs.handling
        else:
            base, handling = p.handoff, None
        shift = 0
        if legs.residual is not None and p.estimate is not None:
            shift = p.estimate - base
            if trust is None:
                trust = self.trust(p.carrier, stage)
        return _Dist(
            base=base,
            transit=legs.transit,
            handling=handling,
            residual=legs.residual,
            shift=shift,
            trust=trust if legs.residual is not None and trust is not None else 0.0,
        )

    def _basis(self, shipment: EtaShipment, p: _Prepared, dist: _Dist, legs: _Legs) -> tuple[Basis, ...]:
        labels = self._labels(shipment, p)
        levels = {
            "handling": [key[0] for key in p.handling],
            "transit": [key[0] for key in p.transit],
            "carrier estimate": [key[0] for key in p.residual],
        }
        parts = (["handling"] if dist.handling is not None else []) + ["transit"]
        if dist.trust > 0:
            parts.append("carrier estimate")
        return tuple(
            pick_basis(part, levels[part], labels[part], legs.counts[part], self.config.min_count)
            for part in parts
        )

    def _raw_cdf(self, dist: _Dist, t: int) -> float:
        f = dist.transit
        n = len(f)
        if dist.handling is None:
            fh = 0.0 if t < 0 else (f[t] if t < n else 1.0)
        else:
            # Handling + transit: F(t) = Σ_h p(h) · F_transit(t − h), evaluated only where the
            # quantile search asks (a few points), never as a whole convolution.
            fh = 0.0
            for h, x in dist.handling:
                j = t - h
                if j < 0:
                    break
                fh += x * (f[j] if j < n else 1.0)
        if dist.residual is None or dist.trust <= 0:
            return fh
        r = dist.residual
        j = t - dist.shift + self.config.max_days
        fr = 0.0 if j < 0 else (r[j] if j < len(r) else 1.0)
        return dist.trust * fr + (1.0 - dist.trust) * fh

    def _cdf_at(self, dist: _Dist, t: int) -> float:
        """P(delivered on or before offset ``t``), given not before ``dist.lower``."""
        value = self._raw_cdf(dist, t)
        if dist.lower > 0:
            if t < dist.lower:
                return 0.0
            floor = self._raw_cdf(dist, dist.lower - 1)
            if floor >= 1.0 - 1e-9:
                return 1.0  # beyond everything seen: arrival is due any day now
            return (value - floor) / (1.0 - floor)
        return value

    def _quantile(self, dist: _Dist, level: float) -> int:
        """Smallest offset ``t ≥ lower`` with ``F(t) ≥ level`` (binary search: F is monotone)."""
        lo = max(0, dist.lower)
        longest = len(dist.transit) + (dist.handling[-1][0] if dist.handling else 0)
        hi = max(lo, longest, dist.shift + self.config.max_days + 1)
        if level <= 0:
            return lo
        while lo < hi:
            mid = (lo + hi) // 2
            if self._cdf_at(dist, mid) >= level:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def predict(self, shipment: EtaShipment, *, at: datetime, stage: WindowStage | None = None) -> Window:
        """The earliest–latest window for ``shipment`` as known at ``at``.

        The stage is inferred when not given: ``promise`` before a carrier handoff, ``handoff`` at
        it, ``checkpoint`` after it — the transit leg is then conditioned on the parcel not having
        arrived on an earlier business day (a promise made days after the order is likewise
        conditioned on handling still going on). The window never starts before the day of ``at``.
        """
        c = self.config
        p = self._prepare(shipment)
        if stage is None:
            if p.handoff is None:
                stage = WindowStage.PROMISE
            elif shipment.handed_over_at is not None and at > shipment.handed_over_at:
                stage = WindowStage.CHECKPOINT
            else:
                stage = WindowStage.HANDOFF
        if p.handoff is None:
            stage = WindowStage.PROMISE
        stamp = self._stamp(at)
        legs = self._legs(p, stamp)
        dist = self._distribution(p, stage, legs)
        today = p.calendar.ordinal(self._local(at).date())
        if today > dist.base:
            dist.lower = today - dist.base
        cal_scale = self._decay(stamp, calibration=True)
        share = self.share(shipment, at)
        level = self._calibrator(stage, "upper", p.local).upper(
            share, cal_scale, self._calibrator(stage, "upper"), c.local_strength
        )
        low_level = self._calibrator(stage, "lower").lower(c.early_share, cal_scale)
        latest = self._quantile(dist, level)
        earliest = min(latest, self._quantile(dist, low_level))
        note = ""
        if c.match_estimate is not None and share != c.share:
            note = f"target {share:.0%}: the carrier estimate's recent hit rate {c.match_estimate:+.1%}"
        if p.estimate is not None and self.history_days(at) < c.warmup_days:
            # Too little history to know the slow deliveries: end on the carrier's estimate.
            latest = max(dist.lower, 0, p.estimate - dist.base)
            earliest = min(earliest, latest)
            note = f"under {c.warmup_days:.0f} days of history: the window ends on the carrier's estimate"
        cal = p.calendar
        return Window(
            earliest=cal.day(dist.base + earliest),
            latest=cal.day(dist.base + latest),
            stage=stage,
            share=share,
            basis=self._basis(shipment, p, dist, legs),
            trust=dist.trust,
            level=level,
            note=note,
        )
