"""Return metrics for a store and period: return rate, exchange rate, refund share, retained
revenue and the top reasons (``GET /api/v1/returns/metrics``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from aftercart.domain.returns import quantize
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.orders.models import Order
from aftercart.returns.models import Return, ReturnLine
from aftercart.stores.models import Store


def _share(part: Decimal, whole: Decimal) -> str | None:
    return None if not whole else str((part / whole).quantize(Decimal("0.0001")))


def returns_metrics(
    store: Store, *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Return rate, exchange rate, refund share, retained revenue and top reasons.

    Orders are counted by when they were placed, returns by when they were requested; cancelled
    returns are left out, rejected ones count as returns but not as returned value."""
    orders = Order.objects.filter(store=store)
    returns = Return.objects.filter(store=store).exclude(status=ReturnStatus.CANCELLED.value)
    if since:
        orders, returns = orders.filter(placed_at__gte=since), returns.filter(created_at__gte=since)
    if until:
        orders, returns = orders.filter(placed_at__lt=until), returns.filter(created_at__lt=until)
    # A store sells in one currency as a rule; amounts are given in its minor unit.
    currency = returns.values_list("currency", flat=True).first() or ""
    order_count = orders.count()
    returned_orders = orders.filter(returns__in=returns).distinct().count()
    lines = ReturnLine.objects.filter(ret__in=returns.exclude(status=ReturnStatus.REJECTED.value)).exclude(
        accepted=False
    )
    by_resolution = {
        row["resolution"]: (Decimal(row["value"] or 0), int(row["units"] or 0))
        for row in lines.values("resolution").annotate(value=Sum("value"), units=Sum("quantity"))
    }
    total_value = sum((v for v, _ in by_resolution.values()), Decimal(0))
    exchange_value = by_resolution.get("exchange", (Decimal(0), 0))[0]
    credit_value = by_resolution.get("store_credit", (Decimal(0), 0))[0]
    refund_value = by_resolution.get("refund", (Decimal(0), 0))[0]
    top = (
        ReturnLine.objects.filter(ret__in=returns)
        .values("product_id", "variant", "title", "reason")
        .annotate(units=Sum("quantity"), returns=Count("ret", distinct=True))
        .order_by("-units", "product_id", "variant", "reason")[:20]
    )
    return {
        "currency": currency,
        "orders": order_count,
        "returns": returns.count(),
        "orders_with_returns": returned_orders,
        "return_rate": _share(Decimal(returned_orders), Decimal(order_count)),
        "returned_value": str(quantize(total_value, currency)),
        "exchange_rate": _share(exchange_value, total_value),
        "store_credit_share": _share(credit_value, total_value),
        "refund_share": _share(refund_value, total_value),
        "retained_revenue": str(quantize(exchange_value + credit_value, currency)),
        "retained_share": _share(exchange_value + credit_value, total_value),
        "in_review": returns.filter(Q(needs_review=True) & Q(status=ReturnStatus.REQUESTED.value)).count(),
        "top_reasons": [
            {
                "product_id": row["product_id"],
                "variant": row["variant"],
                "title": row["title"],
                "reason": row["reason"],
                "units": int(row["units"] or 0),
                "returns": row["returns"],
            }
            for row in top
        ],
    }
