"""A small HTTP load generator for the page benchmarks, run as its own process.

Why our own and not wrk/ab: the target is phrased as a latency at a request rate with a number of
clients, which needs an *open-loop* generator (requests are scheduled at the rate whatever the
server does, and latency is counted from the scheduled time, so a stalled server cannot hide its
stall by slowing the clients down: "coordinated omission"). wrk and ab are closed-loop; wrk2 is
not packaged. This one is plain asyncio (no dependency), and with ``--rate 0`` it is closed-loop
too, to find the maximum throughput.

``python -m aftercart.benchmarks.load --port P --paths FILE --clients 50 --rate 300 --seconds 20``
prints one JSON line: requests, errors, achieved rate, latency percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass


@dataclass
class LoadResult:
    clients: int
    target_rate: float
    seconds: float
    requests: int
    errors: int
    statuses: dict[str, int]
    achieved_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    #: CPU seconds the load generator itself used: on a 2-core machine it competes with the server.
    cpu_seconds: float


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


async def _get(host: str, port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the body, to the end: the page is only served once it is all sent
        parts = status_line.split()
        return int(parts[1]) if len(parts) > 1 else 0
    finally:
        writer.close()


async def run_load(
    *, host: str, port: int, paths: list[str], clients: int, rate: float, seconds: float, seed: int = 1
) -> LoadResult:
    """``clients`` concurrent clients for ``seconds``. With ``rate`` > 0 requests are scheduled at
    that total rate (each client every ``clients / rate`` s, staggered) and latency counts from the
    scheduled start; with ``rate`` 0 each client sends its next request as soon as the last ends."""
    rng = random.Random(seed)
    cpu_started = time.process_time()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    started = time.perf_counter()
    stop_at = started + seconds

    async def client(index: int) -> None:
        nonlocal errors
        interval = clients / rate if rate > 0 else 0.0
        scheduled = started + index * (interval / clients if rate > 0 else 0.0)
        while True:
            if rate > 0:
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            begin = scheduled if rate > 0 else time.perf_counter()
            if begin >= stop_at:
                return
            try:
                status = await _get(host, port, rng.choice(paths))
            except OSError:
                status = 0
            end = time.perf_counter()
            latencies.append(end - begin)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status != 200:
                errors += 1
            scheduled += interval

    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies] or [0.0]
    return LoadResult(
        clients=clients,
        target_rate=rate,
        seconds=round(elapsed, 2),
        requests=len(latencies),
        errors=errors,
        statuses=statuses,
        achieved_rate=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(ms, 0.50), 2),
        p95_ms=round(percentile(ms, 0.95), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        max_ms=round(max(ms), 2),
        mean_ms=round(statistics.fmean(ms), 2),
        cpu_seconds=round(time.process_time() - cpu_started, 2),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths", required=True, help="A file of URL paths, one per line.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.0, help="Requests/s in all; 0 = closed loop.")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with open(args.paths, encoding="utf-8") as handle:
        paths = [line.strip() for line in handle if line.strip()]
    result = asyncio.run(
        run_load(
            host=args.host,
            port=args.port,
            paths=paths,
            clients=args.clients,
            rate=args.rate,
            seconds=args.seconds,
            seed=args.seed,
        )
    )
    sys.stdout.write(json.dumps(asdict(result)) + "\n")


if __name__ == "__main__":
    main()
