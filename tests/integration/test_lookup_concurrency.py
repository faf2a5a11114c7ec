"""Nine guesses at one order number at once, against a bar of five: exactly five are looked up.

Real concurrency needs real connections to a database of its own, so it runs in a child process
(threads on a SQLite file, or on a fresh PostgreSQL database when the suite runs on PostgreSQL),
the way the web server's threads and processes share the limits. The lookup itself is slowed so
the requests overlap whatever the scheduling; what the test asserts does not depend on timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aftercart.benchmarks import temporary_database
from tests.integration.test_deploy_settings import clean_environment

CHILD = """
import json, threading, time, django
django.setup()
from django.apps import apps
from django.db import connection, connections
from django.test import RequestFactory

try:
    tables = [apps.get_model("web", "RateCount")]
except LookupError:
    tables = []  # counted somewhere else
with connection.schema_editor() as editor:
    for model in tables:
        editor.create_model(model)
connections.close_all()

from aftercart.web import lookup as web_lookup

looked_up = []

def slow_miss(number, contact, store):
    looked_up.append(contact)
    time.sleep(0.05)
    return None

web_lookup.find_order = slow_miss
barrier = threading.Barrier(9)
answers = []

def guess(i):
    try:
        request = RequestFactory().post(
            "/track", {"number": "#1001", "contact": f"guess{i}@example.com"}, REMOTE_ADDR=f"198.51.100.{i}"
        )
        barrier.wait()
        found = web_lookup.lookup_post(request, None)
        answers.append("limited" if found.retry_after else "missed" if found.failed else "?")
    finally:
        connections.close_all()

threads = [threading.Thread(target=guess, args=(i,)) for i in range(9)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"answers": sorted(answers), "looked_up": len(looked_up)}))
"""


def test_concurrent_misses_never_pass_the_limit(tmp_path):
    # A check made before counting let every concurrent guess read the same count and pass (6 of 9).
    with temporary_database(os.environ.get("DATABASE_URL") or None) as database_url:
        env = clean_environment(
            tmp_path,
            DATABASE_URL=database_url,
            AFTERCART_DEBUG="1",
            AFTERCART_LOOKUP_LIMIT_PER_IP="100",
            AFTERCART_LOOKUP_LIMIT_PER_ORDER="5",
            AFTERCART_LOOKUP_WINDOW_SECONDS="86400",  # one window for the whole run
        )
        done = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"answers": ["limited"] * 4 + ["missed"] * 5, "looked_up": 5}
