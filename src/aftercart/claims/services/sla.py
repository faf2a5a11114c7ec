"""Service levels: claims past their decision or resolution due time are flagged for the team."""

from __future__ import annotations

from datetime import datetime


def claims_overdue_flag(*, now: datetime | None = None, limit: int = 500) -> int:
    """Flag (``Claim.overdue``, a fact ``sla_overdue``) claims waiting for a decision past
    ``decision_due_at`` or approved and not resolved past ``resolution_due_at``; how many were
    flagged. Idempotent: a claim is flagged once."""
    raise NotImplementedError
