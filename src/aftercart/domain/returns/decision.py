"""What the judgement returns: a :class:`ReturnDecision` of :class:`LineDecision` s, each with its
reasons (:class:`Note`) and the :class:`Offer` s (one per :class:`OfferKind`) it allows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from aftercart.domain.returns.money import ZERO


@dataclass(frozen=True)
class Note:
    """A reason with a stable ``code`` for programs and an English ``text`` for people."""

    code: str
    text: str
    params: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"code": self.code, "text": self.text, "params": dict(self.params)}


class OfferKind(StrEnum):
    """How a line can be resolved, in the order offered: exchange first, then credit, then refund."""

    EXCHANGE = "exchange"
    STORE_CREDIT = "store_credit"
    REFUND = "refund"


@dataclass(frozen=True)
class Offer:
    """One way to resolve a line (or, in :attr:`ReturnDecision.offers`, all lines that allow it).

    ``amount`` is what the shopper gets: money back (refund), credit (store credit) or credit
    towards the replacement (exchange). For an exchange with a chosen replacement, ``charge`` is
    what the shopper pays on top and ``difference_back`` what comes back (as ``difference_to``).
    """

    kind: OfferKind
    value: Decimal
    bonus: Decimal
    fee: Decimal
    restocking_fee: Decimal
    amount: Decimal
    charge: Decimal = ZERO
    difference_back: Decimal = ZERO
    difference_to: str = ""
    #: The replacement's price for the returned quantity (exchange with a chosen replacement).
    replacement_price: Decimal | None = None
    keep_item: bool = False
    deadline: date | None = None
    line_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form (amounts as strings)."""
        return {
            "kind": self.kind.value,
            "line_id": self.line_id or None,
            "value": str(self.value),
            "bonus": str(self.bonus),
            "fee": str(self.fee),
            "restocking_fee": str(self.restocking_fee),
            "amount": str(self.amount),
            "charge": str(self.charge),
            "difference_back": str(self.difference_back),
            "difference_to": self.difference_to or None,
            "replacement_price": None if self.replacement_price is None else str(self.replacement_price),
            "keep_item": self.keep_item,
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }


@dataclass(frozen=True)
class LineDecision:
    """The verdict on one requested line."""

    line_id: str
    quantity: int
    eligible: bool
    reasons: tuple[Note, ...]
    #: What was paid for the returned units (merchandise + tax + shipping shares).
    value: Decimal = ZERO
    #: The part of ``value`` that can come back (shipping only when the policy refunds it).
    refundable: Decimal = ZERO
    offers: tuple[Offer, ...] = ()
    reason: str = ""

    def offer(self, kind: OfferKind) -> Offer | None:
        """The offer of that kind, if made."""
        return next((o for o in self.offers if o.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "line_id": self.line_id,
            "quantity": self.quantity,
            "reason": self.reason,
            "eligible": self.eligible,
            "reasons": [n.to_json() for n in self.reasons],
            "value": str(self.value),
            "refundable": str(self.refundable),
            "offers": [o.to_json() for o in self.offers],
        }


@dataclass(frozen=True)
class ReturnDecision:
    """The verdict on a whole request."""

    policy_version: int
    currency: str
    lines: tuple[LineDecision, ...]
    #: Problems with the request as a whole (e.g. too many units in one return).
    problems: tuple[Note, ...]
    #: Totals if every line that allows it were resolved the same way, in the order offered.
    offers: tuple[Offer, ...]
    needs_review: bool
    review_reasons: tuple[Note, ...]

    @property
    def eligible(self) -> bool:
        """Whether the request can be accepted as asked: every line eligible, no request problem."""
        return not self.problems and all(line.eligible for line in self.lines)

    def line(self, line_id: str) -> LineDecision | None:
        """The decision on ``line_id``."""
        return next((d for d in self.lines if d.line_id == line_id), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "policy_version": self.policy_version,
            "currency": self.currency,
            "eligible": self.eligible,
            "lines": [d.to_json() for d in self.lines],
            "problems": [n.to_json() for n in self.problems],
            "offers": [o.to_json() for o in self.offers],
            "needs_review": self.needs_review,
            "review_reasons": [n.to_json() for n in self.review_reasons],
        }
