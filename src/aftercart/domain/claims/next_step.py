"""The one customer-facing "what happens next" for a claim, of the same shape as the order's and a
return's (:mod:`aftercart.domain.returns.next_step`): a code, message ids with ``{placeholders}``,
raw params and the actions the customer can take.

The tracking page, the claim e-mails, the API and the ops console render the
:class:`ClaimNextStep` this module returns (through :mod:`aftercart.kernel.presenter`) and decide
nothing themselves. Params are raw: ``decide_by`` and ``open_from`` ISO moments, amounts
:class:`Money`, the denial reason and the evidence asked for as the team wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from aftercart.domain.claims.lifecycle import ClaimStatus
from aftercart.domain.claims.policy import ResolutionKind
from aftercart.domain.money import Money
from aftercart.domain.next_step import gettext_noop

__all__ = [
    "CLAIM_ACTION_LABELS",
    "CLAIM_TEXTS",
    "ClaimAction",
    "ClaimActionCode",
    "ClaimNextStep",
    "ClaimStepCode",
    "claim_next_step",
    "claim_too_early_step",
]


class ClaimStepCode(StrEnum):
    """Every next step a customer can be shown about a claim."""

    #: Not a claim: the policy says it can be filed from ``open_from`` (or once delivered).
    TOO_EARLY = "claim_too_early"
    FILED = "claim_filed"
    IN_REVIEW = "claim_in_review"
    NEEDS_EVIDENCE = "claim_needs_evidence"
    APPROVED = "claim_approved"
    DENIED = "claim_denied"
    RESOLVED = "claim_resolved"


class ClaimActionCode(StrEnum):
    """What the customer can do about the step."""

    ADD_EVIDENCE = "add_evidence"
    TRACK_REPLACEMENT = "track_replacement"
    CONTACT_US = "contact_us"


CLAIM_ACTION_LABELS = {
    ClaimActionCode.ADD_EVIDENCE: gettext_noop("Send photos or details"),
    ClaimActionCode.TRACK_REPLACEMENT: gettext_noop("Track your replacement"),
    ClaimActionCode.CONTACT_US: gettext_noop("Contact us about this claim"),
}


@dataclass(frozen=True, slots=True)
class ClaimAction:
    """One thing the customer can do; ``label`` is a message id filled with ``params``."""

    code: ClaimActionCode
    label: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClaimNextStep:
    """What happens next on a claim. ``headline`` is a message id; ``detail`` one or more message
    ids, rendered as one paragraph."""

    code: ClaimStepCode
    headline: str
    detail: tuple[str, ...]
    params: dict[str, str | Money] = field(default_factory=dict)
    actions: tuple[ClaimAction, ...] = ()

    @property
    def action(self) -> str:
        """The main action's code, ``""`` when there is nothing to do."""
        return self.actions[0].code.value if self.actions else ""


CLAIM_TEXTS: dict[ClaimStepCode, tuple[str, str]] = {
    ClaimStepCode.TOO_EARLY: (
        gettext_noop("It's too early to report this"),
        gettext_noop("You can report it from {open_from} if it still hasn't turned up."),
    ),
    ClaimStepCode.FILED: (
        gettext_noop("We have your claim"),
        gettext_noop("Claim {number} is filed. We'll e-mail you our decision by {decide_by}."),
    ),
    ClaimStepCode.IN_REVIEW: (
        gettext_noop("We're reviewing your claim"),
        gettext_noop("Our team is checking claim {number}. We'll e-mail you our decision by {decide_by}."),
    ),
    ClaimStepCode.NEEDS_EVIDENCE: (
        gettext_noop("We need a little more from you"),
        gettext_noop("To decide claim {number}, please send us: {evidence_request}"),
    ),
    ClaimStepCode.APPROVED: (
        gettext_noop("Claim approved"),
        gettext_noop("We'll make it right: you'll hear from us shortly."),
    ),
    ClaimStepCode.DENIED: (
        gettext_noop("Claim not accepted"),
        gettext_noop("We couldn't accept claim {number}."),
    ),
    ClaimStepCode.RESOLVED: (gettext_noop("Claim settled"), gettext_noop("Claim {number} is settled.")),
}

