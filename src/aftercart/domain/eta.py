"""Delivery windows learned from the store's own history: an earliest–latest date, explained.

Pure Python (stdlib and ``holidays``): no Django, no pandas, no numpy. The model is incremental —
:meth:`EtaModel.observe` adds one completed delivery in O(1) — and answers
:meth:`EtaModel.predict` from small histograms, so it can be replayed over years of history
(:mod:`aftercart.domain.eta_backtest`) and refitted on a million deliveries in seconds.

How a window is made
--------------------
* **Business days.** Dates become *business-day ordinals* of the destination country (weekends and
  the country's public holidays from ``holidays`` do not count), precomputed once per country
  (:class:`BusinessCalendar`), so date arithmetic is a list lookup. A day that is not a business day
  maps to the next business day: a parcel that arrives on a Saturday counts as arriving on Monday,
  and a promise always ends on a business day. An order placed at or after
  :attr:`EtaConfig.cutoff_hour` starts on the next day (likewise a handoff after
  :attr:`EtaConfig.handoff_cutoff_hour`). This is how the weekday and the time of the order enter
  the model: a Friday-night order is "0 business days old" until Monday.
* **Two legs.** Delivery time = *handling* (order → carrier handoff) + *transit* (handoff →
  delivered), in business days. Handling is learned per fulfilment location or seller, backed off to
  orders with the same ship-by deadline (the location's own SLA, e.g. Olist's
  ``shipping_limit_date``) and then to all orders. Transit is learned per lane. The promise is the
  distribution of the sum (legs taken as independent; the calibration below absorbs what that
  misses), the handoff re-estimate is the transit leg alone, and a later checkpoint conditions the
  transit leg on "not delivered on an earlier day".
* **Lanes and backoff.** Transit is kept per ``lane`` (carrier + service + origin area →
  destination area, e.g. correios SP → RJ), ``destination`` (carrier → area), ``region`` (origin
  region → destination region), ``carrier`` and ``global``. Each level is shrunk towards its
  parent with :attr:`EtaConfig.prior_strength` pseudo-deliveries, so a thin lane borrows from its
  parents and a busy lane speaks for itself. The explanation names the most specific level with at
  least :attr:`EtaConfig.min_count` recent deliveries and that count ("based on 412 recent
  deliveries from SP to RJ").
* **Recency.** Observations are weighted ``2 ** (age / half_life)`` by their *delivered* time —
  weighting by order time would over-represent the fast deliveries of recent orders, because the
  slow ones have not arrived yet. "Recent deliveries" in an explanation is this decayed count.
  Histograms keep a long memory (:attr:`EtaConfig.half_life_days`: lane *shapes* need data); drift
  is followed by the calibration, which has a short one.
* **Calibration.** Before learning a delivery the model asks what its *current* distribution said
  about it: the probability of arriving strictly before the actual day (a discrete PIT). Recent
  PITs (half-life :attr:`EtaConfig.calibration_half_life_days`) are kept per stage and per
  destination area (a thin destination leans on uniform PITs — "the model is right there" — and on
  the stage's overall PITs). The latest date is read at the level
  ``L`` below which the target share of recent PITs lie: when deliveries run later than the model
  thinks ``L`` rises, when it is too cautious ``L`` falls. The earliest date is calibrated the same
  way from below (:attr:`EtaConfig.early_share`).
* **The carrier's estimate.** When a shipment carries the carrier's (or platform's) own estimated
  date, the model learns per carrier the distribution of (actual − estimate) in business days, and
  per carrier and stage how far to trust it: a weight ``w`` from :data:`TRUST_GRID` for the mixture
  ``w · F_estimate + (1 − w) · F_history``, chosen as the one whose *calibrated* promises (each
  weight has its own PIT calibrator) have scored best on recent deliveries under the quantile score
  at the target share (a day of promise costs 1, a day late ``1 / (1 − share)``) — the sharpest at
  equal reliability. It also tracks how often the estimate has been kept; with
  :attr:`EtaConfig.match_estimate` set the target share follows that hit rate (plus a margin): promise
  at least as reliably as the store's own estimate, in fewer days.
* **Young history.** Deliveries are learned when they complete, so a history younger than the slow
  deliveries holds only the fast ones. For the first :attr:`EtaConfig.warmup_days` the window ends
  on the carrier's estimate when there is one, and the target share only follows the estimate's hit
  rate after :attr:`EtaConfig.match_after_days` (misses are the slow deliveries, seen last).

Nothing here reads a clock: every prediction names its moment (``at``), and the caller feeds
deliveries in the order they complete; :meth:`EtaModel.fit` drops any delivery completed at or
after ``until``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import accumulate
from zoneinfo import ZoneInfo

import holidays as holidays_lib

DEFAULT_SHARE = 0.95

#: Weights the carrier's estimate can get (0 = ignore it, 1 = only it, corrected by its track record).
#: A coarse grid keeps the choice explainable and cheap to learn online.
TRUST_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)

#: Brazil's five macro-regions: the natural level between a state-to-state lane and the country.
BR_REGIONS: dict[str, str] = {
    **dict.fromkeys(("AC", "AP", "AM", "PA", "RO", "RR", "TO"), "North"),
    **dict.fromkeys(("AL", "BA", "CE", "MA", "PB", "PE", "PI", "RN", "SE"), "Northeast"),
    **dict.fromkeys(("DF", "GO", "MT", "MS"), "Centre-West"),
    **dict.fromkeys(("ES", "MG", "RJ", "SP"), "Southeast"),
    **dict.fromkeys(("PR", "RS", "SC"), "South"),
}

#: Region tables by country; a place in a country not listed here has its country as its region.
REGIONS: dict[str, dict[str, str]] = {"BR": BR_REGIONS}


class Stage(StrEnum):
    """When a window is made."""

    PROMISE = "promise"  # at order confirmation: handling + transit
    HANDOFF = "handoff"  # when the carrier takes the parcel: transit only
    CHECKPOINT = "checkpoint"  # a later tracking event: transit, given it has not arrived yet


def region_of(country: str, area: str) -> str:
    """The region an area (state, province) belongs to; the country itself when unknown."""
    return REGIONS.get(country, {}).get(area, country)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a parcel starts or ends: ISO country, area (state/province) and optional region."""

    country: str
    area: str = ""
    region: str = ""

    @property
    def zone(self) -> str:
        """The region used by the ``region`` backoff level."""
        return self.region or region_of(self.country, self.area)

    @property
    def label(self) -> str:
        """How an explanation names the place."""
        return self.area or self.country


