"""The retention purge: orders older than AFTERCART_RETENTION_DAYS lose their personal data through
the same erasers as a request; newer orders, and the consent of customers who still have one, stay."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from aftercart.domain.messaging import Channel
from aftercart.notifications.models import Preference, PreferenceSource
from aftercart.notifications.selectors import choices_for
from aftercart.notifications.services import preference_set
from aftercart.orders.models import Order
from aftercart.orders.verify import projections_verify
from aftercart.privacy.models import ErasedOrder, ErasureReceipt
from aftercart.privacy.services import retention_purge
from aftercart.privacy.worker import retention_loop
from tests.integration.privacy_data import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(api, store):
    old = place(api, "1001", email="ana@example.com", name="Ana Silva", days_ago=400)
    new = place(api, "1002", email="ana@example.com", name="Ana Silva", days_ago=5)
    gone = place(api, "2001", email="bruno@example.com", name="Bruno Costa", postal="EC1A 1BB", days_ago=500)
    for address in ("ana@example.com", "bruno@example.com"):
        preference_set(
            store_id=store.pk, channel=Channel.EMAIL, address=address, opted_in=False,
            source=PreferenceSource.ONE_CLICK,
        )  # fmt: skip
    return old, new, gone


def test_off_by_default(history):
    assert retention_purge() is False
    assert not ErasureReceipt.objects.exists()


def test_old_orders_are_purged_once_and_newer_ones_kept(history, settings, store):
    old, new, gone = history
    settings.AFTERCART_RETENTION_DAYS = 365
    assert retention_loop().step() is False, "all done in one pass"

    assert set(ErasedOrder.objects.values_list("order_id", flat=True)) == {old.pk, gone.pk}
    [receipt] = ErasureReceipt.objects.all()
    assert (receipt.kind, receipt.requested_by, receipt.subject) == ("retention", "retention:365d", "")
    for order in (old, gone):
        order.refresh_from_db()
        assert order.email == "" and "Silva" not in json.dumps(order.snapshot)
        assert "Costa" not in json.dumps(order.snapshot)
    new.refresh_from_db()
    assert new.email == "ana@example.com" and "Ana Silva" in json.dumps(new.snapshot)
    # Ana still has an order: her opt-out stays as it is. Bruno has none left: his becomes a
    # pseudonymous suppression, still honoured.
    assert Preference.objects.filter(address="ana@example.com").exists()
    assert not Preference.objects.filter(address="bruno@example.com").exists()
    assert choices_for(store.pk, Channel.EMAIL, "bruno@example.com").opted_in is False
    assert projections_verify().clean

    assert retention_purge() is False, "nothing left to purge"
    assert ErasureReceipt.objects.count() == 1


def test_the_command_purges_in_batches(history, capsys):
    call_command("aftercart_privacy", "retention", "--days", "365")
    assert "Retention purge done" in capsys.readouterr().out
    assert Order.objects.filter(email="").count() == 2
