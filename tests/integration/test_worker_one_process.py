"""``aftercart worker`` under DEBUG is one process: never a reloader's parent and child both
delivering (django-tasks' ``db_worker``, which the worker once ran after starting its loops, put
itself under Django's autoreloader when DEBUG was on: the parent's loops and the child's both
delivered). A real worker process, DEBUG on, a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from aftercart.benchmarks import temporary_database
from tests.integration.test_worker_killed import _env, _python, _wait_for, smtp_server  # noqa: F401

MESSAGES = 3


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def test_the_worker_under_debug_is_one_delivering_process(tmp_path, smtp_server):  # noqa: F811
    handler, port = smtp_server
    with temporary_database(os.environ.get("DATABASE_URL") or None) as database_url:
        env = _env(database_url, tmp_path, port) | {"AFTERCART_DEBUG": "1"}
        subprocess.run(
            [sys.executable, "-m", "aftercart.cli", "migrate", "-v", "0"], env=env, check=True, timeout=300
        )
        _python(
            "from aftercart.benchmarks import Reporter\n"
            "from aftercart.benchmarks.worker import seed_outbox\n"
            f"seed_outbox({MESSAGES}, Reporter())",
            env,
        )
        log = tmp_path / "worker.log"
        with log.open("ab") as output:
            worker = subprocess.Popen(
                [sys.executable, "-m", "aftercart.cli", "worker", "--deliver-interval", "0.2"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            assert _wait_for(lambda: len(handler.received()) >= MESSAGES, 120), log.read_text()[-3000:]
            children = _children(worker.pid)
            assert worker.poll() is None, "still running: the worker itself delivered"
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
    assert children == [], f"the worker started processes of its own: {children}"
    assert set(Counter(handler.received()).values()) == {1}
