"""Builders the tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aftercart.domain.facts import Fact, FactKind


def fact(
    kind: str, at: datetime, key: str, order: str | None = "1001", tracking: str | None = None, **payload: Any
) -> Fact:
    """A fact from the tests' own source, of order ``order`` (``None``: a carrier event known only
    by its tracking number), with ``payload`` as given."""
    return Fact(
        kind=FactKind(kind),
        occurred_at=at,
        idempotency_key=key,
        source="test",
        order_ref=order,
        tracking_number=tracking,
        payload=payload,
    )
