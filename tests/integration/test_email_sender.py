"""The From header: the store's name with the installation's (or store's) sending address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.integration.test_notifications import placed, record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("Aftercart <no-reply@aftercart.example>", "no-reply@aftercart.example"),
        ("orders@acme.example", "orders@acme.example"),
    ],
)
def test_the_sender_is_the_store_name_with_the_configured_address(
    store,
    smtp,
    mail_settings,
    configured,
    expected,
):
    from aftercart.notifications.delivery import message_deliver_due

    mail_settings.DEFAULT_FROM_EMAIL = configured
    now = timezone.now()
    record(store, placed(now - timedelta(minutes=20)), at=now - timedelta(minutes=20))
    assert message_deliver_due(now=now).sent == 1
    received = smtp.received[0]
    assert received["From"].addresses[0].display_name == "Acme Outfitters"
    assert received["From"].addresses[0].addr_spec == expected
    assert received["Content-Language"] == "en"
