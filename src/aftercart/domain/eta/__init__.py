"""Delivery windows learned from the store's own history: an earliest–latest date, explained.

Pure Python (stdlib and ``holidays``): no Django, no pandas, no numpy. The model is incremental —
:meth:`EtaModel.observe` adds one completed delivery in O(1) — and answers
:meth:`EtaModel.predict` from small histograms, so it can be replayed over years of history
(:mod:`aftercart.domain.eta.backtest`) and refitted on a million deliveries in seconds.

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

Modules
-------
* :mod:`~aftercart.domain.eta.shipments` — the inputs: :class:`EtaShipment` (what a prediction is
  about) and :class:`Delivery` (a completed one); :mod:`~aftercart.domain.eta.geography` — their
  :class:`GeoArea` ends (country, area, region) and the region tables;
* :mod:`~aftercart.domain.eta.business_days` — the house calendar's :class:`BusinessCalendar`
  (:mod:`aftercart.domain.calendar`), under the name pickled models use;
* :mod:`~aftercart.domain.eta.histograms` and :mod:`~aftercart.domain.eta.calibration` — the
  statistics the model is made of;
* :mod:`~aftercart.domain.eta.model` — :class:`EtaModel`: learning and predicting;
* :mod:`~aftercart.domain.eta.windows` — what a prediction returns (:class:`Window`, its
  :class:`WindowStage` and :class:`Basis`); :mod:`~aftercart.domain.eta.config` — the knobs;
* :mod:`~aftercart.domain.eta.backtest` — replay history in time order and score the windows.
"""
