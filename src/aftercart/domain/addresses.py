"""How the parts of an address compare: the one rule the order cache applies when it stores a
postal code and the tracking lookup applies to what a shopper types."""

from __future__ import annotations

__all__ = ["postal_code_key"]

#: Longest postal code kept (the ``Order.postal_code`` column).
POSTAL_CODE_LENGTH = 32


def postal_code_key(value: str | None) -> str:
    """A postal code as it compares: without spaces, dashes or case ("SW1A 1AA" = "sw1a-1aa" =
    "SW1A1AA"), at most :data:`POSTAL_CODE_LENGTH` characters; ``""`` for nothing."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()[:POSTAL_CODE_LENGTH]
