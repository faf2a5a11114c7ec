"""Deciding about an inbound message: classify, match its order, triage, answer, act or escalate."""

from __future__ import annotations

from datetime import datetime

from aftercart.support.models import Automation


def message_process(*, message_id: int, now: datetime) -> Automation | None:
    """Decide about one stored inbound message (once: a processed message is left alone)."""
    raise NotImplementedError


def messages_process_due(*, now: datetime, limit: int = 50) -> int:
    """Process inbound messages not yet processed (the worker's pass); returns how many."""
    raise NotImplementedError
