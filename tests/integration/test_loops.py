"""The one loop runner (:mod:`aftercart.kernel.loops`): passes, waits, errors, stopping, and a
real ``aftercart worker`` process stopped by SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import connections

from aftercart.benchmarks import temporary_database
from aftercart.kernel.loops import Loop, loops_start


def test_a_pass_with_more_work_waiting_is_followed_at_once_else_the_loop_waits():
    calls: list[float] = []

    def step() -> bool:
        calls.append(time.monotonic())
        return len(calls) < 4  # three passes leave work behind, the fourth does not

    with loops_start([Loop("busy", step, interval=30.0)], timeout=5):
        time.sleep(0.5)
    assert len(calls) == 4, "three at once, then waiting the interval (stopped before it ran out)"
    assert calls[3] - calls[0] < 0.4


def test_a_failing_pass_is_logged_and_the_loop_goes_on(caplog):
    calls = []
    again = threading.Event()

    def step() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        again.set()
        return False

    with (
        caplog.at_level(logging.ERROR, logger="aftercart.kernel.loops"),
        loops_start([Loop("flaky", step, interval=0.01)], timeout=5) as running,
    ):
        assert again.wait(5), "the pass after the failure ran"
    assert not any(t.is_alive() for t in running.threads)
    failure = next(r for r in caplog.records if "flaky pass failed" in r.getMessage())
    assert failure.exc_info and "database went away" in str(failure.exc_info[1])


@pytest.mark.django_db(transaction=True)
def test_a_stopped_loop_closes_its_connections_and_stops_within_its_wait():
    seen: dict[str, object] = {}
    ran = threading.Event()
    closed: list[str] = []

    def step() -> bool:
        with connections["default"].cursor() as cursor:  # this thread's own connection
            cursor.execute("SELECT 1")
        wrapper = connections["default"]
        if "wrapper" not in seen:
            close = wrapper.close

            def recording_close() -> None:
                closed.append(threading.current_thread().name)
                close()

            wrapper.close = recording_close  # type: ignore[method-assign]
            seen["wrapper"] = wrapper
        ran.set()
        return False

    with loops_start([Loop("reader", step, interval=60.0)], timeout=5) as running:
        assert ran.wait(10)
        assert closed == [], "kept open between passes (closed only when obsolete)"
        started = time.monotonic()
    assert time.monotonic() - started < 2, "the stop cut the 60 s wait short"
    assert not running.threads[0].is_alive()
    assert closed == ["aftercart-reader"], "closed by the loop's own thread on the way out"
    wrapper = seen["wrapper"]
    assert wrapper is not connections["default"], "a connection of the loop's thread, not the test's"
    if not getattr(wrapper, "is_in_memory_db", lambda: False)():  # SQLite never closes one in memory
        assert wrapper.connection is None


def test_sigterm_stops_a_running_worker_cleanly_within_seconds(tmp_path):
    with temporary_database(os.environ.get("DATABASE_URL") or None) as database_url:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            AFTERCART_VAR_DIR=str(tmp_path),
            AFTERCART_DEBUG="0",
            AFTERCART_SECRET_KEY="test-loops-sigterm-" + "x" * 40,
            AFTERCART_LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="aftercart.settings",
        )
        subprocess.run(
            [sys.executable, "-m", "aftercart.cli", "migrate", "-v", "0"], env=env, check=True, timeout=300
        )
        log = tmp_path / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                [sys.executable, "-m", "aftercart.cli", "worker", "--sweep-interval", "0.2"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 120
            while "running loops" not in log.read_text() and time.monotonic() < deadline:
                assert worker.poll() is None, log.read_text()[-3000:]
                time.sleep(0.05)
            assert "running loops: projection, deliver, sweep" in log.read_text()
            time.sleep(0.5)  # a few passes of each loop
            stopped_at = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            returncode = worker.wait(10)
            took = time.monotonic() - stopped_at
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
    output_text = log.read_text()
    assert returncode == 0, output_text[-3000:]
    assert took < 5, f"stopped in {took:.1f}s"
    assert "SIGTERM: stopping the loops" in output_text
    assert "Traceback" not in output_text and "abandoned" not in output_text, output_text[-3000:]
