"""Delivery windows for live orders, from the store's own delivered history (:mod:`aftercart.domain.eta`).

A store's model is fitted on its newest delivered parcels (order time, carrier handoff, delivery,
the carrier's first estimate) by the worker, every :data:`REFIT_EVERY` seconds, and stored
(:class:`~aftercart.orders.models.DeliveryModel`) for every process to load: a page view costs one
prediction (well under a millisecond), never a fit (seconds). Until a store has :data:`MIN_HISTORY`
deliveries there is no window at all: a window the data cannot support is worse than the carrier's
own date.

Orders carry no destination region in their columns yet, so every parcel of a store is one lane per
carrier and service (the model's carrier and global levels); the explanation says so honestly.
"""

from __future__ import annotations

import pickle
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from aftercart.domain.eta.config import EtaConfig
from aftercart.domain.eta.geography import GeoArea
from aftercart.domain.eta.model import EtaModel
from aftercart.domain.eta.refits import refit_needed
from aftercart.domain.eta.shipments import Delivery, EtaShipment
from aftercart.domain.eta.windows import Window
from aftercart.domain.projection.state import OrderState, ShipmentState
from aftercart.kernel.caches import cache_register
from aftercart.orders.models import DeliveryModel, DeliveryPromise, Order, Shipment
from aftercart.stores.models import Store

#: Deliveries a store needs before it is shown a window.
MIN_HISTORY = 50
#: How many of the newest deliveries a fit reads (recency-weighted anyway: older ones matter little).
HISTORY_LIMIT = 20_000
#: Seconds between the worker's fits of a store's model.
REFIT_EVERY = 3600.0
#: Seconds a process uses the model it loaded before looking for a newer fit.
RECHECK_EVERY = 60.0

#: Per store: when this process last checked for a fit (monotonic), that fit's time, its model.
#: Safe: a model is used for at most :data:`RECHECK_EVERY` seconds before the stored fit's time is
#: read again, and a newer fit replaces it; fits are written only by our own worker.
_models: dict[int, tuple[float, datetime | None, EtaModel | None]] = {}
_lock = threading.Lock()


def _history(store: Store) -> list[Delivery]:
    rows = (
        Shipment.objects.filter(store=store, delivered_at__isnull=False, order__placed_at__isnull=False)
        .order_by("-delivered_at")
        .values_list("carrier", "shipped_at", "delivered_at", "first_estimated_delivery", "order__placed_at")[
            :HISTORY_LIMIT
        ]
    )
    home = GeoArea(store.country or "")
    return [
        Delivery(
            EtaShipment(
                ordered_at=placed,
                origin=home,
                destination=home,
                carrier=carrier,
                handed_over_at=shipped,
                carrier_estimate=estimate,
            ),
            delivered,
        )
        for carrier, shipped, delivered, estimate, placed in rows
        if delivered is not None and placed is not None and delivered >= placed  # both are, by the filter
    ]


def model_refit(store: Store, *, now: datetime | None = None) -> EtaModel | None:
    """Fit the store's model on its newest deliveries and store it for every process; the model,
    or ``None`` while the history is too thin."""
    now = now or timezone.now()
    history = _history(store)
    model = (
        EtaModel(EtaConfig(timezone=store.timezone or "UTC")).fit(history)
        if len(history) >= MIN_HISTORY
        else None
    )
    blob = zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) if model else None
    DeliveryModel.objects.update_or_create(
        store=store, defaults={"fitted_at": now, "deliveries": len(history), "model": blob}
    )
    with _lock:
        _models[store.pk] = (time.monotonic(), now, model)
    return model


def models_refit_due(*, now: datetime, every: float = REFIT_EVERY) -> int:
    """Refit every store whose stored model is missing, older than ``every`` seconds, or behind its
    history (the worker's periodic loop); how many were fitted. Stores without a single delivery
    are skipped.

    "Behind" (:func:`~aftercart.domain.eta.refits.refit_needed`): a store fitted while too thin for
    a window is refitted as soon as it has :data:`MIN_HISTORY` deliveries, and any store once its
    deliveries grew by a tenth, so a young store switches to learned windows within one pass of the
    worker rather than an hour later."""
    stale = now - timedelta(seconds=every)
    fits = {
        store_id: (fitted_at, deliveries, has_model)
        for store_id, fitted_at, deliveries, has_model in DeliveryModel.objects.annotate(
            has_model=Q(model__isnull=False)
        ).values_list("store_id", "fitted_at", "deliveries", "has_model")
    }
    counts = dict(
        Shipment.objects.filter(delivered_at__isnull=False, order__placed_at__isnull=False)
        .values("store_id")
        .annotate(n=Count("id"))
        .values_list("store_id", "n")
    )
    fitted = 0
    for store in Store.objects.filter(pk__in=list(counts)).order_by("pk"):
        fit = fits.get(store.pk)
        if (
            fit is None
            or fit[0] <= stale
            or refit_needed(fit[1], fit[2], counts[store.pk], min_history=MIN_HISTORY, limit=HISTORY_LIMIT)
        ):
            model_refit(store, now=now)
            fitted += 1
    return fitted


