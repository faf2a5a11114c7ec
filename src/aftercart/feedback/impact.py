"""The proof of impact: an experiment's treated orders against its held-out orders, metric by
metric, with the difference and its confidence interval
(:func:`~aftercart.domain.feedback.holdout.difference`).

An experiment is a journey (``survey``, ``review_request``, ``onboarding``, ``replenishment``) or a
placement (``placement:<id>``). Its units are the orders assigned to it in the period (one group per
customer, recorded on the order: :mod:`aftercart.feedback.holdouts`). Per order:

* **WISMO contacts per 100 orders** — the customer's "where is my order?" contacts about it, × 100;
* **CSAT** — the order's survey score on the CSAT scale (orders answered only);
* **repeat purchase** — 1 when the customer ordered again after it (by ``end``, or now), else 0;
* **retained revenue** — the total of those later orders.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.domain.contacts import email_key
from aftercart.domain.feedback.holdout import Estimate, difference
from aftercart.domain.support.intents import WISMO_INTENTS
from aftercart.feedback.models import Assignment, Survey
from aftercart.orders.models import Order
from aftercart.support.models import Conversation

METRICS = ("wismo_per_100_orders", "csat", "repeat_purchase_rate", "retained_revenue")


def _wismo_contacts(order_ids: Sequence[int]) -> dict[int, int]:
    """ "Where is my order?" contacts per order: the support conversations matched to it whose
    intent is a WISMO one (:data:`~aftercart.domain.support.intents.WISMO_INTENTS`, the same
    definition as the support console's figure), one query."""
    counts: dict[int, int] = defaultdict(int)
    for order_id in Conversation.objects.filter(order_id__in=order_ids, intent__in=WISMO_INTENTS).values_list(
        "order_id", flat=True
    ):
        if order_id is not None:
            counts[order_id] += 1
    return dict(counts)


def _later_orders(
    store_id: int, assigned: list[tuple[int, str, datetime | None]], until: datetime
) -> dict[int, list[Decimal]]:
    """For each assigned order, the totals of the same customer's orders placed after it and
    before ``until`` (one query)."""
    emails = {email_key(e) for _, e, _ in assigned} - {""}
    if not emails:
        return {}
    by_email: dict[str, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for email, placed, total in Order.objects.filter(
        store_id=store_id, placed_at__isnull=False, placed_at__lt=until, email__in=_variants(emails)
    ).values_list("email", "placed_at", "total"):
        if placed is not None:
            by_email[email_key(email)].append((placed, total or Decimal(0)))
    out: dict[int, list[Decimal]] = {}
    for order_id, email, placed in assigned:
        if placed is None:
            continue
        out[order_id] = [t for at, t in by_email.get(email_key(email), []) if at > placed]
    return out


def _variants(emails: set[str]) -> list[str]:
    # Addresses are stored as the source sent them; the common case is already lower-case.
    return sorted(emails | {e.capitalize() for e in emails})


def _estimate(values: dict[bool, list[float]], confidence: float) -> dict[str, Any]:
    est: Estimate = difference(values[False], values[True], confidence=confidence)
    treated = values[False]
    held = values[True]
    return {
        "treated_mean": sum(treated) / len(treated) if treated else None,
        "held_out_mean": sum(held) / len(held) if held else None,
        "difference": est.difference if treated and held else None,
        # A group of one has no spread, so no finite bound: null, never JSON's invalid Infinity.
        "low": est.low if treated and held and math.isfinite(est.low) else None,
        "high": est.high if treated and held and math.isfinite(est.high) else None,
        "n_treated": est.n_treated,
        "n_held_out": est.n_held_out,
    }


def impact_report(
    *,
    store_id: int,
    experiment: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The experiment's groups and, per metric, treated mean, held-out mean, their difference and
    its interval (``None`` where a group has no value)."""
    qs = Assignment.objects.filter(store_id=store_id, experiment=experiment)
    if start is not None:
        qs = qs.filter(assigned_at__gte=start)
    if end is not None:
        qs = qs.filter(assigned_at__lt=end)
    rows = list(qs.values_list("order_id", "held_out", "order__email", "order__placed_at"))
    group = {order_id: held for order_id, held, _, _ in rows}
    later = _later_orders(store_id, [(o, e, p) for o, _, e, p in rows], end or now)
    csat = dict(
        Survey.objects.filter(order_id__in=list(group), scale="csat", score__isnull=False).values_list(
            "order_id", "score"
        )
    )
    wismo = _wismo_contacts(list(group))
    values: dict[str, dict[bool, list[float]]] = {m: {False: [], True: []} for m in METRICS}
    for order_id, held in group.items():
        values["wismo_per_100_orders"][held].append(100.0 * wismo.get(order_id, 0))
        if order_id in csat:
            values["csat"][held].append(float(csat[order_id] or 0))
        if order_id in later:
            values["repeat_purchase_rate"][held].append(1.0 if later[order_id] else 0.0)
            values["retained_revenue"][held].append(float(sum(later[order_id], Decimal(0))))
    metrics = {m: _estimate(values[m], confidence) for m in METRICS}
    return {
        "experiment": experiment,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "confidence": confidence,
        "orders": {
            "treated": sum(1 for h in group.values() if not h),
            "held_out": sum(1 for h in group.values() if h),
        },
        "metrics": metrics,
    }


def experiments(store_id: int) -> list[str]:
    """The experiments a store has assignments in."""
    return sorted(set(Assignment.objects.filter(store_id=store_id).values_list("experiment", flat=True)))
