"""Production hardening from the environment, as an operator would set it: each case starts a fresh
process (settings are read once, at start-up) with nothing but the given environment."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import aftercart

SRC = Path(aftercart.__file__).resolve().parents[1]
README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- production-environment -->"


def documented_environment() -> dict[str, str]:
    """The README's production block: ``NAME=value`` lines (``#`` starts a comment)."""
    text = README.read_text()
    assert MARKER in text, "README's Configuration section must document a production environment"
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARKER) :], re.S)
    assert block is not None
    values = {}
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def clean_environment(tmp_path: Path, **values: str) -> dict[str, str]:
    """This process's environment without any of Aftercart's or Django's settings, plus ``values``
    (a private var directory and SQLite file: nothing here touches a database server)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AFTERCART_", "DJANGO_")) and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    env |= {
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "aftercart.settings",
        "AFTERCART_VAR_DIR": str(tmp_path / "var"),
    }
    return env | values


def aftercart_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aftercart.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_documented_production_environment_passes_check_deploy(tmp_path):
    documented = documented_environment()
    for name in ("AFTERCART_SECRET_KEY", "AFTERCART_HTTPS", "AFTERCART_PROXY_SSL_HEADER"):
        assert name in documented, name
    # The secret is the operator's own; the database is one this test may use.
    documented["AFTERCART_SECRET_KEY"] = secrets.token_urlsafe(50)
    documented["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    done = aftercart_command(
        clean_environment(tmp_path, **documented), "check", "--deploy", "--fail-level", "WARNING"
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output, output


def test_without_https_check_deploy_still_says_what_is_missing(tmp_path):
    env = clean_environment(tmp_path, AFTERCART_SECRET_KEY=secrets.token_urlsafe(50))
    done = aftercart_command(env, "check", "--deploy")
    output = done.stdout + done.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, output


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
plain = client.get("/api/v1/docs")
proxied = client.get("/api/v1/docs", headers={"X-Forwarded-Proto": "https"})
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "proxied": [proxied.status_code, proxied.headers.get("Strict-Transport-Security", "")],
    "csp": proxied.headers.get("Content-Security-Policy", ""),
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def probe(tmp_path: Path, **values: str) -> dict:
    env = clean_environment(tmp_path, AFTERCART_SECRET_KEY=secrets.token_urlsafe(50), **values)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_https_behind_a_proxy_turns_on_the_redirect_hsts_and_secure_cookies(tmp_path):
    seen = probe(tmp_path, AFTERCART_HTTPS="1", AFTERCART_PROXY_SSL_HEADER="X-Forwarded-Proto")
    # Plain HTTP is sent to HTTPS; what the proxy says came over HTTPS gets HSTS for a year.
    assert seen["plain"] == [301, "https://testserver/api/v1/docs"]
    assert seen["proxied"] == [200, "max-age=31536000; includeSubDomains"]
    assert seen["cookies_secure"] == [True, True]
    assert "default-src 'none'" in seen["csp"]


def test_without_https_a_development_server_keeps_working(tmp_path):
    seen = probe(tmp_path)
    assert seen["plain"] == [200, ""]
    # Without AFTERCART_PROXY_SSL_HEADER, a client's own X-Forwarded-Proto means nothing.
    assert seen["proxied"] == [200, ""]
    assert seen["cookies_secure"] == [False, False]


def test_hsts_can_be_tuned(tmp_path):
    seen = probe(
        tmp_path,
        AFTERCART_HTTPS="1",
        AFTERCART_PROXY_SSL_HEADER="X-Forwarded-Proto: on",
        AFTERCART_HSTS_SECONDS="600",
        AFTERCART_HSTS_INCLUDE_SUBDOMAINS="0",
        AFTERCART_HSTS_PRELOAD="1",
    )
    assert seen["proxied"] == [301, ""]  # "https" is not what this proxy says: still plain HTTP
    seen = probe(
        tmp_path,
        AFTERCART_HTTPS="1",
        AFTERCART_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
        AFTERCART_HSTS_SECONDS="600",
        AFTERCART_HSTS_INCLUDE_SUBDOMAINS="0",
        AFTERCART_HSTS_PRELOAD="1",
    )
    assert seen["proxied"] == [200, "max-age=600; preload"]


def test_bad_values_are_refused_at_start_up_by_name(tmp_path):
    env = clean_environment(
        tmp_path,
        AFTERCART_SECRET_KEY=secrets.token_urlsafe(50),
        AFTERCART_HSTS_SECONDS="a year",
        AFTERCART_PROXY_SSL_HEADER="X Forwarded Proto",
    )
    done = aftercart_command(env, "check")
    assert done.returncode != 0
    assert "aftercart.E006" in done.stderr
    assert "AFTERCART_HSTS_SECONDS must be a whole number from 0 to 63072000, not 'a year'" in done.stderr
    assert "AFTERCART_PROXY_SSL_HEADER must be a header name" in done.stderr