@dataclass(frozen=True, slots=True)
class Shipment:
    """What a prediction is about.

    ``location`` is the fulfilment location or seller that ships it, ``ship_by`` its own deadline to
    hand the parcel over, ``carrier_estimate`` the carrier's (or platform's) estimated delivery date.
    Times are aware datetimes (converted to :attr:`EtaConfig.timezone`) or naive local times.
    """

    ordered_at: datetime
    origin: Place
    destination: Place
    carrier: str = ""
    service: str = ""
    location: str = ""
    handed_over_at: datetime | None = None
    carrier_estimate: date | None = None
    ship_by: date | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A completed delivery: the shipment as it was known, and when it arrived."""

    shipment: Shipment
    delivered_at: datetime


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
    stage: Stage
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


@dataclass(frozen=True, slots=True)
class EtaConfig:
    """Tuning knobs. Defaults were chosen by backtests on the shared Olist sample (docs/eta.md)."""

    share: float = DEFAULT_SHARE  # deliveries that must arrive by the latest date
    early_share: float = 0.05  # at most this share should arrive before the earliest date
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
    holiday_categories: tuple[str, ...] = ("public",)
    prior_handling_days: tuple[int, int] = (0, 3)  # cold start: uniform over these business days
    prior_transit_days: tuple[int, int] = (1, 10)
    trust: float | None = None  # pin the weight of carrier estimates (None = learn it per carrier)
    match_estimate: float | None = None  # target = estimate's recent hit rate + this (None = share)
    min_share: float = 0.8  # bounds for the matched target share
    max_share: float = 0.99
    warmup_days: float = 30.0  # history younger than this: the window ends on the carrier estimate
    match_after_days: float = 60.0  # history younger than this: the target is ``share``


# --- business days --------------------------------------------------------------------------------


class BusinessCalendar:
    """Business days of one country as precomputed tables: :meth:`ordinal` and :meth:`day` are list
    lookups. The table covers a span of years and is rebuilt larger when a date falls outside it."""

    def __init__(
        self,
        country: str,
        *,
        first_year: int = 2015,
        last_year: int = 2030,
        weekend: frozenset[int] = frozenset({5, 6}),
        categories: tuple[str, ...] = ("public",),
    ) -> None:
        self.country = country
        self.weekend = weekend
        self.categories = categories
        self._build(first_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        try:
            off = set(
                holidays_lib.country_holidays(
                    self.country, years=range(first_year, last_year + 1), categories=self.categories
                )
            )
        except (NotImplementedError, KeyError, ValueError, AttributeError):
            off = set()  # a country `holidays` does not know: weekends only
        self.first_year, self.last_year = first_year, last_year
        self._base = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        before: list[int] = []  # business days strictly before each calendar day
        days: list[int] = []  # calendar ordinal of each business day
        for o in range(self._base, end + 1):
            before.append(len(days))
            d = date.fromordinal(o)
            if d.weekday() not in self.weekend and d not in off:
                days.append(o)
        self._before = before
        self._days = days
        self._holidays = off

    def ordinal(self, day: date) -> int:
        """The business-day index of ``day``; a non-business day maps to the next business day.

        Indexes restart when the table is rebuilt for an earlier year, so only differences of
        ordinals taken from one table are meaningful (which is all the model stores)."""
        i = day.toordinal() - self._base
        if i < 0 or i >= len(self._before):
            self._build(min(self.first_year, day.year - 1), max(self.last_year, day.year + 1))
            i = day.toordinal() - self._base
        return self._before[i]

    def day(self, ordinal: int) -> date:
        """The calendar date of a business-day index (inverse of :meth:`ordinal` on business days)."""
        while ordinal >= len(self._days):
            self._build(self.first_year, self.last_year + 5)
        return date.fromordinal(self._days[max(0, ordinal)])

    def is_business_day(self, day: date) -> bool:
        """Neither a weekend day nor a public holiday."""
        return day.weekday() not in self.weekend and day not in self._holidays

    def add(self, day: date, business_days: int) -> date:
        """The business day ``business_days`` after ``day`` (counting from the next business day
        when ``day`` is not one)."""
        return self.day(self.ordinal(day) + business_days)


# --- histograms ------------------------------------------------------------------------------------


class _Hist:
    """Recency-weighted counts of whole business days. Weights grow with time (``2 ** (t/h)``)
    instead of old ones decaying, so an update touches one bin."""

    __slots__ = ("bins", "weight")

    def __init__(self, size: int) -> None:
        self.bins = [0.0] * size
        self.weight = 0.0

    def add(self, index: int, w: float) -> None:
        self.bins[index] += w
        self.weight += w

    def scale(self, factor: float) -> None:
        self.bins = [b * factor for b in self.bins]
        self.weight *= factor


def _uniform(size: int, low: int, high: int) -> list[float]:
    low, high = max(0, min(low, size - 1)), max(0, min(high, size - 1))
    p = [0.0] * size
    for i in range(low, high + 1):
        p[i] = 1.0 / (high - low + 1)
    return p


def _blend(
    hists: Sequence[_Hist | None], prior: list[float], k: float, scale: float
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


def _cdf(pmf: Sequence[float]) -> list[float]:
    total = sum(pmf)
    inv = 1.0 / total if total > 0 else 1.0
    out = [c * inv for c in accumulate(pmf)]
    if out:
        out[-1] = 1.0  # no rounding dust: the last bin holds everything at or beyond it
    return out


class _Calibrator:
    """Recency-weighted histogram of PIT values: the level at which to read a quantile so that a
    target share of recent deliveries would have been covered."""

    BINS = 1000

    def __init__(self, prior: float) -> None:
        self.bins = [0.0] * self.BINS
        self.weight = 0.0
        self.prior = prior

    def add(self, u: float, w: float) -> None:
        i = min(self.BINS - 1, max(0, int(u * self.BINS)))
        self.bins[i] += w
        self.weight += w

    def scale(self, factor: float) -> None:
        self.bins = [b * factor for b in self.bins]
        self.weight *= factor

    def upper(
        self, share: float, scale: float, parent: _Calibrator | None = None, strength: float = 0.0
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


# --- the model -------------------------------------------------------------------------------------


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
        self._handling: dict[tuple[str, ...], _Hist] = {}
        self._transit: dict[tuple[str, ...], _Hist] = {}
        self._residual: dict[tuple[str, ...], _Hist] = {}  # actual − estimate, offset by max_days
        self._calendars: dict[str, BusinessCalendar] = {}
        self._tz = ZoneInfo(c.timezone) if c.timezone else None
        self._epoch: float | None = None  # growth origin of the histograms
        self._cal_epoch: float | None = None  # growth origin of calibration, trust and hit rates
        self._calibration: dict[tuple[Stage, str, str], _Calibrator] = {}
        self._trust_length: dict[tuple[str, Stage], list[float]] = {}
        self._trust_cal: dict[tuple[str, Stage], list[_Calibrator]] = {}
        self._estimate_hits: dict[str, list[float]] = {}
        self._first_order: float | None = None
        self._prior_handling = _uniform(self._size, *c.prior_handling_days)
        self._prior_transit = _uniform(self._size, *c.prior_transit_days)
        self._prior_residual = _uniform(2 * self._size, c.max_days, c.max_days)  # "the estimate is right"
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
            cal = self._calendars[country] = BusinessCalendar(
                country, categories=self.config.holiday_categories
            )
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

    def _prepare(self, s: Shipment) -> _Prepared:
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
    def _labels(s: Shipment, p: _Prepared) -> dict[str, list[str]]:
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
                    hist = self._handling[key] = _Hist(self._size)
                hist.bins[handling] += w
                hist.weight += w
            for key in p.transit:
                hist = self._transit.get(key)
                if hist is None:
                    hist = self._transit[key] = _Hist(self._size)
                hist.bins[transit] += w
                hist.weight += w
        if p.estimate is not None:
            r = min(2 * top + 1, max(0, arrived - p.estimate + top))
            for key in p.residual:
                hist = self._residual.get(key)
                if hist is None:
                    hist = self._residual[key] = _Hist(2 * self._size)
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
        stages: list[tuple[Stage, int]] = [(Stage.PROMISE, p.start)]
        if p.handoff is not None:
            stages.append((Stage.HANDOFF, p.handoff))
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
        self, carrier: str, stage: Stage, dist: _Dist, actual: int, wc: float, stamp: float
    ) -> None:
        """Score each trust weight by the promise it would have made once calibrated (each weight
        has its own PIT calibrator), with the quantile score at the target share: a day of promise
        costs 1, a day late ``1 / (1 − share)``. Lower is sharper at equal reliability."""
        late_cost = 1.0 / max(1e-3, 1.0 - self.config.share)
        lengths = self._trust_length.setdefault((carrier, stage), [0.0] * len(TRUST_GRID))
        cals = self._trust_cal.get((carrier, stage))
        if cals is None:
            cals = self._trust_cal[(carrier, stage)] = [
                _Calibrator(self.config.calibration_prior) for _ in TRUST_GRID
            ]
        scale = self._decay(stamp, calibration=True)
        for i, trust in enumerate(TRUST_GRID):
            dist.trust = trust
            q = self._quantile(dist, cals[i].upper(self.config.share, scale))
            lengths[i] += wc * (max(0, q) + late_cost * max(0, actual - q))
            cals[i].add(self._cdf_at(dist, actual - 1), wc)

    def _calibrator(self, stage: Stage, side: str, local: str = "") -> _Calibrator:
        key = (Stage.HANDOFF if stage is Stage.CHECKPOINT else stage, side, local)
        cal = self._calibration.get(key)
        if cal is None:
            cal = self._calibration[key] = _Calibrator(self.config.calibration_prior)
        return cal

    def trust(self, carrier: str, stage: Stage) -> float:
        """How far the carrier's estimate is trusted at a stage: the weight whose calibrated promises
        have recently scored best (see ``_learn_trust``); fully (1.0) before there is any history."""
        if self.config.trust is not None:
            return self.config.trust
        stage = Stage.HANDOFF if stage is Stage.CHECKPOINT else stage
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

    def share(self, shipment: Shipment, at: datetime) -> float:
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
        transit, transit_n = _blend(
            [self._transit.get(key) for key in p.transit], self._prior_transit, k, scale
        )
        handling, handling_n = _blend(
            [self._handling.get(key) for key in p.handling], self._prior_handling, k, scale
        )
        support = [(h, x) for h, x in enumerate(handling) if x > 1e-7]
        total = sum(x for _, x in support) or 1.0
        residual = None
        counts = {"transit": transit_n, "handling": handling_n}
        if p.estimate is not None:
            res, counts["carrier estimate"] = _blend(
                [self._residual.get(key) for key in p.residual], self._prior_residual, k, scale
            )
            residual = _cdf(res)
        return _Legs(_cdf(transit), [(h, x / total) for h, x in support], residual, counts)

    def _distribution(self, p: _Prepared, stage: Stage, legs: _Legs, trust: float | None = None) -> _Dist:
        if stage is Stage.PROMISE or p.handoff is None:
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

    def _basis(self, shipment: Shipment, p: _Prepared, dist: _Dist, legs: _Legs) -> tuple[Basis, ...]:
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
            _pick(part, levels[part], labels[part], legs.counts[part], self.config.min_count)
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

    def predict(self, shipment: Shipment, *, at: datetime, stage: Stage | None = None) -> Window:
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
                stage = Stage.PROMISE
            elif shipment.handed_over_at is not None and at > shipment.handed_over_at:
                stage = Stage.CHECKPOINT
            else:
                stage = Stage.HANDOFF
        if p.handoff is None:
            stage = Stage.PROMISE
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


def _pick(part: str, levels: list[str], labels: list[str], counts: list[float], min_count: int) -> Basis:
    """The most specific level with enough recent data (else the most general level with any)."""
    for level, label, n in zip(levels, labels, counts, strict=True):
        if n >= min_count:
            return Basis(part, level, label, round(n))
    for level, label, n in reversed(list(zip(levels, labels, counts, strict=True))):
        if n >= 0.5:
            return Basis(part, level, label, round(n))
    return Basis(part, "prior", "", 0)


def median(values: Iterable[float]) -> float:
    """The median (NaN when there are no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


# --- microbenchmark --------------------------------------------------------------------------------


def synthetic_deliveries(
    count: int, *, seed: int = 7, start: datetime | None = None, days: int = 730, slow: float = 1.0
) -> list[Delivery]:
    """``count`` plausible deliveries ordered over ``days`` from ``start`` (Brazilian states, 500
    sellers, a log-normal transit that grows with distance, times ``slow``), for benchmarks and
    tests. The carrier estimate is a padded lane standard, like Olist's."""
    import random

    rng = random.Random(seed)
    states = list(BR_REGIONS)
    weights = [40 if s == "SP" else 8 if s in ("RJ", "MG") else 2 for s in states]
    origin_states = ["SP"] * 6 + ["MG", "PR", "RJ", "SC"]
    sellers = [(f"seller{i}", rng.choice(origin_states), rng.randint(0, 4)) for i in range(500)]
    begin = start or datetime(2016, 6, 1)
    span = days * 86400
    places = {state: Place("BR", state) for state in states}
    out: list[Delivery] = []
    for _ in range(count):
        seller, origin, slow = rng.choice(sellers)
        dest = rng.choices(states, weights)[0]
        ordered = begin + timedelta(seconds=rng.randrange(span))
        handling = timedelta(days=rng.expovariate(1 / (1 + slow)), hours=rng.randint(0, 12))
        far = 0 if dest == origin else (4 if BR_REGIONS[dest] == BR_REGIONS[origin] else 9)
        transit = timedelta(days=slow * (2 + far) * rng.lognormvariate(0, 0.45))
        handed = ordered + handling
        shipment = Shipment(
            ordered_at=ordered,
            origin=places[origin],
            destination=places[dest],
            carrier="correios",
            location=seller,
            handed_over_at=handed,
            carrier_estimate=(ordered + timedelta(days=20 + far)).date(),
            ship_by=(ordered + timedelta(days=3 + slow)).date(),
        )
        out.append(Delivery(shipment, handed + transit))
    return out


def benchmark(deliveries: int = 1_000_000, predictions: int = 10_000) -> dict[str, float]:
    """Refit time on ``deliveries`` synthetic deliveries and the average time of one prediction
    (promise and handoff alternately) on the fitted model, in seconds: wall clock, and this
    process's CPU time (``*_cpu_seconds``: what the same run costs on an idle core, when the
    machine is shared)."""
    history = synthetic_deliveries(deliveries)
    queries = synthetic_deliveries(predictions, seed=11, start=datetime(2018, 6, 1))
    started, cpu = time.perf_counter(), time.process_time()
    model = EtaModel().fit(history)
    refit, refit_cpu = time.perf_counter() - started, time.process_time() - cpu
    asks: list[tuple[Shipment, datetime, Stage]] = []
    for i, d in enumerate(queries):
        s = d.shipment
        if i % 2 and s.handed_over_at is not None:
            asks.append((s, s.handed_over_at, Stage.HANDOFF))
        else:
            asks.append((replace(s, handed_over_at=None), s.ordered_at, Stage.PROMISE))
    started, cpu = time.perf_counter(), time.process_time()
    for shipment, at, stage in asks:
        model.predict(shipment, at=at, stage=stage)
    per_prediction = (time.perf_counter() - started) / len(queries)
    per_prediction_cpu = (time.process_time() - cpu) / len(queries)
    return {
        "deliveries": float(deliveries),
        "refit_seconds": refit,
        "predict_seconds": per_prediction,
        "refit_cpu_seconds": refit_cpu,
        "predict_cpu_seconds": per_prediction_cpu,
    }
