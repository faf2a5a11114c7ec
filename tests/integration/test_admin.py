"""Operators issue and revoke API keys in the admin; the token is shown once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from aftercart.stores.models import ApiKey
from aftercart.stores.selectors import store_for_token

pytestmark = pytest.mark.django_db


def test_issue_and_revoke_a_key_from_the_admin(client, store):
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    response = client.post(
        "/admin/stores/store/", {"action": "issue_api_key", "_selected_action": [store.pk]}, follow=True
    )
    token = re.search(r"ack_[A-Za-z0-9_-]+", response.content.decode()).group(0)
    assert store_for_token(token) == store
    key = ApiKey.objects.get()
    assert token not in key.key_hash
    client.post("/admin/stores/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert store_for_token(token) is None
    assert client.get("/admin/stores/apikey/add/").status_code == 403


def test_the_widget_settings_in_the_admin(client, store):
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    client.post("/admin/stores/store/", {"action": "new_widget_secret", "_selected_action": [store.pk]})
    store.refresh_from_db()
    assert len(store.widget_secret) == 64
    page = client.get(f"/admin/stores/store/{store.pk}/change/").content.decode()
    assert f"hmac_sha256: &#x27;{store.widget_secret}&#x27;" in page, "the Shopify snippet, with the secret"
    fields = {
        "slug": store.slug,
        "name": store.name,
        "timezone": "UTC",
        "default_locale": "en",
        "branding": "{}",
        "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0",
        "care_instructions-TOTAL_FORMS": "0",
        "care_instructions-INITIAL_FORMS": "0",
    }
    refused = client.post(
        f"/admin/stores/store/{store.pk}/change/", {**fields, "widget_origins": '["https://*.shop.example"]'}
    )
    assert refused.status_code == 200 and "is not a site origin" in refused.content.decode()
    store.refresh_from_db()
    assert store.widget_origins == []
    saved = client.post(
        f"/admin/stores/store/{store.pk}/change/", {**fields, "widget_origins": '["HTTPS://Shop.Example/"]'}
    )
    assert saved.status_code == 302
    store.refresh_from_db()
    assert store.widget_origins == ["https://shop.example"]
