"""A claim's lifecycle as a pure state machine (the customer's next step on it is
:mod:`aftercart.domain.claims.next_step`).

::

    filed ─approve─────────────────────────────▶ approved ─resolve─▶ resolved
      │  ╲                                          ▲
      │   ─review─▶ in_review ─approve──────────────┘
      │                │  ▲
      │   request_evidence  add_evidence
      │                ▼  │
      ├─request_evidence─▶ needs_evidence ─approve / deny
      └─deny─▶ denied          (deny from filed, in_review, needs_evidence)

A claim filed too early is not a claim: the policy answers with the date from which it can be
filed (:class:`~aftercart.domain.claims.decision.ClaimDecision`), and nothing is recorded.

Every accepted transition becomes a fact of the claim; an illegal one is refused with a reason
and nothing is written.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "OPEN",
    "TERMINAL",
    "ClaimEvent",
    "ClaimIllegalTransition",
    "ClaimStatus",
    "next_claim_status",
]


class ClaimStatus(StrEnum):
    """Where a claim is."""

    FILED = "filed"
    NEEDS_EVIDENCE = "needs_evidence"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DENIED = "denied"
    RESOLVED = "resolved"


TERMINAL = frozenset({ClaimStatus.DENIED, ClaimStatus.RESOLVED})
#: Waiting for the store's decision (the manual queue and the decision timer).
OPEN = frozenset({ClaimStatus.FILED, ClaimStatus.NEEDS_EVIDENCE, ClaimStatus.IN_REVIEW})


class ClaimEvent(StrEnum):
    """What can happen to a claim."""

    REVIEW = "review"
    REQUEST_EVIDENCE = "request_evidence"
    ADD_EVIDENCE = "add_evidence"
    APPROVE = "approve"
    DENY = "deny"
    RESOLVE = "resolve"


_MOVES: dict[ClaimStatus, dict[ClaimEvent, ClaimStatus]] = {
    ClaimStatus.FILED: {
        ClaimEvent.REVIEW: ClaimStatus.IN_REVIEW,
        ClaimEvent.REQUEST_EVIDENCE: ClaimStatus.NEEDS_EVIDENCE,
        ClaimEvent.ADD_EVIDENCE: ClaimStatus.FILED,
        ClaimEvent.APPROVE: ClaimStatus.APPROVED,
        ClaimEvent.DENY: ClaimStatus.DENIED,
    },
    ClaimStatus.IN_REVIEW: {
        ClaimEvent.REQUEST_EVIDENCE: ClaimStatus.NEEDS_EVIDENCE,
        ClaimEvent.ADD_EVIDENCE: ClaimStatus.IN_REVIEW,
        ClaimEvent.APPROVE: ClaimStatus.APPROVED,
        ClaimEvent.DENY: ClaimStatus.DENIED,
    },
    ClaimStatus.NEEDS_EVIDENCE: {
        ClaimEvent.ADD_EVIDENCE: ClaimStatus.IN_REVIEW,
        ClaimEvent.APPROVE: ClaimStatus.APPROVED,
        ClaimEvent.DENY: ClaimStatus.DENIED,
    },
    ClaimStatus.APPROVED: {ClaimEvent.RESOLVE: ClaimStatus.RESOLVED},
}


class ClaimIllegalTransition(ValueError):
    """A transition the lifecycle does not allow; ``reason`` says why in words."""

    def __init__(self, status: ClaimStatus, event: ClaimEvent, reason: str):
        super().__init__(reason)
        self.status, self.event, self.reason = status, event, reason


def next_claim_status(status: ClaimStatus, event: ClaimEvent, *, reason: str = "") -> ClaimStatus:
    """The status after ``event``, or :class:`ClaimIllegalTransition` naming why it cannot happen.

    A denial needs a ``reason`` (the customer is told it), and so does a request for evidence (the
    customer is told what to send)."""
    if status in TERMINAL:
        raise ClaimIllegalTransition(status, event, f"the claim is already {status.value}")
    target = _MOVES[status].get(event)
    if target is None:
        allowed = ", ".join(e.value for e in _MOVES[status]) or "nothing"
        raise ClaimIllegalTransition(
            status,
            event,
            f"cannot {event.value.replace('_', ' ')} a claim that is {status.value.replace('_', ' ')}; "
            f"allowed now: {allowed}",
        )
    if event == ClaimEvent.DENY and not reason.strip():
        raise ClaimIllegalTransition(status, event, "a denial needs a reason")
    if event == ClaimEvent.REQUEST_EVIDENCE and not reason.strip():
        raise ClaimIllegalTransition(status, event, "say what evidence the customer should send")
    return target
