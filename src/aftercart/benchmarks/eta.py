"""Micro-benchmark of the delivery-window model (:mod:`aftercart.domain.eta`) and the synthetic
delivery histories it runs on (also used by the model's tests). Pure Python, no database: run with
``bench/eta.py``."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import datetime, timedelta

from aftercart.domain.eta.geography import BR_REGIONS, GeoArea
from aftercart.domain.eta.model import EtaModel
from aftercart.domain.eta.shipments import Delivery, EtaShipment
from aftercart.domain.eta.windows import WindowStage


def synthetic_deliveries(
    count: int, *, seed: int = 7, start: datetime | None = None, days: int = 730, slow: float = 1.0
) -> list[Delivery]:
    """``count`` plausible deliveries ordered over ``days`` from ``start`` (Brazilian states, 500
    sellers, a log-normal transit that grows with distance, times ``slow``), for benchmarks and
    tests. The carrier estimate is a padded lane standard, like Olist's."""

    rng = random.Random(seed)
    states = list(BR_REGIONS)
    weights = [40 if s == "SP" else 8 if s in ("RJ", "MG") else 2 for s in states]
    origin_states = ["SP"] * 6 + ["MG", "PR", "RJ", "SC"]
    sellers = [(f"seller{i}", rng.choice(origin_states), rng.randint(0, 4)) for i in range(500)]
    begin = start or datetime(2016, 6, 1)
    span = days * 86400
    places = {state: GeoArea("BR", state) for state in states}
    out: list[Delivery] = []
    for _ in range(count):
        seller, origin, slow = rng.choice(sellers)
        dest = rng.choices(states, weights)[0]
        ordered = begin + timedelta(seconds=rng.randrange(span))
        handling = timedelta(days=rng.expovariate(1 / (1 + slow)), hours=rng.randint(0, 12))
        far = 0 if dest == origin else (4 if BR_REGIONS[dest] == BR_REGIONS[origin] else 9)
        transit = timedelta(days=slow * (2 + far) * rng.lognormvariate(0, 0.45))
        handed = ordered + handling
        shipment = EtaShipment(
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
    asks: list[tuple[EtaShipment, datetime, WindowStage]] = []
    for i, d in enumerate(queries):
        s = d.shipment
        if i % 2 and s.handed_over_at is not None:
            asks.append((s, s.handed_over_at, WindowStage.HANDOFF))
        else:
            asks.append((replace(s, handed_over_at=None), s.ordered_at, WindowStage.PROMISE))
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
