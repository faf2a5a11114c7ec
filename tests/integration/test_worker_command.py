"""``aftercart worker`` as operators start it: no flags, its delivery and sweep threads running
beside the task worker, all stopped when the task worker ends."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command as django_call_command
from django.utils import timezone

from aftercart.commands.management.commands import aftercart_worker
from aftercart.notifications.models import Message
from tests.integration.test_notifications import placed, record


@pytest.mark.django_db(transaction=True)
def test_the_worker_started_without_flags_delivers_due_messages(store, smtp, monkeypatch):
    now = timezone.now()
    record(store, placed(now - timedelta(minutes=20)), at=now - timedelta(minutes=20))
    ran: list[str] = []

    def fake_task_worker(name, *args, **kwargs):
        # Stands in for django-tasks' blocking ``db_worker``: the outbox thread must deliver
        # meanwhile; returning ends the worker as Ctrl-C would.
        if name != "db_worker":
            return django_call_command(name, *args, **kwargs)
        ran.append(name)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not smtp.received:
            time.sleep(0.05)

    monkeypatch.setattr(aftercart_worker, "call_command", fake_task_worker)
    django_call_command("aftercart_worker", "--deliver-interval", "0.1")

    assert ran == ["db_worker"]
    assert len(smtp.received) == 1
    assert Message.objects.get().status == Message.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_worker_collects_garbage_for_batch_work(monkeypatch):
    # The drain keeps thousands of order states alive; with Python's default thresholds the
    # collector walked them all again and again (a quarter of a firehose's CPU time).
    import gc

    from aftercart.kernel.gc_policy import THRESHOLDS

    before = gc.get_threshold()
    monkeypatch.setattr(aftercart_worker, "call_command", lambda *args, **kwargs: None)
    gc.set_threshold(700, 10, 10)  # Python's default, whatever ran in this process before
    try:
        django_call_command("aftercart_worker", "--batch")
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
