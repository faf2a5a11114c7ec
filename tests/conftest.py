"""Shared fixtures. ``SHARED_DATA`` points at ../shared/data; tests that need it skip when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test with a clear reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data is absent (fresh clone): {path} not found")
    return path


@pytest.fixture
def store(db):
    from aftercart.stores.services import store_create

    return store_create(
        slug="acme",
        name="Acme Outfitters",
        shopify_webhook_secret="shpss_test_secret",
        aftership_webhook_secret="as_test_secret",
    )


@pytest.fixture
def api_token(store):
    from aftercart.stores.services import api_key_issue

    return api_key_issue(store=store).token


@pytest.fixture
def api(client, api_token):
    """A test client that sends the store's bearer key and JSON by default."""

    class Api:
        def __init__(self) -> None:
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}

        def post(self, path, data=None, **extra):
            import json

            body = data if isinstance(data, (str, bytes)) else json.dumps(data)
            return client.post(
                path,
                body,
                content_type=extra.pop("content_type", "application/json"),
                **self.headers,
                **extra,
            )

        def patch(self, path, data=None, **extra):
            import json

            return client.patch(
                path, json.dumps(data), content_type="application/json", **self.headers, **extra
            )

        def get(self, path, **extra):
            return client.get(path, **self.headers, **extra)

    return Api()


@pytest.fixture(autouse=True)
def _mailbox_in_tmp(settings, tmp_path):
    """The demo mailbox keeps e-mails under the test's own folder, never the checkout's var/."""
    settings.AFTERCART_MAILBOX_DIR = tmp_path / "mailbox"
