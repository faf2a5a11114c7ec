"""Service levels: claims past their decision or resolution due time are flagged for the team."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aftercart.claims.models import Claim
from aftercart.claims.services.steps import record_fact
from aftercart.domain.claims import OPEN, ClaimStatus


def overdue_filter(now: datetime) -> Q:
    """Claims past a due time with that step not done: waiting for a decision past
    ``decision_due_at``, or approved and not resolved past ``resolution_due_at``."""
    waiting = Q(status__in=[s.value for s in OPEN], decision_due_at__lt=now)
    unresolved = Q(status=ClaimStatus.APPROVED.value, resolution_due_at__lt=now)
    return waiting | unresolved


def claims_overdue_flag(*, now: datetime | None = None, limit: int = 500) -> int:
    """Flag (``Claim.overdue``, a fact ``sla_overdue``) claims past a due time (see
    :func:`overdue_filter`); how many were flagged. Idempotent: a claim is flagged once, and a
    flag is kept (the metrics count it) after the claim moves on."""
    now = now or timezone.now()
    flagged = 0
    with transaction.atomic():
        due = list(
            Claim.objects.select_for_update(skip_locked=True)
            .filter(overdue_filter(now), overdue=False)
            .order_by("decision_due_at")[:limit]
        )
        for claim in due:
            claim.overdue = True
            claim.save(update_fields=["overdue"])
            which = "resolution" if claim.status == ClaimStatus.APPROVED.value else "decision"
            record_fact(
                claim,
                "sla_overdue",
                actor="worker",
                now=now,
                key=f"{claim.number}:overdue",
                payload={"late": which},
            )
            flagged += 1
    return flagged
