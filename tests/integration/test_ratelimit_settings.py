"""The order lookup's rate limits behind a proxy, configured from the environment: each case starts
a fresh process (settings are read once, at start-up) with nothing but the given environment."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from tests.integration.test_deploy_settings import aftercart_command, clean_environment

PROBE = """
import json, django
django.setup()
from django.test import RequestFactory
from aftercart.web.ratelimit import client_ip, lookup_limits
factory = RequestFactory()
# Two shoppers behind one proxy (10.0.0.2); the first also sends a forged X-Forwarded-For.
ana = factory.post("/track", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
ben = factory.post("/track", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
print(json.dumps({
    "clients": [client_ip(ana), client_ip(ben)],
    "limits": [[limit.limit, limit.window] for limit in lookup_limits()],
}))
"""


def probe(tmp_path: Path, **values: str) -> dict:
    env = clean_environment(tmp_path, AFTERCART_SECRET_KEY=secrets.token_urlsafe(50), **values)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_behind_a_trusted_proxy_each_shopper_has_a_limit_of_their_own(tmp_path):
    seen = probe(tmp_path, AFTERCART_TRUSTED_PROXIES="1")
    # The address the proxy saw, not the proxy's, nor what the client wrote in front of it.
    assert seen["clients"] == ["203.0.113.7", "198.51.100.9"]


def test_without_it_the_connection_address_counts(tmp_path):
    seen = probe(tmp_path)
    assert seen["clients"] == ["10.0.0.2", "10.0.0.2"]
    assert seen["limits"] == [[10, 600], [50, 600]]


def test_the_lookup_limits_come_from_the_environment(tmp_path):
    seen = probe(
        tmp_path,
        AFTERCART_LOOKUP_LIMIT_PER_IP="30",
        AFTERCART_LOOKUP_LIMIT_PER_ORDER="4",
        AFTERCART_LOOKUP_WINDOW_SECONDS="120",
    )
    assert seen["limits"] == [[30, 120], [4, 120]]


def test_bad_values_are_refused_at_start_up_by_name(tmp_path):
    env = clean_environment(
        tmp_path,
        AFTERCART_SECRET_KEY=secrets.token_urlsafe(50),
        AFTERCART_TRUSTED_PROXIES="yes",
        AFTERCART_LOOKUP_LIMIT_PER_IP="0",
        AFTERCART_LOOKUP_LIMIT_PER_ORDER="-3",
        AFTERCART_LOOKUP_WINDOW_SECONDS="10m",
    )
    done = aftercart_command(env, "check")
    assert done.returncode != 0
    for name, bad in (
        ("AFTERCART_TRUSTED_PROXIES", "'yes'"),
        ("AFTERCART_LOOKUP_LIMIT_PER_IP", "'0'"),
        ("AFTERCART_LOOKUP_LIMIT_PER_ORDER", "'-3'"),
        ("AFTERCART_LOOKUP_WINDOW_SECONDS", "'10m'"),
    ):
        assert f"(aftercart.E006) {name} must be a whole number" in done.stderr and bad in done.stderr, (
            name,
            done.stderr,
        )
