"""Replay order history in time order and score the delivery windows the model would have given.

Pure functions over row iterables (no files, no Django): the Olist reader in
``aftercart/integrations/olist/eta_rows.py`` turns CSVs into :class:`OrderRecord` rows and the
``aftercart eta backtest`` command prints :func:`backtest`'s result.

The replay is an event stream sorted by time: a *purchase* (the promise is made), a *handoff*
(the re-estimate is made) and a *delivery* (the model learns it). At equal timestamps predictions
come first, so a prediction only ever sees deliveries completed strictly before its moment — the
model cannot look into the future, and appending later deliveries to the input cannot change an
earlier prediction.

Definitions (all "days" are calendar days between São Paulo dates, i.e. local dates):

* scored orders: delivered (a delivered timestamp) and purchased on or after ``since``;
* promise days: purchase date → promised latest date; on time: delivered date ≤ latest date;
* baseline: the dataset's own ``order_estimated_delivery_date`` as the latest date, same rules;
* handoff remaining days: handoff date (``order_delivered_carrier_date``) → the latest date of the
  re-estimate made at handoff; the baseline's remaining days: estimated date − handoff date (an
  estimate already behind the handoff date gives negative days: it is counted as it is);
* window coverage: share of scored orders delivered within [earliest, latest] of the promise
  (both ends inclusive); width: latest − earliest in days.

Orders without a handoff time are left out of the handoff figures, and orders without an estimate
out of the baseline figures.

The share the promises are calibrated for: by default (:func:`backtest_config` with ``share=None``)
the store's own estimate's recent hit rate plus :data:`MATCH_MARGIN` — the question the backtest
asks is whether the model can be at least as reliable as the store's promises in fewer days. A fixed
share (the model's default is 95%) can be asked for instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aftercart.domain.eta.config import EtaConfig
from aftercart.domain.eta.geography import GeoArea
from aftercart.domain.eta.model import EtaModel
from aftercart.domain.eta.shipments import Delivery, EtaShipment
from aftercart.domain.eta.windows import Window, WindowStage


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order as the backtest needs it. Times are local (the store's) wall-clock times."""

    order_id: str
    purchased_at: datetime
    origin: GeoArea
    destination: GeoArea
    status: str = "delivered"
    handed_over_at: datetime | None = None
    delivered_at: datetime | None = None
    estimated: date | None = None  # the store's own estimated delivery date (the baseline)
    ship_by: date | None = None  # the seller's deadline to hand the parcel to the carrier
    location: str = ""  # seller or fulfilment location
    carrier: str = ""
    service: str = ""

    def shipment(self, *, handed_over: bool) -> EtaShipment:
        """The shipment as known at purchase (``handed_over=False``) or at the handoff."""
        return EtaShipment(
            ordered_at=self.purchased_at,
            origin=self.origin,
            destination=self.destination,
            carrier=self.carrier,
            service=self.service,
            location=self.location,
            handed_over_at=self.handed_over_at if handed_over else None,
            carrier_estimate=self.estimated,
            ship_by=self.ship_by,
        )


@dataclass(frozen=True, slots=True)
class Scored:
    """What was predicted for one scored order, and what happened."""

    order: OrderRecord
    promise: Window
    handoff: Window | None

    @property
    def delivered(self) -> date:
        """Local delivered date."""
        assert self.order.delivered_at is not None
        return self.order.delivered_at.date()


#: Promise this much more reliably than the store's estimate has recently been kept (default mode).
MATCH_MARGIN = 0.005


def backtest_config(share: float | None = None, **overrides: Any) -> EtaConfig:
    """The model configuration of a backtest: calibrated to a fixed ``share``, or with ``None`` to
    the store's own estimate's recent hit rate plus :data:`MATCH_MARGIN`."""
    if share is None:
        return EtaConfig(match_estimate=MATCH_MARGIN, **overrides)
    return EtaConfig(share=share, **overrides)


# Event kinds, in the order they are handled at the same timestamp: predictions before learning.
_PURCHASE, _HANDOFF, _DELIVERY = 0, 1, 2


def events(orders: Iterable[OrderRecord], *, since: date) -> list[tuple[datetime, int, int, OrderRecord]]:
    """The time-ordered event stream: ``(time, kind, sequence, order)``. Purchases and handoffs
    only for orders that will be scored (the others cannot change the score); a delivery for every
    order that has one."""
    stream: list[tuple[datetime, int, int, OrderRecord]] = []
    for seq, order in enumerate(orders):
        if order.delivered_at is None or order.delivered_at < order.purchased_at:
            continue
        if is_scored(order, since):
            stream.append((order.purchased_at, _PURCHASE, seq, order))
            # A handoff recorded after the delivery (a few Olist rows) cannot be re-estimated.
            if order.handed_over_at is not None and order.handed_over_at <= order.delivered_at:
                stream.append((order.handed_over_at, _HANDOFF, seq, order))
        stream.append((order.delivered_at, _DELIVERY, seq, order))
    stream.sort(key=lambda e: (e[0], e[1], e[2]))
    return stream


def is_scored(order: OrderRecord, since: date) -> bool:
    """Delivered and purchased on or after ``since``."""
    return (
        order.delivered_at is not None
        and order.status in ("delivered", "")
        and order.purchased_at.date() >= since
    )


