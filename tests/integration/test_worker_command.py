"""``aftercart worker`` as operators start it: no flags, its projection, delivery and sweep loops
running until SIGTERM or SIGINT stops them all."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command as django_call_command
from django.utils import timezone

from aftercart.commands.management.commands import aftercart_worker
from aftercart.notifications.models import Message
from tests.integration.test_notifications import placed, record


@pytest.mark.django_db(transaction=True)
def test_the_worker_started_without_flags_delivers_due_messages_until_sigint(store, smtp):
    now = timezone.now()
    record(store, placed(now - timedelta(minutes=20)), at=now - timedelta(minutes=20))

    def interrupt_once_delivered():
        # Ctrl-C as an operator would give it, once the delivery loop has done its work.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not smtp.received:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    threading.Thread(target=interrupt_once_delivered, daemon=True).start()
    django_call_command("aftercart_worker", "--deliver-interval", "0.1")

    assert signal.getsignal(signal.SIGINT) is before, "the handlers it set are undone"
    loops = {"aftercart-projection", "aftercart-deliver", "aftercart-sweep"}
    assert not [t.name for t in threading.enumerate() if t.name in loops], "every loop stopped"
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