def _load(store: Store, *, fit_if_missing: bool) -> EtaModel | None:
    checked = time.monotonic()
    with _lock:
        cached = _models.get(store.pk)
    # "Never fitted" is remembered too (the sweep asks once per stalled parcel), except by a caller
    # that would fit it.
    if cached is not None and checked - cached[0] < RECHECK_EVERY and (cached[1] or not fit_if_missing):
        return cached[2]
    fitted_at = DeliveryModel.objects.filter(store=store).values_list("fitted_at", flat=True).first()
    if fitted_at is None:
        if fit_if_missing:
            # A new installation whose worker has not run yet: the first view pays, once.
            return model_refit(store)
        with _lock:
            _models[store.pk] = (checked, None, None)
        return None
    if cached is not None and cached[1] == fitted_at:
        model = cached[2]
    else:
        blob = DeliveryModel.objects.filter(store=store).values_list("model", flat=True).first()
        model = pickle.loads(zlib.decompress(blob)) if blob else None
    with _lock:
        _models[store.pk] = (checked, fitted_at, model)
    return model


def store_model(store: Store) -> EtaModel | None:
    """The store's model as the worker last fitted it (fitted now if it never was), or ``None``
    while its history is too thin to promise anything."""
    return _load(store, fit_if_missing=True)


def cached_model(store: Store) -> EtaModel | None:
    """The store's model as last fitted, without ever fitting one: for paths inside a ledger or
    sweep transaction, where a fit (seconds, reading the store's history) has no place. ``None``
    until one was fitted (by the worker, or a first page view)."""
    return _load(store, fit_if_missing=False)


def learning_from(store: Store) -> int | None:
    """While the store has no window (its history too thin at the last fit, or never fitted): how
    many deliveries it has completed so far, so pages can say so honestly; ``None`` once it has a
    model. Reads no history when the model is loaded already."""
    if cached_model(store) is not None:
        return None
    fit = DeliveryModel.objects.filter(store=store).values_list("deliveries", flat=True).first()
    return min(fit or 0, MIN_HISTORY)


def learning_text(deliveries: int) -> str:
    """What a store without enough history says instead of a window (in the active language)."""
    return gettext(
        "No delivery window yet: this shop learns one from its own completed deliveries "
        "(%(count)s of the %(needed)s it needs so far). Until then, dates are the carrier's."
    ) % {"count": deliveries, "needed": MIN_HISTORY}


def share_text(window: Window) -> str:
    """The window's one-line explanation as customers read it (in the active language)."""
    return gettext("(%(share)s%% of our recent deliveries like this one arrived by then)") % {
        "share": round(window.share * 100)
    }


def forget_models() -> None:
    """Drop the models this process loaded (tests; after an import of history, with
    :func:`model_refit`), so the next use reads the stored fit again."""
    with _lock:
        _models.clear()


cache_register("orders.windows.models", forget_models)


def delivery_window(order: Order, state: OrderState, now: datetime) -> Window | None:
    """The window the customer is shown now: for the first parcel still on its way (re-estimated at
    handoff and at every checkpoint), or, before anything shipped, the promise for the order.
    ``None`` when delivered, cancelled, collected at a store, or without enough history."""
    if state.placed_at is None or (state.cancelled_at is not None and not state.shipments):
        return None
    moving = [s for s in state.shipments.values() if not s.is_delivered and s.pickup is None]
    if state.shipments and not moving:
        return None
    parcel: ShipmentState | None = min(moving, key=lambda s: s.key) if moving else None
    return _predict(order.store, state, parcel, now)


def _predict(
    store: Store, state: OrderState, parcel: ShipmentState | None, now: datetime, *, fit: bool = True
) -> Window | None:
    model = store_model(store) if fit else cached_model(store)
    if model is None or state.placed_at is None:
        return None
    home = GeoArea(store.country or "")
    shipment = EtaShipment(
        ordered_at=state.placed_at,
        origin=home,
        destination=home,
        carrier=parcel.carrier if parcel else "",
        service=parcel.service if parcel else "",
        handed_over_at=(parcel.first_scan_at or parcel.created_at) if parcel else None,
        carrier_estimate=parcel.first_estimated_delivery if parcel else None,
    )
    return model.predict(shipment, at=now)


@dataclass(frozen=True, slots=True)
class Stalled:
    """A parcel the carrier has gone quiet on: which order and store, its state, and its key."""

    store_id: int
    order_id: int
    state: OrderState
    shipment_key: str


@dataclass(frozen=True, slots=True)
class StallDates:
    """What a stalled parcel's customer was promised (the kept promise or the carrier's first
    estimate, whichever is later), the latest date of its window re-estimated now, and the store's
    country (whose business days windows end on). Dates are ``None`` when there is none."""

    promised: date | None
    reestimate: date | None
    country: str


