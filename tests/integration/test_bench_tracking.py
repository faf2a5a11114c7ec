"""``aftercart bench tracking`` and its load generator.

No timing assertions (the figures depend on the machine): what is asserted would break if the
benchmark served the wrong page (links that 404 or 410 count as errors), or if the generator
measured latency from the wrong moment.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from aftercart.benchmarks import Reporter
from aftercart.benchmarks.load import percentile, run_load
from aftercart.benchmarks.tracking import TrackingConfig, seed_orders
from aftercart.orders.models import Order


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (50.0, 95.0, 100.0)
    assert percentile([7.0], 0.95) == 7.0


class _Slow(BaseHTTPRequestHandler):
    delay = 0.05

    def do_GET(self):
        time.sleep(self.delay)
        body = b"ok" if self.path == "/ok" else b"no"
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _run_in_fresh_loop(coro):
    """asyncio.run in its own thread: browser tests in this process keep an event loop running in
    the main thread, and asyncio.run refuses to nest."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=asyncio.run(coro)))
    thread.start()
    thread.join()
    return box["result"]


def test_the_open_loop_generator_holds_its_rate_and_counts_latency_and_errors(slow_server):
    result = _run_in_fresh_loop(
        run_load(host="127.0.0.1", port=slow_server, paths=["/ok"], clients=5, rate=40, seconds=1.0)
    )
    assert 35 <= result.requests <= 45  # 40 req/s for a second, scheduled whatever the server does
    assert result.errors == 0 and result.statuses == {"200": result.requests}
    assert result.p50_ms >= 50  # every answer took the server's 50 ms
    bad = _run_in_fresh_loop(
        run_load(host="127.0.0.1", port=slow_server, paths=["/missing"], clients=2, rate=10, seconds=0.5)
    )
    assert bad.errors == bad.requests > 0 and set(bad.statuses) == {"404"}


@pytest.mark.django_db
def test_seeding_records_orders_and_returns_live_tracking_links(client):
    paths = seed_orders(TrackingConfig(orders=40, sample=10), Reporter())
    assert Order.objects.count() == 40
    assert 10 <= len(paths) <= 40
    for path in paths[:5]:
        assert client.get(path).status_code == 200


def test_the_command_serves_and_drives_the_page_with_no_errors(tmp_path):
    out = StringIO()
    call_command(
        "aftercart_bench", "tracking", "--orders=30", "--seconds=1", "--rate=20", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["orders"] == 30 and result["workers"] == 2
    for run in (result["at_rate"], result["closed_loop"]):
        assert run["requests"] > 0 and run["errors"] == 0, run
        # The server's CPU is read from /proc for gunicorn's processes: pages cost something.
        assert run["server_cpu_ms_per_request"] > 0 and run["cpu_seconds"] > 0, run
