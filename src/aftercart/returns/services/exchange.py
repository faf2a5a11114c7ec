"""The replacement order of a return's exchanged lines: after inspection, or on the parcel's
first scan when the policy's exchange is instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from aftercart.domain.returns import OfferKind, quantize
from aftercart.domain.returns.notices import EXCHANGE_RELEASED
from aftercart.returns import selectors
from aftercart.returns.models import Return, ReturnLine
from aftercart.returns.services.steps import _fact


def _make_exchange_order(ret: Return, lines: Sequence[ReturnLine], *, now: datetime, instant: bool) -> bool:
    """Record the replacement order of the return's exchanged lines (accepted ones, or all of them
    before inspection for an instant exchange). Whether a replacement now ships: False when there
    is none, it exists already, or no exchanged line names one (the credit waits to be spent)."""
    if ret.exchange_order:
        return False
    exchanged = [ln for ln in lines if ln.resolution == OfferKind.EXCHANGE.value and ln.accepted is not False]
    if not exchanged:
        return False
    ret.exchange_order = {
        "id": f"{ret.rma}-X",
        "created_at": now.isoformat(),
        "instant": instant,
        "currency": ret.currency,
        "credit": str(quantize(sum((ln.exchange_amount for ln in exchanged), Decimal(0)), ret.currency)),
        "charge": str(quantize(sum((ln.charge_amount for ln in exchanged), Decimal(0)), ret.currency)),
        "lines": [
            {
                "replaces_line_id": ln.line_id,
                "product_id": (ln.exchange_for or {}).get("product_id", ln.product_id),
                "variant": (ln.exchange_for or {}).get("variant", ""),
                "sku": (ln.exchange_for or {}).get("sku", ""),
                "quantity": ln.quantity,
                "unit_price": (ln.exchange_for or {}).get("unit_price"),
                "title": (ln.exchange_for or {}).get("title") or ln.title,
            }
            for ln in exchanged
            if ln.exchange_for
        ],
    }
    return bool(ret.exchange_order["lines"])


def _release_instant_exchange(ret: Return, lines: Sequence[ReturnLine], *, now: datetime) -> None:
    """Instant exchange (policy ``exchange.instant``): the replacement goes out on the returned
    parcel's first carrier scan instead of after inspection."""
    if not selectors.policy_of(ret.policy).exchange.instant:
        return
    if _make_exchange_order(ret, lines, now=now, instant=True):
        ret.save(update_fields=["exchange_order"])
        _fact(
            ret,
            EXCHANGE_RELEASED,
            actor="policy",
            now=now,
            key=f"{ret.rma}:exchange_released",
            payload={"exchange_order": ret.exchange_order},
        )
