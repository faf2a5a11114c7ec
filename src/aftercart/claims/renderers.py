"""How the outbox renders a claim's messages: the claim's
:class:`~aftercart.notifications.renderers.SubjectRenderer`, registered in :mod:`aftercart.wiring`
for :data:`~aftercart.domain.milestones.CLAIM_MILESTONES`. A claim's message has the claim's number
as its subject; its messages are each their own (never consolidated with the order's)."""

from __future__ import annotations

from typing import Any

from aftercart.claims.messages import claim_email_context
from aftercart.claims.models import Claim
from aftercart.claims.payloads import claim_webhook_data
from aftercart.domain.carriers import carrier_info
from aftercart.domain.claims.notices import claim_stale_reason
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import CLAIM_WEBHOOK, Milestone
from aftercart.notifications.models import Message
from aftercart.notifications.renderers import SubjectRenderer


def claim_email(message: Message) -> dict[str, Any]:
    """A claim e-mail's wording; ``{}`` for a claim that does not exist (a preview of the
    milestone on an order without that claim shows the order's frame)."""
    claim = (
        Claim.objects.select_related("order", "store", "policy")
        .prefetch_related("lines")
        .filter(store_id=message.store_id, number=message.subject)
        .first()
    )
    return {} if claim is None else claim_email_context(claim, Milestone(message.milestone))


def claim_webhook(message: Message) -> tuple[str, dict[str, Any] | None] | None:
    """A claim's event type and payload, read now (``None`` data: the claim is gone)."""
    event_type = CLAIM_WEBHOOK.get(Milestone(message.milestone))
    if not event_type:
        return None
    return event_type, claim_webhook_data(message.subject, message.store_id)


def claim_template_variables(message: Message) -> dict[str, str]:
    """The claim's number, and its replacement parcel's carrier and tracking number."""
    row = (
        Claim.objects.filter(store_id=message.store_id, number=message.subject)
        .values_list("reship_carrier", "reship_tracking_number")
        .first()
    )
    carrier, number = row or ("", "")
    return {
        "claim_number": message.subject,
        "carrier": carrier_info(carrier).name if carrier else "",
        "tracking_number": number,
    }


def claim_stale(message: Message) -> str:
    """Why a claim e-mail would contradict the claim as it is now ("" when still news); webhook
    events are events, each delivered."""
    if message.channel == Channel.WEBHOOK:
        return ""
    status = (
        Claim.objects.filter(store_id=message.store_id, number=message.subject)
        .values_list("status", flat=True)
        .first()
    )
    return claim_stale_reason(Milestone(message.milestone), status) if status else ""


CLAIM_MESSAGES = SubjectRenderer(
    name="claim",
    own=True,
    email_context=claim_email,
    webhook_event=claim_webhook,
    template_variables=claim_template_variables,
    stale_reason=claim_stale,
)
