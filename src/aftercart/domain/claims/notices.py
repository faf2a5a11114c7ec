"""Which claim milestones a step of a claim reaches (the customer's e-mails and the store's
webhook events), and when a waiting e-mail is no longer news. Pure: the claims app records the
step and writes what this says to the outbox in the same transaction."""

from __future__ import annotations

from aftercart.domain.claims.lifecycle import ClaimStatus
from aftercart.domain.milestones import Milestone

__all__ = ["FILED", "claim_stale_reason", "milestones_for_claim_step"]

#: The step name of filing (not a lifecycle event).
FILED = "filed"


def milestones_for_claim_step(step: str, status: ClaimStatus | str) -> list[Milestone]:
    """The milestones reached by ``step`` (a :class:`~aftercart.domain.claims.lifecycle.ClaimEvent`
    value or :data:`FILED`) leaving the claim ``status``. Filing approved at once tells both: the
    claim was filed, and approved. Evidence coming in, a review starting, a carrier claim moving
    tell nobody (the customer did it, or it is the store's business)."""
    status = ClaimStatus(status)
    if step == FILED:
        found = [Milestone.CLAIM_FILED]
        if status is ClaimStatus.APPROVED:
            found.append(Milestone.CLAIM_APPROVED)
        return found
    return {
        "request_evidence": [Milestone.CLAIM_EVIDENCE_REQUESTED],
        "approve": [Milestone.CLAIM_APPROVED],
        "deny": [Milestone.CLAIM_DENIED],
        "resolve": [Milestone.CLAIM_RESOLVED],
    }.get(step, [])


S = ClaimStatus
#: The statuses in which each claim e-mail is still news: one waiting in the outbox renders the
#: claim's *current* next step, so "we need a photo" must not go out once the claim was decided.
_NEWS_WHILE: dict[Milestone, frozenset[ClaimStatus]] = {
    Milestone.CLAIM_FILED: frozenset({S.FILED, S.IN_REVIEW, S.NEEDS_EVIDENCE, S.APPROVED}),
    Milestone.CLAIM_EVIDENCE_REQUESTED: frozenset({S.NEEDS_EVIDENCE}),
    Milestone.CLAIM_APPROVED: frozenset({S.APPROVED, S.RESOLVED}),
    Milestone.CLAIM_DENIED: frozenset({S.DENIED}),
    Milestone.CLAIM_RESOLVED: frozenset({S.RESOLVED}),
}


def claim_stale_reason(milestone: Milestone, status: ClaimStatus | str) -> str:
    """Why a claim e-mail about ``milestone`` would contradict the claim, now ``status`` ("" when
    it is still news)."""
    news = _NEWS_WHILE.get(milestone)
    if news is None or ClaimStatus(status) in news:
        return ""
    return f"superseded by claim {ClaimStatus(status).value.replace('_', ' ')}"
