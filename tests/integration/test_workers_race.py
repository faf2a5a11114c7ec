"""Four worker processes on one PostgreSQL outbox: the frequency cap and exactly-once delivery hold.

Several routine e-mails to one customer are due at once (their orders were planned by ingest
transactions that did not see each other's rows, as READ COMMITTED allows: the planner's own cap
could not stop them). Four real processes drain the outbox in small batches, so one customer's
messages land in batches that run at the same time on different workers. Whatever the interleaving:

- the cap holds: at most one routine e-mail per customer within the cap (all of this runs in
  seconds, the e-mail cap is hours), and the first one always goes (nothing is lost);
- every message ends sent, suppressed or superseded (none left due or claimed), and each sent
  message reached the SMTP server exactly once (by Message-ID), and only those did.

Before per-customer serialisation at send time, each worker checked the cap against what had been
sent when its batch started, so two workers both sent to one customer (this test failed).

PostgreSQL only: SQLite serialises writers, so several workers there take turns (the same code runs,
see ``test_send_time_checks.py`` for the single-worker behaviour on both databases).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from aftercart.benchmarks import database_label, temporary_database

pytestmark = pytest.mark.skipif(
    database_label(os.environ.get("DATABASE_URL") or None) != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL=postgresql://...): SQLite serialises writers, so "
    "concurrent workers cannot race there",
)

WORKERS = 4
CUSTOMERS = 10
ORDERS_EACH = 6
BATCH = 5

SEED = f"""
from datetime import timedelta
from django.utils import timezone
from aftercart.domain.facts import Fact, FactKind
from aftercart.notifications.models import Message
from aftercart.orders.services import facts_record
from aftercart.stores.services import store_create

store = store_create(slug="race", name="Race Outfitters")
placed = timezone.now() - timedelta(minutes=30)
# Order i belongs to customer i % CUSTOMERS: one customer's orders are far apart in the queue, so
# they fall into different batches, which different workers run at the same time.
for i in range({CUSTOMERS * ORDERS_EACH}):
    facts_record(store=store, now=placed, facts=[Fact(
        kind=FactKind.ORDER_PLACED, occurred_at=placed, idempotency_key=f"placed-{{i}}", source="test",
        order_ref=f"R{{i:05d}}",
        payload={{"number": f"#{{1000 + i}}", "email": f"customer{{i % {CUSTOMERS}}}@example.com",
                 "lines": [{{"line_id": "L1", "title": "Rain jacket", "quantity": 1}}]}},
    )])
# The planner saw each customer's first confirmation and capped the others. Ingest transactions
# running side by side do not see each other's rows: make the others due, as they would then be.
capped = Message.objects.filter(status="suppressed", reason__contains="frequency cap")
print(capped.update(status="pending", reason="", next_attempt_at=timezone.now()))
"""

WORKER = f"""
import os, sys, time
from pathlib import Path
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import Message

# Every worker starts at once (imports take a while and would otherwise stagger them).
print("ready", flush=True)
go = Path(os.environ["RACE_START"])
while not go.exists():
    time.sleep(0.01)
deadline = time.monotonic() + 120
live = Message.objects.filter(status__in=["pending", "sending"]) | Message.objects.filter(
    status="failed", next_attempt_at__isnull=False
)
while live.exists() and time.monotonic() < deadline:
    report = message_deliver_due(limit={BATCH})
    if not report.claimed:
        time.sleep(0.05)
"""

OUTCOME = """
import json
from aftercart.notifications.models import Message
print(json.dumps([
    [m.pk, m.order_id, m.recipient, m.channel, m.status, m.critical, m.reason]
    for m in Message.objects.order_by("pk")
]))
"""


class _Recorder:
    """An SMTP server that takes a little time per message (so batches overlap) and keeps each
    message's Message-ID and recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[str, tuple[str, ...]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        message_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in envelope.content.decode("utf-8", "replace").splitlines()
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        with self.lock:
            self.received.append((message_id, tuple(envelope.rcpt_tos)))
        return "250 OK"


def _env(database_url: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        AFTERCART_VAR_DIR=str(var_dir),
        AFTERCART_DEBUG="0",
        AFTERCART_SECRET_KEY="test-workers-race-" + "x" * 40,
        AFTERCART_SMTP_HOST="127.0.0.1",
        AFTERCART_SMTP_PORT=str(smtp_port),
        AFTERCART_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_SETTINGS_MODULE="aftercart.settings",
    )
    return env


def _python(code: str, env: dict[str, str], **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _run(code: str, env: dict[str, str]) -> str:
    child = _python(code, env)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err[-3000:]
    return out


def test_four_workers_never_exceed_the_cap_and_send_each_message_once(tmp_path):
    recorder = _Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with temporary_database(os.environ["DATABASE_URL"]) as database_url:
            env = _env(database_url, tmp_path, port)
            subprocess.run(
                [sys.executable, "-m", "aftercart.cli", "migrate", "-v", "0"],
                env=env,
                check=True,
                timeout=300,
            )
            made_due = int(_run(SEED, env).split()[-1])
            assert made_due == CUSTOMERS * (ORDERS_EACH - 1), "every customer has several e-mails due"

            env["RACE_START"] = str(tmp_path / "go")
            workers = [_python(WORKER, env) for _ in range(WORKERS)]
            for worker in workers:
                assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
            (tmp_path / "go").touch()
            for worker in workers:
                _, err = worker.communicate(timeout=300)
                assert worker.returncode == 0, err[-3000:]
            rows = json.loads(_run(OUTCOME, env))
    finally:
        controller.stop()

    statuses = Counter(status for _, _, _, _, status, _, _ in rows)
    assert set(statuses) <= {"sent", "suppressed", "superseded"}, statuses
    sent = [row for row in rows if row[4] == "sent"]

    # Exactly once: each sent message reached the server once, and nothing else did.
    copies = Counter(message_id for message_id, _ in recorder.received)
    assert max(copies.values()) == 1, [m for m, n in copies.items() if n > 1]
    assert len(copies) == len(sent)

    # The cap: one routine e-mail per customer within it; the first always goes.
    per_customer = Counter(recipient for _, _, recipient, _, _, critical, _ in sent if not critical)
    over = {customer: n for customer, n in per_customer.items() if n > 1}
    assert not over, f"the frequency cap was exceeded for {len(over)} customers: {over}"
    assert len(per_customer) == CUSTOMERS
    # Consolidation: at most one message per order and channel.
    assert max(Counter((order, channel) for _, order, _, channel, *_ in sent).values()) == 1
    suppressed = [row for row in rows if row[4] == "suppressed"]
    assert len(suppressed) == CUSTOMERS * (ORDERS_EACH - 1)
    assert all("frequency cap" in reason for *_, reason in suppressed)
