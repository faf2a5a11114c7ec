"""The exception cases' part of a customer's personal data: the cases opened on their orders.

A case holds no contact details; its ``detail`` is built from carrier words, which can name the
customer ("signed by SILVA"): redacted on erasure, the case itself kept (the queue's history and
its counts are the store's, not the customer's)."""

from __future__ import annotations

from typing import Any

from aftercart.domain.personal_data import scrub_text
from aftercart.exceptions.models import OrderException
from aftercart.kernel.personal_data import DataSubject


def _cases(subject: DataSubject) -> Any:
    return OrderException.objects.filter(store_id=subject.store_id, order_id__in=subject.order_ids)


def export(subject: DataSubject) -> dict[str, Any]:
    """The cases of the customer's orders, oldest first."""
    return {
        "cases": [
            {"order_id": c.order.external_id, "kind": c.kind, "subject": c.subject, "detail": c.detail,
             "opened_at": c.opened_at.isoformat(),
             "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None, "resolution": c.resolution}
            for c in _cases(subject).select_related("order").order_by("opened_at", "pk")
        ]
    }  # fmt: skip


def erase(subject: DataSubject) -> dict[str, int]:
    """Redact the customer's strings from the cases' details."""
    changed = []
    for case in _cases(subject).only("pk", "detail"):
        detail = scrub_text(case.detail, subject.needles)
        if detail != case.detail:
            case.detail = detail
            changed.append(case)
    OrderException.objects.bulk_update(changed, ["detail"], batch_size=500)
    return {"cases": len(changed)}
