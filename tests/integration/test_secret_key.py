"""Outside DEBUG, no way of starting the web app signs links with the public default key: the WSGI
module, gunicorn (with or without our config) and ``aftercart serve`` refuse to start, naming
``AFTERCART_SECRET_KEY``. Real processes with a clean environment, as a host would start them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import aftercart

SRC = Path(aftercart.__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEY = "k" * 50


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Nothing from the test run's environment: what a fresh host passes to the process."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(SRC),
        "AFTERCART_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"{process.args} still running after 90 s (it should have refused to start):\n{err}")
    return process.returncode, err


IMPORT_WSGI = [sys.executable, "-c", "import aftercart.wsgi"]


def test_importing_the_wsgi_application_refuses_the_default_key_outside_debug(tmp_path):
    # Started together: each loads the whole app (a couple of seconds on a busy machine).
    cases = {
        "no key": (clean_env(tmp_path), False),
        "an empty key": (clean_env(tmp_path, AFTERCART_SECRET_KEY=""), False),
        "a leave that says no": (clean_env(tmp_path, AFTERCART_ALLOW_INSECURE_KEY="0"), False),
        "a key": (clean_env(tmp_path, AFTERCART_SECRET_KEY=KEY), True),
        "DEBUG (make demo)": (clean_env(tmp_path, AFTERCART_DEBUG="1"), True),
        "the explicit leave": (clean_env(tmp_path, AFTERCART_ALLOW_INSECURE_KEY="1"), True),
    }
    running = {name: (start(IMPORT_WSGI, env), starts) for name, (env, starts) in cases.items()}
    for name, (process, starts) in running.items():
        code, err = finish(process)
        if starts:
            assert code == 0, f"{name}: {err}"
        else:
            assert code != 0, f"{name}: the app loaded with the public default key"
            assert "ImproperlyConfigured" in err and "AFTERCART_SECRET_KEY" in err, f"{name}: {err}"


@pytest.mark.parametrize(
    "config", [["--config", "python:aftercart.gunicorn_conf"], []], ids=["aftercart serve's config", "bare"]
)
def test_gunicorn_refuses_to_serve_with_the_default_key(tmp_path, config):
    argv = [str(BIN / "gunicorn"), "aftercart.wsgi:application", "--bind", "127.0.0.1:0", *config]
    code, err = finish(start(argv, clean_env(tmp_path)))
    assert code != 0
    assert "AFTERCART_SECRET_KEY" in err


def test_aftercart_serve_refuses_with_the_default_key(tmp_path):
    argv = [sys.executable, "-m", "aftercart.cli", "serve", "--bind", "127.0.0.1:0"]
    code, err = finish(start(argv, clean_env(tmp_path)))
    assert code != 0
    assert "AFTERCART_SECRET_KEY" in err
