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
