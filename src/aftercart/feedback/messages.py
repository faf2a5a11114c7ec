"""What the feedback e-mails say, in the customer's language (called with it active): the survey
with its one-click scores, the product onboarding with the store's care texts, the replenishment
reminder; and the placements (cross-sell, loyalty) shown in the delivered e-mail and on the
tracking page.

A survey's score links open the survey page with the score chosen; nothing is recorded until the
customer presses the button there (a POST), so link scanners, which follow every link of a message
with GET or HEAD, never vote.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from aftercart.domain.care import care_text
from aftercart.domain.feedback.gates import About, Purpose, gate
from aftercart.domain.feedback.survey import Scale, choices
from aftercart.domain.outbound_urls import safe_url
from aftercart.domain.projection.state import OrderState
from aftercart.feedback.config import FeedbackConfig, feedback_config
from aftercart.feedback.holdouts import assignment_record, customer_key
from aftercart.feedback.models import Placement, ProductInterval, Reminder, Survey
from aftercart.feedback.standing import standing_for
from aftercart.notifications.links import base_url, tracking_url
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.selectors import line_categories, policy_current, policy_of
from aftercart.stores.care import care_notes


def survey_url(order: Order, about: str = "delivery", score: int | None = None) -> str:
    """The survey page of an order (signed with the order's link), with a score chosen."""
    query = {"about": about, **({"score": str(score)} if score is not None else {})}
    try:
        path = reverse("web:feedback", kwargs={"token": make_tracking_token(order)})
    except NoReverseMatch:
        return tracking_url(order)
    return f"{base_url()}{path}?{urlencode(query)}"


def question(scale: Scale, about: str) -> str:
    """The survey's question, translated."""
    if about == About.RESOLUTION.value:
        if scale is Scale.NPS:
            return gettext(
                "After how we handled your problem, how likely are you to recommend us to a friend?"
            )
        return gettext("How satisfied are you with how we handled your problem?")
    if scale is Scale.NPS:
        return gettext("How likely are you to recommend us to a friend?")
    return gettext("How satisfied are you with your order?")


def scale_ends(scale: Scale) -> tuple[str, str]:
    """What the lowest and highest scores mean, translated."""
    if scale is Scale.NPS:
        return gettext("Not at all likely"), gettext("Extremely likely")
    return gettext("Very unsatisfied"), gettext("Very satisfied")


def survey_email_context(survey: Survey, number: str) -> dict[str, Any]:
    """The survey e-mail: its question and one link per score."""
    scale = Scale(survey.scale)
    low, high = scale_ends(scale)
    return {
        "subject": gettext("How did we do? · order %(number)s") % {"number": number},
        "headline": question(scale, survey.about),
        "detail": gettext("Choose a score: it takes one click, and you can add a word if you like."),
        "survey": {
            "low": low,
            "high": high,
            "choices": [
                {"score": n, "url": survey_url(survey.order, survey.about, n)} for n in choices(scale)
            ],
        },
    }


def care_for_order(order: Order, state: OrderState, language: str) -> list[dict[str, str]]:
    """The store's care texts for the order's items, one per category, in the best language it has
    (the same texts and choice as the packing slip's)."""
    categories = line_categories(order, state, policy_of(policy_current(order.store)))
    texts = care_notes(order.store, categories.values())
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for line in state.active_lines:
        category = categories.get(line.line_id, "")
        found = care_text(texts, category, language, order.store.default_locale) if category else None
        if found is None or category.casefold() in seen:
            continue
        seen.add(category.casefold())
        note = found[1]
        out.append({"heading": note.title or category.strip().capitalize(), "text": note.text})
    return out


def reminder_email_context(
    reminder: Reminder, state: OrderState, language: str, config: FeedbackConfig, number: str
) -> dict[str, Any]:
    """The onboarding or replenishment e-mail."""
    if reminder.kind == Reminder.Kind.ONBOARDING:
        return {
            "subject": gettext("Getting the most from your order · order %(number)s") % {"number": number},
            "headline": gettext("Getting started with your order"),
            "detail": gettext("A few tips for using and caring for the items you received."),
            "sections": care_for_order(reminder.order, state, language),
        }
    title = reminder.title or reminder.product
    days = (
        ProductInterval.objects.filter(store_id=reminder.store_id, product=reminder.product)
        .values_list("days", flat=True)
        .first()
    )
    detail = gettext("Customers usually order it again after about %(days)s days.") % {
        "days": round(days or 0)
    }
    shop = safe_url(config.shop_url)
    return {
        "subject": gettext("Running low on %(title)s? · order %(number)s")
        % {"title": title, "number": number},
        "headline": gettext("Running low on %(title)s?") % {"title": title},
        "detail": detail,
        "actions": [{"label": gettext("Order it again"), "url": shop}] if shop else [],
    }


def placements_for(order: Order, state: OrderState, slot: str, *, now: Any) -> list[dict[str, str]]:
    """The store's active placements for ``slot`` this customer may see now: none while the gate
    says no (a problem open, a low rating), and none of those whose holdout group they are in."""
    placements = list(
        Placement.objects.filter(store_id=order.store_id, slot=slot, active=True).order_by("pk")
    )
    if not placements:
        return []
    config = feedback_config(order.store_id)
    if not gate(
        standing_for(order, state, scale=config.scale, thresholds=config.thresholds), Purpose.PROMOTION
    ).allowed:
        return []
    key = customer_key(order, state.email)
    out: list[dict[str, str]] = []
    for p in placements:
        url = safe_url(p.link_url)
        if not url:
            continue
        if assignment_record(order=order, experiment=p.experiment, share=p.holdout_share, key=key, now=now):
            continue
        out.append({"kind": p.kind, "title": p.title, "body": p.body, "url": url, "label": p.link_label})
    return out