def stall_reestimates(items: Sequence[Stalled], now: datetime) -> dict[tuple[int, str], StallDates]:
    """:class:`StallDates` for each stalled parcel, by (order id, shipment key). The re-estimate is
    conditioned on the parcel not having arrived by ``now``.

    One query for the kept promises and one for the stores, whatever the number of parcels. Runs in
    the sweep's (or the ledger's) transaction, so it never fits a model: it uses the store's model
    as last fitted (the worker's promise loop refits it every hour), and gives no re-estimate before
    one was ever fitted.
    """
    if not items:
        return {}
    order_ids = sorted({i.order_id for i in items})
    kept: dict[int, date] = {}
    for start in range(0, len(order_ids), 900):
        chunk = order_ids[start : start + 900]
        kept.update(DeliveryPromise.objects.filter(order_id__in=chunk).values_list("order_id", "latest"))
    stores = Store.objects.in_bulk({i.store_id for i in items})
    out: dict[tuple[int, str], StallDates] = {}
    for item in items:
        parcel = item.state.shipments.get(item.shipment_key)
        store = stores.get(item.store_id)
        if parcel is None or store is None:
            continue
        dates = [d for d in (kept.get(item.order_id), parcel.first_estimated_delivery) if d is not None]
        window = _predict(store, item.state, parcel, now, fit=False)
        out[(item.order_id, item.shipment_key)] = StallDates(
            promised=max(dates) if dates else None,
            reestimate=window.latest if window else None,
            country=store.country or "",
        )
    return out


def window_json(window: Window | None) -> dict[str, object] | None:
    """The API shape of a window."""
    if window is None:
        return None
    return {
        "earliest": window.earliest.isoformat(),
        "latest": window.latest.isoformat(),
        "stage": window.stage.value,
        "share": round(window.share, 3),
        "explanation": window.explanation,
    }


# --- the promise at confirmation ------------------------------------------------------------------

#: Orders placed longer ago than this get no promise: it would not be the one made at confirmation.
PROMISE_HORIZON = timedelta(days=2)


def promises_make(*, now: datetime, batch: int = 1000) -> int:
    """Keep the promise of every order placed within :data:`PROMISE_HORIZON` that has none yet:
    the window predicted as of its ``placed_at`` (the worker runs this every few minutes, so the
    model is at most that much newer than the moment of confirmation). Returns how many were made.

    Orders of stores without enough history get none (nothing was promised to them)."""
    made = 0
    pending = (
        Order.objects.filter(placed_at__gte=now - PROMISE_HORIZON, placed_at__lte=now, promise__isnull=True)
        .exclude(stage="cancelled")
        .select_related("store")
        .order_by("pk")
    )
    last = 0
    while True:
        orders = list(pending.filter(pk__gt=last)[:batch])
        if not orders:
            return made
        last = orders[-1].pk
        rows = []
        for order in orders:
            model = store_model(order.store)
            if model is None or order.placed_at is None:
                continue
            home = GeoArea(order.store.country or "")
            window = model.predict(
                EtaShipment(ordered_at=order.placed_at, origin=home, destination=home), at=order.placed_at
            )
            rows.append(
                DeliveryPromise(
                    order=order,
                    store=order.store,
                    earliest=window.earliest,
                    latest=window.latest,
                    share=window.share,
                    explanation=window.explanation[:500],
                    promised_at=order.placed_at,
                    made_at=now,
                )
            )
        # A concurrent worker may have made some already: the one-to-one keeps the first.
        DeliveryPromise.objects.bulk_create(rows, ignore_conflicts=True)
        made += len(rows)


def promise_json(order: Order) -> dict[str, object] | None:
    """The API shape of the order's kept promise, or ``None``."""
    promise = DeliveryPromise.objects.filter(order=order).first()
    if promise is None:
        return None
    return {
        "earliest": promise.earliest.isoformat(),
        "latest": promise.latest.isoformat(),
        "share": round(promise.share, 3),
        "promised_at": promise.promised_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class PromiseAccuracy:
    """How the store's promises fared on orders delivered since a date."""

    delivered: int
    kept: int
    median_days: float

    @property
    def kept_rate(self) -> float:
        """Share of delivered orders that arrived by the promised latest date."""
        return self.kept / self.delivered if self.delivered else 0.0


def promise_accuracy(store: Store, *, since: datetime) -> PromiseAccuracy:
    """Promises kept on the store's orders promised since ``since`` and delivered: an order is on
    time when its last parcel arrived (in the store's time zone) on or before ``latest``."""
    try:
        zone = ZoneInfo(store.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    rows = (
        DeliveryPromise.objects.filter(store=store, promised_at__gte=since)
        .annotate(arrived=Max("order__shipments__delivered_at"))
        .filter(arrived__isnull=False)
        .values_list("latest", "arrived", "promised_at")
    )
    kept, spans = 0, []
    for latest, arrived, promised_at in rows:
        kept += arrived.astimezone(zone).date() <= latest
        spans.append((latest - promised_at.astimezone(zone).date()).days)
    spans.sort()
    median = float(spans[len(spans) // 2]) if spans else 0.0
    if spans and len(spans) % 2 == 0:
        median = (spans[len(spans) // 2 - 1] + spans[len(spans) // 2]) / 2
    return PromiseAccuracy(delivered=len(spans), kept=kept, median_days=median)
