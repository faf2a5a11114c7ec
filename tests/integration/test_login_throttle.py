"""The operator log-in (``/admin/login/``) throttled per username and client address, driven
through the real admin login form (CSRF checks on)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.test_deploy_settings import aftercart_command, clean_environment

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-operator-password"


@pytest.fixture
def operator(db, settings):
    # A fast hasher: what is under test is how often a password is checked, not how it is hashed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_user("op", "op@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def mid_window(monkeypatch):
    """The limiter's clock in the middle of a window (counts are per fixed window)."""
    import types

    from aftercart.web import ratelimit

    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: 1_800_000_000 + 300.0))


def log_in(username: str, password: str, ip: str = "203.0.113.7"):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)
    page = client.get("/admin/login/?next=/admin/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/", "csrfmiddlewaretoken": token},
    )


def test_failed_log_ins_lock_that_username_from_that_address(operator, mid_window):
    for _ in range(5):
        failed = log_in("op", "guess")
        assert failed.status_code == 200 and "Please enter the correct username" in failed.content.decode()
    # The right password now is refused too, without being checked, and the form says why.
    locked = log_in("op", PASSWORD)
    assert locked.status_code == 200
    assert "Too many failed log-ins for this username from your address. Try again in 10 minutes." in (
        locked.content.decode()
    )
    assert "_auth_user_id" not in locked.wsgi_request.session
    # The operator, from their own address, is not locked out by somebody else's guesses ...
    assert log_in("op", PASSWORD, ip="198.51.100.4").status_code == 302
    # ... nor is another username from the guesser's address.
    User.objects.create_user("ana", "ana@example.com", PASSWORD, is_staff=True)
    assert log_in("ana", PASSWORD).status_code == 302


def test_a_successful_log_in_clears_the_failures(operator, mid_window):
    for _ in range(4):
        assert log_in("OP ", "guess").status_code == 200  # usernames are compared as typed apart from case
    assert log_in("op", PASSWORD).status_code == 302
    for _ in range(4):
        assert log_in("op", "guess").status_code == 200
    assert log_in("op", PASSWORD).status_code == 302


PROBE = """
import json, django
django.setup()
from aftercart.web.login_throttle import login_limit
limit = login_limit()
print(json.dumps([limit.limit, limit.window]))
"""


def test_the_throttle_comes_from_the_environment(tmp_path):
    env = clean_environment(tmp_path, AFTERCART_SECRET_KEY=secrets.token_urlsafe(50))
    run = [sys.executable, "-c", PROBE]
    default = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300)
    assert json.loads(default.stdout.strip().splitlines()[-1]) == [5, 900], default.stderr[-2000:]
    env |= {"AFTERCART_LOGIN_FAILURES": "3", "AFTERCART_LOGIN_WINDOW_SECONDS": "3600"}
    chosen = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300)
    assert json.loads(chosen.stdout.strip().splitlines()[-1]) == [3, 3600], chosen.stderr[-2000:]
    env["AFTERCART_LOGIN_FAILURES"] = "0"
    done = aftercart_command(env, "check")
    assert done.returncode != 0
    assert "(aftercart.E006) AFTERCART_LOGIN_FAILURES must be a whole number" in done.stderr
