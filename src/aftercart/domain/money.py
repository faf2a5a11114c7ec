"""Money as a value the touchpoints format: an amount and its ISO currency, never a float and never
a string already formatted in somebody's language."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Money"]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency (``Decimal`` plus ISO code). ``str()`` is the plain form an API or a
    log shows; customers read it through the presenter, in their locale."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}".strip()

    def to_json(self) -> dict[str, str]:
        """The API shape: the amount as a string, so no client parses it as a float."""
        return {"amount": str(self.amount), "currency": self.currency}