#: Said while the team prepares what was chosen (approved) ...
APPROVED_DETAILS = {
    ResolutionKind.RESHIP: gettext_noop("We're sending you a replacement."),
    ResolutionKind.REFUND: gettext_noop("We're refunding {amount} to your original payment method."),
    ResolutionKind.STORE_CREDIT: gettext_noop("We're issuing {amount} of store credit."),
    ResolutionKind.REPAIR: gettext_noop("We'll repair your item and e-mail you how to send it in."),
    ResolutionKind.REPLACE: gettext_noop("We're sending you a new one."),
}
#: ... and once it is done (resolved).
RESOLVED_DETAILS = {
    ResolutionKind.RESHIP: gettext_noop("Your replacement is on its way."),
    ResolutionKind.REFUND: gettext_noop("We've refunded {amount} to your original payment method."),
    ResolutionKind.STORE_CREDIT: gettext_noop("{amount} of store credit is ready to use."),
    ResolutionKind.REPAIR: gettext_noop("Your item has been repaired."),
    ResolutionKind.REPLACE: gettext_noop("Your new item is on its way."),
}
#: The team's reason, after "We couldn't accept claim ...".
DENIAL_REASON = gettext_noop("Reason: {denial_reason}")
#: A too-early claim that opens once the parcel is delivered, not on a date.
TOO_EARLY_UNDELIVERED = gettext_noop("You can report it once the parcel has been delivered.")


def claim_next_step(
    status: ClaimStatus,
    *,
    number: str,
    decide_by: datetime | None = None,
    resolution: str = "",
    amount: Money | None = None,
    denial_reason: str = "",
    evidence_request: str = "",
    replacement_tracking: str = "",
    replacement_carrier: str = "",
) -> ClaimNextStep:
    """The customer's single next step on a claim that is ``status``.

    ``resolution`` is the chosen way to make it right (said once approved and once resolved, with
    ``amount`` for money); ``decide_by`` when the decision is due (filed, in review);
    ``evidence_request`` what the team asked for; ``replacement_tracking`` the replacement
    parcel's number (a reship or replacement), offered as an action to track it."""
    params: dict[str, str | Money] = {"number": number}
    code = {
        ClaimStatus.FILED: ClaimStepCode.FILED,
        ClaimStatus.IN_REVIEW: ClaimStepCode.IN_REVIEW,
        ClaimStatus.NEEDS_EVIDENCE: ClaimStepCode.NEEDS_EVIDENCE,
        ClaimStatus.APPROVED: ClaimStepCode.APPROVED,
        ClaimStatus.DENIED: ClaimStepCode.DENIED,
        ClaimStatus.RESOLVED: ClaimStepCode.RESOLVED,
    }[ClaimStatus(status)]
    headline, detail = CLAIM_TEXTS[code]
    details: tuple[str, ...] = (detail,)
    actions: tuple[ClaimAction, ...] = ()
    chosen = ResolutionKind(resolution) if resolution in ResolutionKind.__members__.values() else None
    if amount is not None and chosen in (ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT):
        params["amount"] = amount
    if code in (ClaimStepCode.FILED, ClaimStepCode.IN_REVIEW):
        if decide_by is not None:
            params["decide_by"] = decide_by.isoformat()
        else:
            details = (gettext_noop("Claim {number} is filed. We'll e-mail you our decision."),)
    elif code is ClaimStepCode.NEEDS_EVIDENCE:
        params["evidence_request"] = evidence_request.strip() or "-"
        actions = (_action(ClaimActionCode.ADD_EVIDENCE, number),)
    elif code is ClaimStepCode.APPROVED and chosen is not None:
        details = (APPROVED_DETAILS[chosen],)
    elif code is ClaimStepCode.DENIED:
        if denial_reason.strip():
            params["denial_reason"] = denial_reason.strip().rstrip(".") + "."
            details = (detail, DENIAL_REASON)
        actions = (_action(ClaimActionCode.CONTACT_US, number),)
    elif code is ClaimStepCode.RESOLVED and chosen is not None:
        details = (RESOLVED_DETAILS[chosen],)
        params["resolution"] = chosen.value
        if replacement_tracking:
            actions = (
                ClaimAction(
                    ClaimActionCode.TRACK_REPLACEMENT,
                    CLAIM_ACTION_LABELS[ClaimActionCode.TRACK_REPLACEMENT],
                    {
                        "number": number,
                        "tracking_number": replacement_tracking,
                        "carrier": replacement_carrier,
                    },
                ),
            )
    return ClaimNextStep(code, headline, details, params, actions)


def claim_too_early_step(open_from: datetime | None) -> ClaimNextStep:
    """What a customer is told when a claim cannot be filed yet: from when it can
    (``None``: once the parcel is delivered). Not a refusal, and nothing is recorded."""
    headline, detail = CLAIM_TEXTS[ClaimStepCode.TOO_EARLY]
    if open_from is None:
        return ClaimNextStep(ClaimStepCode.TOO_EARLY, headline, (TOO_EARLY_UNDELIVERED,))
    return ClaimNextStep(ClaimStepCode.TOO_EARLY, headline, (detail,), {"open_from": open_from.isoformat()})


def _action(code: ClaimActionCode, number: str) -> ClaimAction:
    return ClaimAction(code, CLAIM_ACTION_LABELS[code], {"number": number})
