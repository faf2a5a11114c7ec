"""What the store's webhook receives about a return (``return.created``, ``return.approved``,
``return.received``, ``return.resolved``): everything a store platform needs to act on it — the
lines with the order's line ids, quantities and amounts, the label, the exchange order, and a
refund in Shopify's shape (``refund_line_items`` + ``transactions``) ready to post to its Refund
API. Documented in docs/returns.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aftercart.domain.returns import quantize
from aftercart.returns.models import Return, ReturnLine


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as the API and webhooks write it: a string in the currency's minor unit."""
    return str(quantize(amount, currency))


_m = money_text


def amounts_json(ret: Return) -> dict[str, str]:
    """What the return settles, as the API and the webhooks both show it."""
    cur = ret.currency
    return {
        "returned_value": _m(ret.returned_value, cur),
        "refund": _m(ret.refund_amount, cur),
        "store_credit": _m(ret.credit_amount, cur),
        "exchange": _m(ret.exchange_amount, cur),
        "charge": _m(ret.charge_amount, cur),
        "fees": _m(ret.fee_amount, cur),
        "bonus": _m(ret.bonus_amount, cur),
    }


def line_json(ln: ReturnLine, currency: str) -> dict[str, Any]:
    """A returned line, as the API and the webhooks both show it (the API adds its own fields)."""
    return {
        "line_id": ln.line_id,
        "sku": ln.sku,
        "product_id": ln.product_id,
        "variant": ln.variant,
        "title": ln.title,
        "quantity": ln.quantity,
        "reason": ln.reason,
        "reason_text": ln.reason_text,
        "condition": ln.condition,
        "resolution": ln.resolution,
        "accepted": ln.accepted,
        "exchange_for": ln.exchange_for,
        "value": _m(ln.value, currency),
        "refund": _m(ln.refund_amount, currency),
        "store_credit": _m(ln.credit_amount, currency),
        "exchange": _m(ln.exchange_amount, currency),
        "charge": _m(ln.charge_amount, currency),
    }


def shopify_refund(ret: Return) -> dict[str, Any]:
    """The refund as Shopify's Refund API takes it: every accepted line that comes back is
    restocked (``return``; kept items ``no_restock``), and one ``refund`` transaction for the
    money refunded to the original payment (none when nothing is refunded in money). ``gateway``
    is ``"original"``: post it with the order's original transaction as ``parent_id``."""
    cur = ret.currency
    lines = [ln for ln in ret.lines.all() if ln.accepted is not False]
    return {
        "currency": cur,
        "note": f"Return {ret.rma}",
        "refund_line_items": [
            {
                "line_item_id": ln.line_id,
                "quantity": ln.quantity,
                "restock_type": "no_restock" if ln.keep_item else "return",
            }
            for ln in lines
        ],
        "transactions": [{"amount": _m(ret.refund_amount, cur), "kind": "refund", "gateway": "original"}]
        if ret.refund_amount > 0
        else [],
    }


def return_payload(ret: Return) -> dict[str, Any]:
    """The return as webhook ``data``."""
    cur = ret.currency
    return {
        "rma": ret.rma,
        "status": ret.status,
        "method": ret.method,
        "order": {"id": ret.order.external_id, "number": ret.order.number},
        "email": ret.email,
        "currency": cur,
        "created_at": ret.created_at.isoformat(),
        "keep_items": ret.keep_items,
        "resolution": ret.resolution,
        "rejection_reason": ret.rejection_reason,
        "lines": [line_json(ln, cur) for ln in ret.lines.all()],
        "amounts": amounts_json(ret),
        "label": None
        if ret.label_issued_at is None
        else {
            "provider": ret.label_provider,
            "carrier": ret.carrier,
            "tracking_number": ret.tracking_number,
            "dropoff": bool(ret.dropoff_code),
        },
        "store_credit": {"amount": _m(ret.credit_amount, cur), "currency": cur}
        if ret.credit_amount > 0
        else None,
        "exchange_order": ret.exchange_order,
        "refund": shopify_refund(ret),
    }


def return_webhook_data(rma: str, store_id: int) -> dict[str, Any] | None:
    """The payload of a return's event, read fresh when it is sent (None: the return is gone)."""
    ret = (
        Return.objects.filter(store_id=store_id, rma=rma)
        .select_related("order")
        .prefetch_related("lines")
        .first()
    )
    return None if ret is None else {"return": return_payload(ret)}
