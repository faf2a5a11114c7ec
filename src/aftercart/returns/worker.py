"""The label loop: buy the prepaid return labels approval asked for (EasyPost), retrying with
backoff, outside any transaction (see :mod:`aftercart.returns.services.purchase`)."""

from __future__ import annotations

from aftercart.kernel.loops import Loop
from aftercart.returns.services.purchase import BATCH, label_purchases_due


def label_purchase_pass(*, limit: int = BATCH) -> bool:
    """Buy one batch of due labels; whether more may be waiting (a full batch)."""
    return label_purchases_due(limit=limit).claimed >= limit


def label_purchase_loop(*, interval: float = 5.0) -> Loop:
    """Label purchases as a loop (:mod:`aftercart.kernel.loops`): ``interval`` seconds between
    polls when nothing is due (a label is due at approval, or when its retry's time comes)."""
    return Loop("labels", label_purchase_pass, interval)
