"""A return's milestones → outbox rows, inside the transaction that records the return's fact.

One row per (return, milestone, channel) under the dedupe key ``return:<RMA>:<channel>:<milestone>``,
so a retried step plans nothing twice. What reaches which channel:

* the shopper's milestones (:data:`~aftercart.domain.milestones.RETURN_CUSTOMER`) go by e-mail when
  the store's journey carries them on e-mail (it does unless the store turned them off), and only
  as the customer's consent and preferences allow (the same
  :func:`~aftercart.domain.messaging.consent_reason` as the order's messages, checked again when
  sending);
* the store's events (:data:`~aftercart.domain.milestones.RETURN_WEBHOOK`) go to its signed webhook
  when it has one enabled.

They are marked critical: a label or a refund the shopper waits for is never held back by the
frequency cap meant for routine order updates; and the delivery service never consolidates them
with the order's own messages (they render the return, not the order's next step: the return's
renderer, registered with the outbox in :mod:`aftercart.wiring`, is :mod:`aftercart.returns.renderers`).
The rows are written by :func:`~aftercart.notifications.subjects.messages_record_subject`, with the
RMA as their subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from aftercart.domain.messaging import Channel, consent_reason
from aftercart.domain.milestones import RETURN_CUSTOMER, RETURN_WEBHOOK, Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.models import Message
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.selectors import choices_for
from aftercart.notifications.subjects import SubjectMessage, messages_record_subject
from aftercart.orders.selectors import order_state
from aftercart.returns.models import Return

#: How the outbox names what replaced a waiting message, by occasion.
_OCCASION_REASONS = {"reissue": "a new label"}


def dedupe_key(ret: Return, channel: Channel, milestone: Milestone, occasion: str = "") -> str:
    """The outbox key of a return's milestone on a channel: the same moment is told once. An
    ``occasion`` makes a later moment of the same milestone its own (a reissued label is "label
    ready" again, with a label the first message did not have)."""
    key = f"return:{ret.rma}:{channel.value}:{milestone.value}"
    return f"{key}:{occasion}" if occasion else key


def return_messages_plan(
    ret: Return,
    milestones: Sequence[Milestone],
    *,
    now: datetime,
    suppress: dict[Milestone, str] | None = None,
    state: OrderState | None = None,
    occasion: str = "",
) -> list[Message]:
    """Write the outbox rows for ``milestones`` just reached by ``ret`` (call inside the step's
    transaction). ``suppress`` records a milestone as not sent, with the reason (e.g. the request
    e-mail when the label e-mail follows at once). Returns the rows written (new ones only)."""
    if not milestones or not getattr(settings, "AFTERCART_NOTIFICATIONS_ENABLED", True):
        return []
    suppress = suppress or {}
    journey = store_channel_map(ret.store_id)
    planned: list[SubjectMessage] = []
    for milestone in milestones:
        carried = journey.get(milestone, frozenset())
        if milestone in RETURN_CUSTOMER and Channel.EMAIL in carried:
            state = state or order_state(ret.order)
            planned.append(_email(ret, milestone, state, suppress.get(milestone, ""), occasion))
        if milestone in RETURN_WEBHOOK and Channel.WEBHOOK in carried:
            planned.append(_message(ret, Channel.WEBHOOK, milestone, "store", "", occasion))
    return messages_record_subject(
        store_id=ret.store_id,
        order_id=ret.order_id,
        subject=ret.rma,
        messages=planned,
        now=now,
        # A later occasion of a milestone (a reissued label) renders what the earlier message
        # still waiting would: it replaces it, so the shopper is told once.
        replacing=f"superseded by {_OCCASION_REASONS.get(occasion.split('-')[0], occasion)}"
        if occasion
        else "",
    )


def _email(
    ret: Return, milestone: Milestone, state: OrderState, why: str, occasion: str = ""
) -> SubjectMessage:
    address = (state.email or ret.email).strip()
    reason = why
    if not reason and not address:
        reason = "no e-mail address"
    if not reason:
        key = contact_key(Channel.EMAIL, address)
        reason = consent_reason(
            Channel.EMAIL, milestone, state, choices_for(ret.store_id, Channel.EMAIL, key)
        )
    return _message(ret, Channel.EMAIL, milestone, address.lower(), reason, occasion)


def _message(
    ret: Return, channel: Channel, milestone: Milestone, recipient: str, reason: str, occasion: str = ""
) -> SubjectMessage:
    return SubjectMessage(
        channel, milestone, dedupe_key(ret, channel, milestone, occasion), recipient, reason
    )
