"""Settling the shopper's choices: the totals once every eligible line's resolution is chosen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aftercart.domain.returns.decision import OfferKind, ReturnDecision
from aftercart.domain.returns.money import ZERO


class SettleError(ValueError):
    """A choice that the decision did not offer; ``line_id`` names the line."""

    def __init__(self, line_id: str, message: str):
        super().__init__(f"{line_id}: {message}")
        self.line_id = line_id


@dataclass(frozen=True)
class Settlement:
    """What the shopper gets back overall once every line's resolution is chosen."""

    refund: Decimal
    store_credit: Decimal
    exchange_credit: Decimal
    charge: Decimal
    fees: Decimal
    bonus: Decimal
    returned_value: Decimal
    keep_items: bool
    choices: Mapping[str, OfferKind]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "refund": str(self.refund),
            "store_credit": str(self.store_credit),
            "exchange_credit": str(self.exchange_credit),
            "charge": str(self.charge),
            "fees": str(self.fees),
            "bonus": str(self.bonus),
            "returned_value": str(self.returned_value),
            "keep_items": self.keep_items,
            "choices": {k: v.value for k, v in self.choices.items()},
        }


def settle(
    decision: ReturnDecision, choices: Mapping[str, OfferKind], *, accepted: Sequence[str] | None = None
) -> Settlement:
    """Totals for the chosen resolution of every eligible line (``accepted`` limits them to the
    lines inspection accepted). A cheaper replacement's difference goes to refund or credit as the
    offer says; a dearer one is charged."""
    refund = credit = exchange = charge = fees = bonus = returned = ZERO
    keep = True
    for line in decision.lines:
        if not line.eligible or (accepted is not None and line.line_id not in accepted):
            continue
        kind = choices.get(line.line_id)
        if kind is None:
            raise SettleError(line.line_id, "no resolution chosen")
        offer = line.offer(kind)
        if offer is None:
            raise SettleError(line.line_id, f"{kind.value} is not offered for this line")
        returned += line.value
        fees += offer.fee + offer.restocking_fee
        bonus += offer.bonus
        keep = keep and offer.keep_item
        if kind == OfferKind.REFUND:
            refund += offer.amount
        elif kind == OfferKind.STORE_CREDIT:
            credit += offer.amount
        else:
            # Credit spent on the replacement (all of it when no replacement is named yet).
            spent = (
                offer.amount
                if offer.replacement_price is None
                else min(offer.replacement_price, offer.amount)
            )
            exchange += spent
            charge += offer.charge
            if offer.difference_to == "store_credit":
                credit += offer.difference_back
            else:
                refund += offer.difference_back
    return Settlement(
        refund=refund,
        store_credit=credit,
        exchange_credit=exchange,
        charge=charge,
        fees=fees,
        bonus=bonus,
        returned_value=returned,
        keep_items=keep,
        choices=dict(choices),
    )
