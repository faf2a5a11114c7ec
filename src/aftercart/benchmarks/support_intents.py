"""Micro-benchmark of the support intent classifier (:mod:`aftercart.domain.support.intents`):
messages classified per second, in batches and one at a time. Pure Python and numpy, no database:
run with ``bench/support_intents.py``.

The messages are the development paraphrases shipped with the model, each varied with seeded noise
(typos, greetings, signatures, order numbers, a second sentence: :func:`.augment.noisy`), so that
most of them are distinct strings as real traffic is.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from aftercart.domain.support import augment
from aftercart.domain.support.intents import ARTIFACT, classify, classify_many, model
from aftercart.domain.support.training import read_csv


def messages(count: int, *, seed: int = 15) -> list[str]:
    """``count`` customer-like messages (development paraphrases with seeded noise)."""
    base = [r.utterance for r in read_csv(Path(ARTIFACT).with_name("paraphrases_dev.csv"))]
    rng = random.Random(seed)
    return [augment.noisy(base[i % len(base)], rng) for i in range(count)]


def benchmark(count: int = 20_000, batch: int = 500, single: int = 2_000) -> dict[str, float]:
    """Throughput of ``classify_many`` in batches of ``batch`` over ``count`` messages, and of
    ``classify`` one by one over ``single`` of them: messages per second of wall clock and of this
    process's CPU time (what an idle core would do on a shared machine); plus the model's load time."""
    texts = messages(count)
    started, cpu = time.perf_counter(), time.process_time()
    model()
    load, load_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, count, batch):
        classify_many(texts[i : i + batch])
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts[:single]:
        classify(text)
    one_wall, one_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "messages": float(count),
        "batch": float(batch),
        "load_seconds": load,
        "load_cpu_seconds": load_cpu,
        "batched_per_second": count / wall,
        "batched_per_cpu_second": count / used,
        "single_per_second": single / one_wall,
        "single_per_cpu_second": single / one_cpu,
    }
