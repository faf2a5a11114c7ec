"""A claim's milestones → outbox rows, inside the transaction that records the claim's fact.

One row per (claim, milestone, channel) under the dedupe key ``claim:<number>:<channel>:<milestone>``
(a second request for evidence is its own occasion), so a retried step plans nothing twice:

* the customer's e-mail, when the store's journey carries the milestone on e-mail (it does unless
  the store turned it off) and as the customer's consent allows (checked again when sending);
* the store's signed webhook (``claim.filed``, ``claim.evidence_requested``, ``claim.approved``,
  ``claim.denied``, ``claim.resolved``) when it has one enabled.

They are critical (never held back by the frequency cap) and each their own: the claim's renderer
(:mod:`aftercart.claims.renderers`, registered in :mod:`aftercart.wiring`) renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from aftercart.claims.models import Claim
from aftercart.domain.messaging import Channel, consent_reason
from aftercart.domain.milestones import CLAIM_MILESTONES, Milestone
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.models import Message
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.selectors import choices_for
from aftercart.notifications.subjects import SubjectMessage, messages_record_subject
from aftercart.orders.selectors import order_state


def dedupe_key(claim: Claim, channel: Channel, milestone: Milestone, occasion: str = "") -> str:
    """The outbox key of a claim's milestone on a channel: the same moment is told once."""
    key = f"claim:{claim.number}:{channel.value}:{milestone.value}"
    return f"{key}:{occasion}" if occasion else key


def claim_messages_plan(
    claim: Claim,
    milestones: Sequence[Milestone],
    *,
    now: datetime,
    occasion: str = "",
    suppress: dict[Milestone, str] | None = None,
) -> list[Message]:
    """Write the outbox rows for ``milestones`` just reached by ``claim`` (inside the step's
    transaction); the rows written (new ones only). ``suppress`` records a milestone's e-mail as
    not sent, with the reason (the "filed" e-mail of a claim approved at once: the "approved"
    e-mail says both)."""
    wanted = [m for m in milestones if m in CLAIM_MILESTONES]
    if not wanted or not getattr(settings, "AFTERCART_NOTIFICATIONS_ENABLED", True):
        return []
    journey = store_channel_map(claim.store_id)
    planned: list[SubjectMessage] = []
    state = None
    for milestone in wanted:
        carried = journey.get(milestone, frozenset())
        if Channel.EMAIL in carried:
            state = state or order_state(claim.order)
            address = (state.email or claim.email).strip()
            reason = (suppress or {}).get(milestone, "") or ("" if address else "no e-mail address")
            if not reason:
                key = contact_key(Channel.EMAIL, address)
                reason = consent_reason(
                    Channel.EMAIL, milestone, state, choices_for(claim.store_id, Channel.EMAIL, key)
                )
            planned.append(
                SubjectMessage(
                    Channel.EMAIL,
                    milestone,
                    dedupe_key(claim, Channel.EMAIL, milestone, occasion),
                    address.lower(),
                    reason,
                )
            )
        if Channel.WEBHOOK in carried:
            planned.append(
                SubjectMessage(
                    Channel.WEBHOOK,
                    milestone,
                    dedupe_key(claim, Channel.WEBHOOK, milestone, occasion),
                    "store",
                )
            )
    return messages_record_subject(
        store_id=claim.store_id,
        order_id=claim.order_id,
        subject=claim.number,
        messages=planned,
        now=now,
        replacing="superseded by a newer request" if occasion else "",
    )
