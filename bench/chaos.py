"""Chaos run: N workers and 2 web processes on one PostgreSQL, a firehose of orders and events,
and a random process SIGKILLed every few seconds; then check what must hold.

    .venv/bin/python bench/chaos.py --database-url postgresql://postgres@127.0.0.1:5432/postgres \
        [--workers 4] [--web 2] [--seconds 180] [--kill-every 3] [--clients 4] [--customers 200]

Everything is real: a temporary database (``aftercart_bench_<random>``, dropped at the end),
``aftercart worker`` processes (``--lease 10``: a killed worker's batch is taken over after 10 s),
gunicorn web processes serving the API (one sync worker each, started as ``aftercart serve``
does), and an SMTP server in this process that keeps every Message-ID it is handed (the
idempotency key of e-mail: a copy with the same Message-ID is the same message to a mail system).

Time is hurried (``_advance``): routine messages fall due at once instead of after the 15-minute
consolidation window, and messages the planner capped are made due as concurrent planning would
leave them, so the gates must hold the cap.

The firehose: ``--clients`` threads, each creating orders (``POST /api/v1/orders``, placed 20
minutes ago so the confirmation is due at once) for customers drawn from ``--customers`` (so one
customer has several orders and the frequency cap has work), and shipping each one
(``POST /api/v1/events``, ``shipment.created``). A request that fails (its web process was killed)
is retried against the other one until it is acknowledged; only acknowledged requests are
counted as posted. Every ``--kill-every`` seconds one process, chosen at random among the workers
and web processes, is SIGKILLed (its whole process group) and started again.

After ``--seconds``, the firehose and the kills stop, the workers drain what is due (waiting out
the lease of the last kill), and the run checks:

- every acknowledged order and event is a fact in the ledger (no fact lost);
- no message is left due, claimed or retrying (no message lost);
- each sent message reached the SMTP server under one Message-ID, no Message-ID reached it that is
  not a sent message's, and repeats of one Message-ID (a worker killed between the server's
  acceptance and its own record) are at most the attempts cut short by a lease expiry;
- at most one routine e-mail per customer within the cap (16 h: the run takes minutes).

Prints one JSON line with the figures; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

from aftercart.benchmarks import temporary_database

SECRET = "chaos-run-secret-key-" + "x" * 40


class Sink:
    """An SMTP server that keeps each message's Message-ID and recipient."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.005)
        message_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in envelope.content.decode("utf-8", "replace").splitlines()
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        with self.lock:
            self.received.extend((message_id, rcpt) for rcpt in envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """A child process in its own process group (a kill takes it and its children), restartable."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)


class Firehose:
    """Client threads posting orders and shipments, retrying each request until acknowledged."""

    def __init__(self, ports: list[int], token: str, customers: int, seed: int) -> None:
        self.ports, self.token, self.customers = ports, token, customers
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.next_order = 0
        self.acknowledged_keys: list[str] = []  # the facts' idempotency keys in the ledger
        self.requests = 0
        self.retries = 0
        #: Answers that were neither a success nor a server error (a bug in the run or the app).
        self.errors: list[str] = []
        #: Seconds from a request's first try to its acknowledgement (retries included).
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def _post(self, path: str, body: dict) -> None:
        data = json.dumps(body)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        attempt = 0
        began = time.monotonic()
        while True:
            port = self.ports[attempt % len(self.ports)]
            attempt += 1
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, data, headers)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status in (200, 201, 202):
                    with self.lock:
                        self.requests += 1
                        self.latencies.append(time.monotonic() - began)
                    return
                if response.status < 500:
                    with self.lock:
                        self.errors.append(f"{path} answered {response.status}: {body[:300]!r}")
                    return
            except (OSError, http.client.HTTPException):
                pass
            with self.lock:
                self.retries += 1
            time.sleep(0.05)

    def client(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                n = self.next_order
                self.next_order += 1
                customer = self.rng.randrange(self.customers)
            placed = datetime.now(UTC) - timedelta(minutes=20)
            order_id = f"C{n:07d}"
            self._post(
                "/api/v1/orders",
                {
                    "order_id": order_id,
                    "number": f"#{n}",
                    "placed_at": placed.isoformat(),
                    "email": f"customer{customer}@example.com",
                    "lines": [{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
                },
            )
            with self.lock:
                self.acknowledged_keys.append(f"api:order:{order_id}:placed")
            if n % 2:
                continue  # half the orders stay unshipped: their confirmations are due at once
            key = f"ship-{order_id}"
            self._post(
                "/api/v1/events",
                {
                    "kind": "shipment.created",
                    "order_id": order_id,
                    "shipment_id": "S1",
                    "carrier": "ups",
                    "tracking_number": f"1ZCHAOS{n:08d}",
                    "lines": [{"line_id": "L1", "quantity": 1}],
                    "occurred_at": (placed + timedelta(minutes=1)).isoformat(),
                    "idempotency_key": key,
                },
            )
            with self.lock:
                self.acknowledged_keys.append(f"api:{key}")
            # Lost (a critical message, due at once and never capped) for one shipped order in two.
            if n % 4 == 0:
                key = f"lost-{order_id}"
                self._post(
                    "/api/v1/events",
                    {
                        "kind": "tracking.event",
                        "tracking_number": f"1ZCHAOS{n:08d}",
                        "carrier": "ups",
                        "tag": "exception",
                        "subtag": "exception.lost",
                        "raw_message": "Lost",
                        "occurred_at": (placed + timedelta(minutes=2)).isoformat(),
                        "idempotency_key": key,
                    },
                )
                with self.lock:
                    self.acknowledged_keys.append(f"api:{key}")


def _env(database_url: str, var_dir: str, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        AFTERCART_VAR_DIR=var_dir,
        AFTERCART_DEBUG="0",
        AFTERCART_SECRET_KEY=SECRET,
        AFTERCART_ALLOWED_HOSTS="127.0.0.1",
        AFTERCART_SMTP_HOST="127.0.0.1",
        AFTERCART_SMTP_PORT=str(smtp_port),
        AFTERCART_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_SETTINGS_MODULE="aftercart.settings",
    )
    return env


def _advance(database_url: str) -> int:
    """What a run of minutes cannot wait for, done to the outbox directly: routine messages are
    made due now instead of after their 15-minute consolidation window, and the messages the
    planner capped are made due too, as two ingest transactions planning side by side for one
    customer (neither seeing the other's row) would leave them. So the workers' gates, not the
    planner, must keep every customer to one routine e-mail. Messages made due count as "due by
    the end" for the checks."""
    with psycopg.connect(database_url, autocommit=True) as db:
        reopened = db.execute(
            "UPDATE notifications_message SET status = 'pending', reason = '', next_attempt_at = now()"
            " WHERE status = 'suppressed' AND reason LIKE 'frequency cap (%%h)' AND attempts = 0"
        ).rowcount
        hurried = db.execute(
            "UPDATE notifications_message SET next_attempt_at = now()"
            " WHERE status = 'pending' AND next_attempt_at > now()"
        ).rowcount
    return reopened + hurried


def _fast_clock(database_url: str, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        with contextlib.suppress(psycopg.Error):  # a deadlock with a worker's gate: next second
            _advance(database_url)


def _live(db: psycopg.Connection, due_by: datetime) -> int:
    """Messages due by ``due_by`` (or retrying by then) not yet sent or given up, or claimed."""
    return db.execute(
        "SELECT count(*) FROM notifications_message WHERE status = 'sending'"
        " OR (status IN ('pending', 'failed') AND next_attempt_at <= %s)",
        [due_by],
    ).fetchone()[0]


def _wait_ready(port: int, token: str, timeout: float = 120.0) -> None:
    """Until the web process answers an API request (its worker has loaded the app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/orders", headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web process on {port} did not answer")


def _p50_max(values: list[float]) -> list[float]:
    ordered = sorted(values) or [0.0]
    return [round(ordered[len(ordered) // 2], 3), round(ordered[-1], 3)]


def run(args: argparse.Namespace) -> dict:
    python = sys.executable
    gunicorn = str(Path(python).with_name("gunicorn"))
    sink = Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    var_dir = tempfile.mkdtemp(prefix="aftercart-chaos-")
    logs = Path(var_dir)
    try:
        with temporary_database(args.database_url) as database_url:
            env = _env(database_url, var_dir, smtp_port)
            subprocess.run([python, "-m", "aftercart.cli", "migrate", "-v", "0"], env=env, check=True)
            token = subprocess.run(
                [
                    python,
                    "-c",
                    "import django; django.setup()\n"
                    "from aftercart.stores.services import api_key_issue, store_create\n"
                    "print(api_key_issue(store=store_create(slug='chaos', name='Chaos Outfitters')).token)",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            ports = [_free_port() for _ in range(args.web)]
            processes = [
                Process(
                    f"worker{i}",
                    [python, "-m", "aftercart.cli", "worker", "--deliver-interval", "0.5", "--lease", "10"],
                    env,
                    logs / f"worker{i}.log",
                )
                for i in range(args.workers)
            ] + [
                Process(
                    f"web{i}",
                    [
                        gunicorn,
                        "aftercart.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--log-level",
                        "warning",
                        "--config",
                        "python:aftercart.gunicorn_conf",
                    ],
                    env,
                    logs / f"web{i}.log",
                )
                for i, port in enumerate(ports)
            ]
            for process in processes:
                process.start()
            for port in ports:
                _wait_ready(port, token)

            hose = Firehose(ports, token, args.customers, args.seed)
            clients = [threading.Thread(target=hose.client, daemon=True) for _ in range(args.clients)]
            started = time.monotonic()
            for client in clients:
                client.start()
            rng = random.Random(args.seed)
            last_kill = started
            clock = threading.Thread(target=_fast_clock, args=(database_url, hose.stop), daemon=True)
            clock.start()
            while time.monotonic() - started < args.seconds:
                time.sleep(args.kill_every)
                victim = rng.choice(processes)
                victim.kill()
                victim.start()
                last_kill = time.monotonic()
            hose.stop.set()
            for client in clients:
                client.join(120)
            clock.join(10)
            _advance(database_url)  # the last orders' messages too
            firehose_seconds = time.monotonic() - started
            # Every message due by the end of the firehose must be final after the drain (later
            # ones, shipped messages inside their 15-minute consolidation window, are not due yet).
            due_by = datetime.now(UTC)

            # Drain: what a killed worker held comes back after its lease (10 s).
            db = psycopg.connect(database_url, autocommit=True)
            deadline = time.monotonic() + args.drain_timeout
            while time.monotonic() < deadline:
                if time.monotonic() - last_kill > 12 and _live(db, due_by) == 0:
                    break
                time.sleep(1)
            drained_after = time.monotonic() - started - firehose_seconds
            time.sleep(2)  # a last copy still on its way would arrive now
            for process in processes:
                process.stop()

            stored = {
                key
                for (key,) in db.execute(
                    "SELECT idempotency_key FROM orders_fact WHERE idempotency_key = ANY(%s)",
                    [hose.acknowledged_keys],
                )
            }
            rows = db.execute(
                "SELECT id, status, recipient, critical, channel FROM notifications_message"
            ).fetchall()
            reasons = db.execute(
                "SELECT status, milestone, regexp_replace(reason, '[0-9]+', 'N', 'g') AS why, count(*)"
                " FROM notifications_message GROUP BY 1, 2, 3 ORDER BY 4 DESC"
            ).fetchall()
            statuses = Counter(status for _, status, _, _, _ in rows)
            cut_short = db.execute(
                "SELECT count(*) FROM notifications_deliveryattempt WHERE error LIKE 'lease expired%%'"
            ).fetchone()[0]
            live = _live(db, due_by)
            not_due = db.execute(
                "SELECT count(*) FROM notifications_message WHERE status = 'pending' AND next_attempt_at > %s",
                [due_by],
            ).fetchone()[0]
            db.close()
    finally:
        controller.stop()

    with sink.lock:
        received = list(sink.received)
    copies = Counter(message_id for message_id, _ in received)
    sent = [row for row in rows if row[1] == "sent"]
    routine_per_customer = Counter(
        (channel, recipient) for _, _, recipient, critical, channel in sent if not critical
    )
    problems = []
    lost_facts = len(set(hose.acknowledged_keys) - stored)
    if lost_facts:
        problems.append(f"{lost_facts} acknowledged facts are not in the ledger")
    if hose.errors:
        problems.append(f"{len(hose.errors)} requests refused")
    if live:
        problems.append(f"{live} messages still due or claimed after the drain")
    if len(copies) != len(sent):
        problems.append(
            f"{len(copies)} distinct Message-IDs reached the server for {len(sent)} sent messages"
        )
    repeats = sum(n - 1 for n in copies.values())
    if repeats > cut_short:
        problems.append(f"{repeats} repeated Message-IDs but only {cut_short} attempts cut short")
    over = {k: n for k, n in routine_per_customer.items() if n > 1}
    if over:
        problems.append(f"the frequency cap was exceeded for {len(over)} customers")
    return {
        "workers": args.workers,
        "web": args.web,
        "seconds": round(firehose_seconds, 1),
        "kill_every": args.kill_every,
        "kills": {p.name: p.kills for p in processes},
        "kills_total": sum(p.kills for p in processes),
        "requests_acknowledged": hose.requests,
        "request_retries": hose.retries,
        "request_errors": len(hose.errors),
        "request_seconds_p50_max": _p50_max(hose.latencies),
        "first_errors": hose.errors[:3],
        "orders": hose.next_order,
        "facts_acknowledged": len(hose.acknowledged_keys),
        "facts_lost": lost_facts,
        "messages": dict(statuses),
        "messages_not_yet_due": not_due,
        "outcomes": [
            f"{n} {status} {milestone}: {why}".rstrip(": ") for status, milestone, why, n in reasons
        ],
        "emails_received": len(received),
        "distinct_message_ids": len(copies),
        "repeated_message_ids": repeats,
        "attempts_cut_short": cut_short,
        "customers_emailed": len(routine_per_customer),
        "max_routine_per_customer": max(routine_per_customer.values(), default=0),
        "drain_seconds": round(drained_after, 1),
        "logs": var_dir,
        "ok": not problems,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", required=True, help="A PostgreSQL server (its 'postgres' database)."
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=1)
    result = run(parser.parse_args())
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
