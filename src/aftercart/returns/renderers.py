"""How the outbox renders a return's messages: the return's
:class:`~aftercart.notifications.renderers.SubjectRenderer`, registered in :mod:`aftercart.wiring`
for :data:`~aftercart.domain.milestones.RETURN_MILESTONES`.

A return's message has the return's RMA as its subject. Its content is the returns app's own
(:mod:`aftercart.returns.messages`, :mod:`aftercart.returns.payloads`): this only finds the return
and calls it. A return's messages are each their own (``own``): never consolidated with the
order's, claimed each alone.
"""

from __future__ import annotations

from typing import Any

from aftercart.domain.carriers import carrier_info
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import RETURN_CUSTOMER, RETURN_WEBHOOK, Milestone
from aftercart.domain.returns.notices import return_stale_reason
from aftercart.notifications.models import Message
from aftercart.notifications.renderers import SubjectRenderer
from aftercart.returns.messages import return_email_context
from aftercart.returns.models import Return
from aftercart.returns.payloads import return_webhook_data


def return_email(message: Message) -> dict[str, Any]:
    """A return e-mail's wording, label and QR code; ``{}`` for a milestone not e-mailed to the
    shopper, or a return that does not exist (a preview of the milestone on an order without that
    return shows the order's frame)."""
    if message.milestone not in RETURN_CUSTOMER:
        return {}
    ret = (
        Return.objects.select_related("order", "store", "policy")
        .filter(store_id=message.store_id, rma=message.subject)
        .first()
    )
    return {} if ret is None else return_email_context(ret, Milestone(message.milestone))


def return_webhook(message: Message) -> tuple[str, dict[str, Any] | None] | None:
    """A return's event type and payload, read now (its latest state; ``None`` data: the return is
    gone); ``None`` for a milestone the store's webhook is not told as a return event."""
    event_type = RETURN_WEBHOOK.get(Milestone(message.milestone))
    if not event_type:
        return None
    return event_type, return_webhook_data(message.subject, message.store_id)


def return_template_variables(message: Message) -> dict[str, str]:
    """The return's number, and its own parcel's carrier and tracking number."""
    parcel = (
        Return.objects.filter(store_id=message.store_id, rma=message.subject)
        .values_list("carrier", "tracking_number")
        .first()
    )
    carrier, number = parcel or ("", "")
    return {
        "return_number": message.subject,
        "carrier": carrier_info(carrier).name if carrier else "",
        "tracking_number": number,
    }


def return_stale(message: Message) -> str:
    """Why a return e-mail would contradict the return as it is now ("" when still news, or the
    return is gone: the e-mail's renderer says that). Only the shopper's messages: the store's
    webhook events are events, each delivered."""
    if message.channel == Channel.WEBHOOK or message.milestone not in RETURN_CUSTOMER:
        return ""
    status = (
        Return.objects.filter(store_id=message.store_id, rma=message.subject)
        .values_list("status", flat=True)
        .first()
    )
    return return_stale_reason(Milestone(message.milestone), status) if status else ""


RETURN_MESSAGES = SubjectRenderer(
    name="return",
    own=True,
    email_context=return_email,
    webhook_event=return_webhook,
    template_variables=return_template_variables,
    stale_reason=return_stale,
)
