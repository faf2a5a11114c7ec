"""The policy's verdict on a claim (:class:`ClaimDecision`) and on when a kind of claim can be
filed (:class:`Window`), as data every touchpoint reads the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = ["ClaimDecision", "ClaimNote", "DecidedLine", "Verdict", "Window", "WindowState"]


class Verdict(StrEnum):
    """What becomes of a request."""

    #: It may be filed: recorded, approved at once or queued for a person.
    FILE = "file"
    #: Not yet: ``open_from`` says from when (``None``: once the parcel is delivered).
    TOO_EARLY = "too_early"
    #: It cannot be a claim as asked (the notes say why).
    REFUSED = "refused"


@dataclass(frozen=True)
class ClaimNote:
    """One reason, as a stable ``code``, words for the team and the field it is about."""

    code: str
    text: str
    field: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text, **({"field": self.field} if self.field else {})}


class WindowState(StrEnum):
    """Whether a kind of claim can be filed now."""

    OPEN = "open"
    TOO_EARLY = "too_early"
    CLOSED = "closed"
    #: It does not apply (a delivered parcel is not lost; nothing arrived to be damaged).
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Window:
    """When a kind of claim can be filed about one parcel or line: ``opens_at`` (``None`` when
    open already or not known yet) and ``closes_at`` (``None``: no end)."""

    state: WindowState
    code: str
    text: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "code": self.code,
            "text": self.text,
            "opens_at": None if self.opens_at is None else self.opens_at.isoformat(),
            "closes_at": None if self.closes_at is None else self.closes_at.isoformat(),
        }


@dataclass(frozen=True)
class DecidedLine:
    """Units of a line in the claim and what was paid for exactly those units."""

    line_id: str
    quantity: int
    value: Decimal


@dataclass(frozen=True)
class ClaimDecision:
    """The judgement of one request under one policy version."""

    verdict: Verdict
    kind: str
    policy_version: int
    currency: str
    lines: tuple[DecidedLine, ...] = ()
    parcel_key: str = ""
    #: What was paid for the claimed units: the most a refund or store credit gives back.
    value: Decimal = Decimal(0)
    #: What the customer may choose among, in the policy's order.
    resolutions: tuple[str, ...] = ()
    #: Approved at once (under the store's limits, no flag); otherwise a person decides.
    auto_approve: bool = False
    #: Why a person decides (fraud guard flags, limits); never a refusal.
    review_reasons: tuple[ClaimNote, ...] = ()
    #: Why it cannot be filed (REFUSED) or not yet (TOO_EARLY).
    notes: tuple[ClaimNote, ...] = ()
    #: TOO_EARLY: from when it can be filed (``None``: once the parcel is delivered).
    open_from: datetime | None = None
    #: Until when it could be filed (the window's end; ``None``: no end).
    closes_at: datetime | None = None

    @property
    def eligible(self) -> bool:
        """Whether it may be filed."""
        return self.verdict is Verdict.FILE

    @property
    def needs_review(self) -> bool:
        """Whether a person decides it."""
        return self.eligible and not self.auto_approve

    def to_json(self) -> dict[str, Any]:
        """The decision as stored with the claim and shown by the API."""
        return {
            "verdict": self.verdict.value,
            "kind": self.kind,
            "policy_version": self.policy_version,
            "currency": self.currency,
            "lines": [
                {"line_id": ln.line_id, "quantity": ln.quantity, "value": str(ln.value)} for ln in self.lines
            ],
            "parcel_key": self.parcel_key,
            "value": str(self.value),
            "resolutions": list(self.resolutions),
            "auto_approve": self.auto_approve,
            "review_reasons": [n.to_json() for n in self.review_reasons],
            "notes": [n.to_json() for n in self.notes],
            "open_from": None if self.open_from is None else self.open_from.isoformat(),
            "closes_at": None if self.closes_at is None else self.closes_at.isoformat(),
        }
