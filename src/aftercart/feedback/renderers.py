"""How the outbox renders the feedback app's messages: one
:class:`~aftercart.notifications.renderers.SubjectRenderer` for
:data:`~aftercart.domain.milestones.FEEDBACK_MILESTONES`, registered in :mod:`aftercart.wiring`,
and the placements added to the order's delivered e-mail.

A message's subject is the survey's or the reminder's reference. Just before sending, the outbox
asks :func:`feedback_stale` — the gate once more, with what is open on the order *now* — so a
survey planned on Monday is withdrawn if the parcel was reported damaged on Tuesday.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation

from aftercart.domain.feedback.gates import Purpose, gate
from aftercart.domain.feedback.survey import RANGE, Scale
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.feedback.config import feedback_config
from aftercart.feedback.messages import placements_for, reminder_email_context, survey_email_context
from aftercart.feedback.models import Placement, Reminder, Survey
from aftercart.feedback.reminders import bought_again
from aftercart.feedback.standing import standing_for
from aftercart.notifications.models import Message
from aftercart.notifications.renderers import SubjectRenderer
from aftercart.orders.selectors import order_state

_PURPOSE = {
    Milestone.FEEDBACK_SURVEY.value: Purpose.SURVEY,
    Milestone.PRODUCT_ONBOARDING.value: Purpose.ONBOARDING,
    Milestone.REPLENISHMENT_REMINDER.value: Purpose.PROMOTION,
    Milestone.REVIEW_REQUESTED.value: Purpose.REVIEW,
}


def _survey(message: Message) -> Survey | None:
    return (
        Survey.objects.select_related("order", "store")
        .filter(store_id=message.store_id, ref=message.subject)
        .first()
    )


def _reminder(message: Message) -> Reminder | None:
    return (
        Reminder.objects.select_related("order", "store")
        .filter(store_id=message.store_id, ref=message.subject)
        .first()
    )


def feedback_email(message: Message) -> dict[str, Any]:
    """The e-mail's subject, headline, detail and blocks (call with the customer's language
    active); ``{}`` when the survey or reminder is gone."""
    number = message.order.number or message.order.external_id
    if message.milestone == Milestone.FEEDBACK_SURVEY:
        survey = _survey(message)
        return {} if survey is None else survey_email_context(survey, number)
    reminder = _reminder(message)
    if reminder is None or message.milestone == Milestone.REVIEW_REQUESTED:
        return {}
    state = order_state(reminder.order)
    language = translation.get_language() or "en"
    return reminder_email_context(reminder, state, language, feedback_config(reminder.store_id), number)


def review_data(survey: Survey, state: OrderState) -> dict[str, Any]:
    """What a review request carries: the order, its products and the customer's rating."""
    scale = Scale(survey.scale)
    order = survey.order
    return {
        "review": {
            "survey": survey.ref,
            "order": {
                "id": order.public_id,
                "number": state.number or order.external_id,
                "email": state.email,
                "customer_name": state.customer_name,
            },
            "products": [
                {"product_id": ln.product_id, "sku": ln.sku, "title": ln.title, "variant": ln.variant}
                for ln in state.active_lines
            ],
            "rating": {"scale": scale.value, "score": survey.score, "max": RANGE[scale][1]},
            "reason": survey.reason or survey.classified_reason,
            "comment": survey.text,
            "answered_at": survey.answered_at.isoformat() if survey.answered_at else None,
            # Where the store collects reviews (its own page, or its review platform's), if set.
            "review_url": order.store.review_url,
        }
    }


def feedback_webhook(message: Message) -> tuple[str, dict[str, Any] | None] | None:
    """``review.requested`` with the review's data (``None`` data: the survey is gone)."""
    if message.milestone != Milestone.REVIEW_REQUESTED:
        return None
    survey = _survey(message)
    return "review.requested", None if survey is None else review_data(survey, order_state(survey.order))


def feedback_event_data(message: Message) -> dict[str, Any]:
    """The review's data on Klaviyo's and Iterable's events."""
    if message.milestone != Milestone.REVIEW_REQUESTED:
        return {}
    survey = _survey(message)
    return {} if survey is None else review_data(survey, order_state(survey.order))


def feedback_template_variables(message: Message) -> dict[str, str]:
    """The survey's or reminder's reference for a store's own template."""
    return {"feedback_reference": message.subject}


def feedback_stale(message: Message) -> str:
    """Why the message must not go now ("" when it may): the gate with what is open now, a survey
    answered already, a product bought again already. Events about a review request were decided
    when the customer answered and go as they are."""
    if message.channel != Channel.EMAIL:
        return ""
    purpose = _PURPOSE.get(message.milestone)
    if purpose is None:
        return ""
    order = message.order
    if message.milestone == Milestone.FEEDBACK_SURVEY:
        survey = _survey(message)
        if survey is not None and survey.answered_at is not None:
            return "answered already"
    state = order_state(order)
    if message.milestone == Milestone.REPLENISHMENT_REMINDER:
        reminder = _reminder(message)
        if reminder is not None and bought_again(order, state, reminder.product):
            return "bought again already"
    config = feedback_config(order.store_id)
    verdict = gate(standing_for(order, state, scale=config.scale, thresholds=config.thresholds), purpose)
    return "" if verdict.allowed else f"held back: {verdict.reason}"


def delivered_placements(message: Message, state: OrderState) -> dict[str, Any]:
    """The store's placements for the delivered e-mail (gated, holdout applied)."""
    if message.milestone != Milestone.DELIVERED or message.channel != Channel.EMAIL:
        return {}
    if not Placement.objects.filter(
        store_id=message.store_id, slot=Placement.Slot.DELIVERED_EMAIL, active=True
    ).exists():
        return {}
    return {
        "placements": placements_for(message.order, state, Placement.Slot.DELIVERED_EMAIL, now=timezone.now())
    }


FEEDBACK_MESSAGES = SubjectRenderer(
    name="feedback",
    own=True,
    email_context=feedback_email,
    webhook_event=feedback_webhook,
    template_variables=feedback_template_variables,
    stale_reason=feedback_stale,
    event_data=feedback_event_data,
)
