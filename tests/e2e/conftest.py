"""Browser fixtures: Playwright (the Python package) driving Debian's Chromium at /usr/bin/chromium.

Playwright's own browser downloads are never used (``playwright install`` cannot work here); the
browser comes from the ``chromium`` Debian package, which ``.ci/run`` installs. Without it the
tests skip on a developer's machine but fail in CI (``CI`` set), so a missing browser can never
turn the end-to-end suite into a silent green.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("AFTERCART_CHROMIUM") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"end-to-end tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"{reason} (this fails instead of skipping when CI is set)")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed: pip install -e '.[dev]'")
    # The sync API runs an event loop in this thread; Django's ORM refuses to run under one unless
    # told it is safe. It is here: the loop only drives the browser, never the database.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            try:
                yield instance
            finally:
                instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies carried between tests) at a desktop size, in English."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def mobile_page(browser):
    """A phone-sized context: 390×844 CSS pixels at scale 1, touch, in English."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root (ignored by git), created when missing."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
