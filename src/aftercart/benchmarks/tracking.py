"""Tracking-page benchmark: the customer's ``/t/<token>`` page served by gunicorn (2 sync
workers) from a database of ``orders`` orders, driven by :mod:`aftercart.benchmarks.load` in a
second process.

Two runs after a warm-up: open loop at ``rate`` requests/s from ``clients`` clients (the target:
p95 ≤ 50 ms at ≥ 300 req/s with 50 clients), then closed loop (each client fires as soon as its
last answer arrives) for the server's maximum throughput. Pages are picked at random among
``sample`` orders spread over the whole database, so the database is really consulted: every
order has its own facts, shipments and timeline.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aftercart.benchmarks import Reporter

#: Orders are placed over the 50 days before the run (tracking links of delivered orders stay
#: open for 90 days, so every sampled page is a live one).
SPREAD = timedelta(days=50)
ORDERS_PER_CALL = 500
CARRIERS = (("ups", "1Z"), ("fedex", "7"), ("usps", "94"), ("dhl_express", "JD"))
#: Checkpoints of an order's journey, in order; each order stops somewhere along it.
JOURNEY = (
    ("info_received", None, "Shipper created a label"),
    ("in_transit", None, "Picked up by the carrier"),
    ("in_transit", None, "Departed facility"),
    ("in_transit", None, "Arrived at destination facility"),
    ("out_for_delivery", None, "Out for delivery"),
    ("delivered", None, "Delivered, front door"),
)


@dataclass
class TrackingConfig:
    orders: int = 100_000
    clients: int = 50
    rate: float = 300.0
    seconds: float = 20.0
    sample: int = 20_000
    workers: int = 2
    seed: int = 1


def _order_facts(index: int, placed: datetime, rng: random.Random) -> list[Any]:
    from aftercart.integrations.canonical.schemas import (
        OrderIn,
        ShipmentCreatedIn,
        TrackingEventIn,
        event_fact,
        order_placed_fact,
    )

    order_id = f"B{index:07d}"
    lines = [
        {
            "line_id": f"L{n}",
            "sku": f"SKU-{(index + n) % 900:03d}",
            "title": f"Product {(index + n) % 900}",
            "quantity": 1,
            "unit_price": "24.90",
        }
        for n in range(1, 2 + index % 3)
    ]
    order = OrderIn.model_validate(
        {
            "order_id": order_id,
            "number": f"#{200000 + index}",
            "placed_at": placed.isoformat(),
            "email": f"shopper{index}@example.com",
            "postal_code": f"{10000 + index % 89999}",
            "country": "US",
            "currency": "USD",
            "lines": lines,
        }
    )
    facts = [order_placed_fact(order)]
    carrier, prefix = CARRIERS[index % len(CARRIERS)]
    tracking = f"{prefix}{index:012d}"
    shipped = placed + timedelta(hours=20)
    facts.append(
        event_fact(
            ShipmentCreatedIn.model_validate(
                {
                    "kind": "shipment.created",
                    "order_id": order_id,
                    "shipment_id": "S1",
                    "carrier": carrier,
                    "tracking_number": tracking,
                    "lines": [{"line_id": ln["line_id"]} for ln in lines],
                    "occurred_at": shipped.isoformat(),
                }
            )
        )
    )
    for step, (tag, subtag, message) in enumerate(JOURNEY[: 1 + rng.randrange(len(JOURNEY))]):
        at = shipped + timedelta(hours=2 + 14 * step)
        facts.append(
            event_fact(
                TrackingEventIn.model_validate(
                    {
                        "kind": "tracking.event",
                        "tracking_number": tracking,
                        "carrier": carrier,
                        "tag": tag,
                        "subtag": subtag,
                        "raw_message": message,
                        "location": "Memphis, TN, US",
                        "occurred_at": at.isoformat(),
                    }
                )
            )
        )
    return facts


def seed_orders(config: TrackingConfig, reporter: Reporter) -> list[str]:
    """Record ``orders`` orders through the ledger (no messages planned: a backfill), and return the
    tracking-page paths of ``sample`` of them, spread evenly."""
    from aftercart.orders.models import Order
    from aftercart.orders.services import facts_record
    from aftercart.orders.tokens import make_tracking_token
    from aftercart.stores.services import store_create

    store = store_create(slug="bench", name="Bench Outfitters")
    rng = random.Random(config.seed)
    reporter.phase("Recording orders", config.orders)
    now = datetime.now(UTC)
    first, spacing = now - SPREAD - timedelta(days=5), SPREAD / max(1, config.orders)
    for start in range(0, config.orders, ORDERS_PER_CALL):
        count = min(ORDERS_PER_CALL, config.orders - start)
        facts = [
            f
            for index in range(start, start + count)
            for f in _order_facts(index, first + spacing * index, rng)
        ]
        facts_record(store=store, facts=facts, now=now, notify=False)
        reporter.advance(count)
    step = max(1, config.orders // config.sample)
    ids = list(Order.objects.filter(store=store).order_by("pk").values_list("pk", flat=True)[::step])
    paths = [f"/t/{make_tracking_token(order)}" for order in Order.objects.filter(pk__in=ids)]
    reporter.close()
    return paths


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(16).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not serve the tracking page within a minute")


def _process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its children (gunicorn's master and
    workers), read from /proc; 0 where /proc is not there. What the server costs per request,
    whatever else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid, ppid = int(entry.parent.name), int(fields[1])
        if root in (pid, ppid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _load(port: int, paths_file: str, *, clients: int, rate: float, seconds: float) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "aftercart.benchmarks.load",
        "--port",
        str(port),
        "--paths",
        paths_file,
        "--clients",
        str(clients),
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_tracking(config: TrackingConfig, *, reporter: Reporter) -> dict[str, Any]:
    """Seed, serve, load; the figures as JSON-safe data."""
    from django.conf import settings
    from django.db import connection

    started = time.perf_counter()
    paths = seed_orders(config, reporter)
    seed_seconds = time.perf_counter() - started
    connection.close()
    port = _free_port()
    env = {
        **os.environ,
        # Production settings: no debug toolbar, templates cached; the same key signs the links.
        "AFTERCART_DEBUG": "",
        "AFTERCART_SECRET_KEY": settings.SECRET_KEY,
        # A throwaway local server: whatever leave this process has to sign with the default key
        # (DEBUG, the test suite) the server gets too, or aftercart.wsgi would refuse to load.
        "AFTERCART_ALLOW_INSECURE_KEY": "1" if settings.SECRET_KEY == settings.INSECURE_DEFAULT_KEY else "",
        "AFTERCART_ALLOWED_HOSTS": "127.0.0.1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "aftercart.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(config.workers),
            "--log-level",
            "warning",
            # Served as `aftercart serve` serves (workers load the app, then freeze it for the GC).
            "--config",
            "python:aftercart.gunicorn_conf",
        ],
        env=env,
    )
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
            handle.write("\n".join(paths))
        _wait_ready(port, paths[0])
        _load(port, handle.name, clients=config.clients, rate=0, seconds=3)  # warm-up
        runs = []
        for rate in (config.rate, 0.0):  # open loop at the target rate, then closed loop
            cpu = _process_tree_cpu(server.pid)
            run = _load(port, handle.name, clients=config.clients, rate=rate, seconds=config.seconds)
            run["server_cpu_ms_per_request"] = round(
                (_process_tree_cpu(server.pid) - cpu) * 1000 / max(1, run["requests"]), 2
            )
            runs.append(run)
        at_rate, closed = runs
    finally:
        server.terminate()
        server.wait(30)
        Path(handle.name).unlink(missing_ok=True)
    return {
        "orders": config.orders,
        "sampled_pages": len(paths),
        "database": connection.vendor,
        "workers": config.workers,
        "clients": config.clients,
        "seed_seconds": round(seed_seconds, 1),
        "at_rate": at_rate,
        "closed_loop": closed,
        "cpus": os.cpu_count(),
    }
