"""A real ``aftercart worker`` process killed (SIGKILL) in the middle of a batch, then restarted.

What the outbox promises: no message is lost, and none reaches the customer twice as a different
message. SMTP has no idempotency key, so a message whose sending the kill interrupted after the
server accepted it (and before the worker recorded it) is sent again after the lease: with the same
``Message-ID``, which is how mail systems recognise a copy. So the test counts distinct Message-IDs
(each message exactly once) and checks that copies happened only to messages that were in flight.

Everything runs for real: a database of its own (SQLite file, or a fresh PostgreSQL database when
the suite runs on PostgreSQL), the worker as a child process, and an aiosmtpd server in this one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from aftercart.benchmarks import temporary_database

MESSAGES = 60
LEASE_SECONDS = 3


class _SlowRecordingHandler:
    """Accepts every message after a short pause (so a batch takes a while) and keeps its Message-ID."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.03)
        header = next(
            (
                line
                for line in envelope.content.decode("utf-8", "replace").splitlines()
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        with self.lock:
            self.message_ids.append(header.split(":", 1)[1].strip())
        return "250 OK"

    def received(self) -> list[str]:
        with self.lock:
            return list(self.message_ids)


def _env(database_url: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        AFTERCART_VAR_DIR=str(var_dir),
        AFTERCART_DEBUG="0",
        AFTERCART_SECRET_KEY="test-worker-killed-" + "x" * 40,
        AFTERCART_SMTP_HOST="127.0.0.1",
        AFTERCART_SMTP_PORT=str(smtp_port),
        AFTERCART_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_SETTINGS_MODULE="aftercart.settings",
    )
    return env


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aftercart.cli",
                "worker",
                "--deliver-interval",
                "0.2",
                "--lease",
                str(LEASE_SECONDS),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes every thread and child
        )


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def smtp_server():
    handler = _SlowRecordingHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_message_once(tmp_path, smtp_server):
    handler, port = smtp_server
    server_url = os.environ.get("DATABASE_URL") or None
    with temporary_database(server_url) as database_url:
        env = _env(database_url, tmp_path, port)
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
        worker = _start_worker(env, log)
        try:
            assert _wait_for(lambda: len(handler.received()) >= 15, 120), log.read_text()[-3000:]
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        at_kill = len(handler.received())
        assert at_kill < MESSAGES, "killed mid-batch, with messages still to send"

        restarted = _start_worker(env, log)
        try:
            assert _wait_for(lambda: len(set(handler.received())) >= MESSAGES, 120), (
                f"messages lost: {len(set(handler.received()))} of {MESSAGES}; worker log:\n"
                + log.read_text()[-3000:]
            )
            time.sleep(LEASE_SECONDS + 1)  # anything still to come (a second copy) would come now
        finally:
            os.killpg(restarted.pid, signal.SIGTERM)
            restarted.wait(30)

        outcome = json.loads(
            _python(
                "import json\n"
                "from aftercart.notifications.models import DeliveryAttempt, Message\n"
                "print(json.dumps({\n"
                "  'statuses': sorted(set(Message.objects.values_list('status', flat=True))),\n"
                "  'messages': Message.objects.count(),\n"
                "  'lease_expired': DeliveryAttempt.objects.filter(error__icontains='lease expired').count(),\n"
                "  'reclaimed': Message.objects.filter(attempts__gte=2).count(),\n"
                "}))",
                env,
            )
        )

    received = handler.received()
    copies = Counter(received)
    assert len(copies) == MESSAGES == outcome["messages"], "each message reached the server"
    assert outcome["statuses"] == ["sent"]
    assert max(copies.values()) <= 2
    resent = len(received) - MESSAGES
    # The killed worker held a claimed batch; the restarted one took it over once the lease ran out
    # (every claim counts as an attempt). Only a message whose sending the kill interrupted can have
    # gone twice, and such an attempt is recorded as cut short by the expired lease.
    assert 1 <= outcome["reclaimed"] <= 50
    assert resent <= outcome["lease_expired"] <= outcome["reclaimed"]
