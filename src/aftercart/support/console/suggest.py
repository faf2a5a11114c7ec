"""The reply the console suggests: the automated answer's own words (:func:`aftercart.support.
replies.compose`, kind ``next_step``) — the order's next step as the tracking page words it and its
signed tracking link, in the customer's language — so an agent's answer and the automation's never
tell two stories. The agent edits it before sending if they like.
"""

from __future__ import annotations

from dataclasses import dataclass

from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.domain.support.triage import Reply
from aftercart.orders.models import Order
from aftercart.support.replies import compose, reply_language

__all__ = ["Suggestion", "reply_language", "suggest_reply"]


@dataclass(frozen=True)
class Suggestion:
    """A drafted reply, its language and the link it carries."""

    text: str
    language: str
    link: str


def suggest_reply(
    *, order: Order, state: OrderState, step: NextStep, language: str, customer_name: str = ""
) -> Suggestion:
    """A reply about ``order`` in ``language``: greeting, the next step, the tracking link, sign-off."""
    name = (customer_name or state.customer_name or "").strip().split(" ")[0]
    composed = compose(
        Reply.NEXT_STEP, store=order.store, language=language, name=name, order=order, state=state, step=step
    )
    return Suggestion(composed.text, composed.language, composed.tracking_url)
