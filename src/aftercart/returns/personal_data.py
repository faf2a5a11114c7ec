"""The returns' part of a customer's personal data: their returns (by order, or by the e-mail the
return was made with), the lines' reasons in their own words, their photos, and the returns' facts.

Erasure keeps each return, its lines, amounts and facts (the store's books and stock need them);
it blanks the e-mail and the free text, redacts the customer's strings from the facts, and deletes
the photo files once the erasure commits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from aftercart.domain.personal_data import scrub_json, scrub_text
from aftercart.kernel.personal_data import DataSubject
from aftercart.returns.models import LabelPurchase, Return, ReturnFact, ReturnLine
from aftercart.returns.payloads import amounts_json, line_json
from aftercart.returns.photos import photos_delete, photos_root


def _returns(subject: DataSubject) -> Any:
    # A retention purge takes the old orders' returns only, not those of the same e-mail's newer orders.
    emails = subject.emails if subject.whole_customer else frozenset()
    return Return.objects.filter(
        Q(order_id__in=subject.order_ids) | Q(email__in=emails), store_id=subject.store_id
    )


def _is_kept_file(path: str) -> bool:
    return "://" not in path and (photos_root() / path).is_file()


def export(subject: DataSubject) -> dict[str, Any]:
    """Each return with its lines (photos named as in the export's ``photos/`` folder) and facts."""
    out = []
    for ret in _returns(subject).select_related("order").prefetch_related("lines", "facts").order_by("pk"):
        lines = []
        for ln in ret.lines.all():
            row = line_json(ln, ret.currency)
            row["photos"] = [
                f"photos/{ret.rma}/{Path(p).name}" if _is_kept_file(p) else p for p in ln.photos or []
            ]
            lines.append(row)
        out.append(
            {
                "rma": ret.rma,
                "order_id": ret.order.external_id,
                "email": ret.email,
                "status": ret.status,
                "method": ret.method,
                "created_at": ret.created_at.isoformat(),
                "amounts": amounts_json(ret),
                "lines": lines,
                "facts": [
                    {
                        "kind": f.kind,
                        "status": f.status,
                        "actor": f.actor,
                        "occurred_at": f.occurred_at.isoformat(),
                        "payload": f.payload,
                    }
                    for f in ret.facts.all()
                ],
            }
        )
    return {"returns": out}


def files(subject: DataSubject) -> list[tuple[str, Path]]:
    """The photos kept on disk for the customer's returns."""
    found = []
    for rma, photos in ReturnLine.objects.filter(ret__in=_returns(subject)).values_list("ret__rma", "photos"):
        for path in photos or []:
            if _is_kept_file(path):
                found.append((f"photos/{rma}/{Path(path).name}", photos_root() / path))
    return found


def erase(subject: DataSubject) -> dict[str, int]:
    """Blank and redact the customer's data in their returns; their photos are deleted on commit."""
    returns = list(_returns(subject))
    for ret in returns:
        ret.email = ""
        ret.rejection_reason = scrub_text(ret.rejection_reason, subject.needles)
        ret.label_url = scrub_text(ret.label_url, subject.needles)
        ret.decision = scrub_json(ret.decision, subject.needles)
    Return.objects.bulk_update(
        returns, ["email", "rejection_reason", "label_url", "decision"], batch_size=500
    )
    lines = list(ReturnLine.objects.filter(ret__in=returns))
    paths = [p for ln in lines for p in ln.photos or []]
    for ln in lines:
        ln.reason_text, ln.photos = "", []
    ReturnLine.objects.bulk_update(lines, ["reason_text", "photos"], batch_size=500)
    facts = list(ReturnFact.objects.filter(ret__in=returns))
    for fact in facts:
        fact.payload = scrub_json(fact.payload, subject.needles)
        fact.actor = scrub_text(fact.actor, subject.needles)
    ReturnFact.objects.bulk_update(facts, ["payload", "actor"], batch_size=500)
    # A label purchase's error is the label service's answer, which can quote the sender: the customer.
    purchases = list(LabelPurchase.objects.filter(ret__in=returns).exclude(last_error=""))
    for purchase in purchases:
        purchase.last_error = scrub_text(purchase.last_error, subject.needles)
    LabelPurchase.objects.bulk_update(purchases, ["last_error"], batch_size=500)
    transaction.on_commit(lambda: photos_delete(paths))
    return {
        "returns": len(returns),
        "return_lines": len(lines),
        "return_facts": len(facts),
        "photos": len(paths),
    }
