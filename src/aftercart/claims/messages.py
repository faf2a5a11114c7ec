"""What a claim's e-mail says, in the customer's language: the claim's next step (headline and
detail, as the tracking page, the API and the ops console present it) and per milestone a subject
and a note with the news, links and the items. The e-mail channel renders these in its usual
branded frame (and the store's own template for the milestone, when it has one)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from aftercart.claims import selectors
from aftercart.claims.models import Claim
from aftercart.domain.milestones import Milestone
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.notifications.links import base_url, tracking_url
from aftercart.orders.tokens import make_tracking_token


def claim_url(claim: Claim) -> str:
    """The claim's page for the customer (``web:claim-status``, signed with the order's link),
    else the order's tracking page, where the claim shows."""
    try:
        path = reverse(
            "web:claim-status", kwargs={"token": make_tracking_token(claim.order), "number": claim.number}
        )
    except NoReverseMatch:
        return tracking_url(claim.order)
    return f"{base_url()}{path}"


def claim_email_context(claim: Claim, milestone: Milestone) -> dict[str, Any]:
    """Subject, headline, detail, note, actions and lines of the e-mail for ``milestone`` (call
    with the customer's language active)."""
    step = present(selectors.claim_step(claim), customer_zone(None, claim.store.timezone))
    titles = {
        Milestone.CLAIM_FILED: gettext("We've received your claim"),
        Milestone.CLAIM_EVIDENCE_REQUESTED: gettext("We need more details for your claim"),
        Milestone.CLAIM_APPROVED: gettext("Your claim is approved"),
        Milestone.CLAIM_DENIED: gettext("About your claim"),
        Milestone.CLAIM_RESOLVED: gettext("Your claim is settled"),
    }
    label = (
        gettext("Send photos or details")
        if milestone == Milestone.CLAIM_EVIDENCE_REQUESTED
        else gettext("View your claim")
    )
    return {
        "subject": gettext("%(headline)s · claim %(number)s")
        % {"headline": titles.get(milestone, step.headline), "number": claim.number},
        "headline": step.headline,
        "detail": step.detail,
        "actions": [{"label": label, "url": claim_url(claim)}],
        "lines": [
            {"title": ln.title or ln.sku or ln.line_id, "variant": ln.variant, "quantity": ln.quantity}
            for ln in claim.lines.all()
        ],
        "window_text": "",
        "attachments": [],
        "claim_number": claim.number,
    }