def replay(
    orders: Iterable[OrderRecord], *, since: date, config: EtaConfig | None = None
) -> Iterator[Scored]:
    """Replay the history and yield each scored order with its promise and handoff windows, in the
    order its delivery completes. The model learns every delivery at its delivered time."""
    model = EtaModel(config if config is not None else backtest_config())
    promises: dict[int, Window] = {}
    handoffs: dict[int, Window] = {}
    for at, kind, seq, order in events(orders, since=since):
        if kind == _PURCHASE:
            promises[seq] = model.predict(order.shipment(handed_over=False), at=at, stage=WindowStage.PROMISE)
        elif kind == _HANDOFF:
            handoffs[seq] = model.predict(order.shipment(handed_over=True), at=at, stage=WindowStage.HANDOFF)
        else:
            model.observe(Delivery(order.shipment(handed_over=True), at))
            promise = promises.pop(seq, None)
            if promise is not None:
                yield Scored(order, promise, handoffs.pop(seq, None))


@dataclass
class BacktestResult:
    """The scores of a backtest (see the module docstring for the definitions)."""

    orders: int = 0
    promise_on_time: float = math.nan
    promise_median_days: float = math.nan
    promise_mean_days: float = math.nan
    baseline_on_time: float = math.nan
    baseline_median_days: float = math.nan
    handoff_on_time: float = math.nan
    handoff_median_remaining: float = math.nan
    baseline_handoff_median_remaining: float = math.nan
    window_coverage: float = math.nan
    window_median_width: float = math.nan
    by_month: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys ``aftercart eta backtest --json`` emits."""
        return {
            "orders": self.orders,
            "promise": {
                "on_time_rate": _r(self.promise_on_time),
                "median_days": _r(self.promise_median_days),
                "mean_days": _r(self.promise_mean_days),
            },
            "baseline": {
                "on_time_rate": _r(self.baseline_on_time),
                "median_days": _r(self.baseline_median_days),
            },
            "handoff": {
                "on_time_rate": _r(self.handoff_on_time),
                "median_remaining_days": _r(self.handoff_median_remaining),
            },
            "baseline_handoff": {"median_remaining_days": _r(self.baseline_handoff_median_remaining)},
            "window": {
                "coverage": _r(self.window_coverage),
                "median_width_days": _r(self.window_median_width),
            },
        }


def _r(x: float) -> float:
    # JSON has no NaN: an empty group reports 0.0 (``orders`` says whether there was anything).
    return 0.0 if math.isnan(x) else round(x, 4)


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def score(scored: Iterable[Scored]) -> BacktestResult:
    """Aggregate scored orders into the backtest figures (and a per-month breakdown)."""
    rows = list(scored)
    result = BacktestResult(orders=len(rows))
    if not rows:
        return result
    promise_days: list[int] = []
    promise_ok: list[bool] = []
    in_window: list[bool] = []
    widths: list[int] = []
    base_days: list[int] = []
    base_ok: list[bool] = []
    hand_ok: list[bool] = []
    hand_days: list[int] = []
    base_hand_days: list[int] = []
    months: dict[str, list[tuple[int, bool, int | None, bool | None]]] = {}
    for s in rows:
        o = s.order
        bought = o.purchased_at.date()
        got = s.delivered
        days = (s.promise.latest - bought).days
        ok = got <= s.promise.latest
        promise_days.append(days)
        promise_ok.append(ok)
        in_window.append(s.promise.earliest <= got <= s.promise.latest)
        widths.append((s.promise.latest - s.promise.earliest).days)
        b_days: int | None = None
        b_ok: bool | None = None
        if o.estimated is not None:
            b_days = (o.estimated - bought).days
            b_ok = got <= o.estimated
            base_days.append(b_days)
            base_ok.append(b_ok)
        if s.handoff is not None and o.handed_over_at is not None:
            handed = o.handed_over_at.date()
            hand_ok.append(got <= s.handoff.latest)
            hand_days.append((s.handoff.latest - handed).days)
            if o.estimated is not None:
                base_hand_days.append((o.estimated - handed).days)
        months.setdefault(bought.strftime("%Y-%m"), []).append((days, ok, b_days, b_ok))
    result.promise_on_time = _rate(promise_ok)
    result.promise_median_days = median(promise_days)
    result.promise_mean_days = sum(promise_days) / len(promise_days)
    result.baseline_on_time = _rate(base_ok)
    result.baseline_median_days = median(base_days)
    result.handoff_on_time = _rate(hand_ok)
    result.handoff_median_remaining = median(hand_days)
    result.baseline_handoff_median_remaining = median(base_hand_days)
    result.window_coverage = _rate(in_window)
    result.window_median_width = median(widths)
    for month in sorted(months):
        group = months[month]
        with_base = [g for g in group if g[2] is not None]
        result.by_month.append(
            {
                "month": month,
                "orders": len(group),
                "on_time_rate": _rate([g[1] for g in group]),
                "median_days": median(g[0] for g in group),
                "baseline_on_time_rate": _rate([bool(g[3]) for g in with_base]),
                "baseline_median_days": median(g[2] for g in with_base if g[2] is not None),
            }
        )
    return result


def backtest(
    orders: Iterable[OrderRecord], *, since: date, config: EtaConfig | None = None
) -> BacktestResult:
    """Replay ``orders`` and score the delivered orders purchased on or after ``since``."""
    return score(replay(orders, since=since, config=config))


def median(values: Iterable[float]) -> float:
    """The median (NaN when there are no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0
