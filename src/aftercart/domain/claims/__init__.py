"""Claims and warranties: the store's versioned claims policy, the judgement of a claim from the
ledger's evidence, the claim's lifecycle, its next step and the metrics over claims. Pure: no
Django, no I/O.

Modules: :mod:`~.policy` (the store's rules), :mod:`~.evidence` (what a claim is judged on),
:mod:`~.judge` (:func:`judge_claim`, :func:`claim_window`), :mod:`~.decision` (the verdict),
:mod:`~.lifecycle`, :mod:`~.next_step`, :mod:`~.notices` (milestones of a step) and
:mod:`~.metrics`. The names below are the package's public interface."""

from aftercart.domain.claims.decision import (
    ClaimDecision,
    ClaimNote,
    DecidedLine,
    Verdict,
    Window,
    WindowState,
)
from aftercart.domain.claims.evidence import (
    ClaimableLine,
    ClaimHistory,
    ClaimRequest,
    OrderForClaim,
    ParcelEvidence,
    RequestedUnits,
    WarrantyTerms,
)
from aftercart.domain.claims.judge import available_units, claim_window, judge_claim, lost_opens_at
from aftercart.domain.claims.lifecycle import (
    OPEN,
    TERMINAL,
    ClaimEvent,
    ClaimIllegalTransition,
    ClaimStatus,
    next_claim_status,
)
from aftercart.domain.claims.policy import (
    MONEY_RESOLUTIONS,
    TRANSIT_KINDS,
    ClaimKind,
    ClaimPolicy,
    PolicyError,
    ResolutionKind,
)

__all__ = [
    "MONEY_RESOLUTIONS",
    "OPEN",
    "TERMINAL",
    "TRANSIT_KINDS",
    "ClaimDecision",
    "ClaimEvent",
    "ClaimHistory",
    "ClaimIllegalTransition",
    "ClaimKind",
    "ClaimNote",
    "ClaimPolicy",
    "ClaimRequest",
    "ClaimStatus",
    "ClaimableLine",
    "DecidedLine",
    "OrderForClaim",
    "ParcelEvidence",
    "PolicyError",
    "RequestedUnits",
    "ResolutionKind",
    "Verdict",
    "WarrantyTerms",
    "Window",
    "WindowState",
    "available_units",
    "claim_window",
    "judge_claim",
    "lost_opens_at",
    "next_claim_status",
]
