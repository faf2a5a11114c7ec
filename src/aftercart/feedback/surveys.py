"""Surveys: planned after delivery when the gate allows, answered in one click, and what an answer
causes — a review request for a satisfied customer, a person for an unhappy one.

Planning (:func:`surveys_plan`, a pass of the feedback loop) looks at orders delivered at least the
store's delay ago and within its window. For each, the gate (:mod:`aftercart.domain.feedback.gates`)
decides with what is open on the order now: held back (``waiting``, asked again on every pass until
the window closes), held out (the survey journey's holdout group), or e-mailed through the outbox.
An order that came late with nobody telling the customer first gets a person's follow-up (a
``customer_follow_up`` case): the survey waits for it, then asks about the resolution.

Answering (:func:`survey_answer_record`) stores the score, the customer's reason and words, and what
the classifier read in them (:func:`~aftercart.domain.feedback.reasons.classify_feedback`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from aftercart.domain.arrival import arrived_at
from aftercart.domain.exceptions import ExceptionKind
from aftercart.domain.feedback.gates import About, Purpose, gate
from aftercart.domain.feedback.reasons import REASONS, classify_feedback
from aftercart.domain.feedback.survey import RANGE, Scale, satisfied, unhappy, valid_score
from aftercart.domain.messaging import Channel, consent_reason
from aftercart.domain.milestones import FEEDBACK_EVENTS, Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exception_record_open
from aftercart.feedback.config import FeedbackConfig, feedback_config, feedback_configs
from aftercart.feedback.holdouts import assignment_record, customer_key
from aftercart.feedback.models import FeedbackSettings, Survey
from aftercart.feedback.standing import late_key, order_late_unexplained, standing_for, survey_key
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.selectors import choices_for
from aftercart.notifications.subjects import SubjectMessage, messages_record_subject
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state

#: Orders delivered longer ago than this are never looked at (no store's window is longer).
LOOKBACK = timedelta(days=60)
BATCH = 500
DEFAULT_DELAY = FeedbackConfig().survey_delay


class SurveyRefused(Exception):
    """An answer that is not one (a score off the scale, an unknown reason): nothing recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def dedupe_key(ref: str, channel: Channel, milestone: Milestone) -> str:
    """The outbox key of a feedback message: the same moment is told once."""
    return f"feedback:{ref}:{channel.value}:{milestone.value}"


# --- planning -----------------------------------------------------------------------------------


def surveys_plan(*, now: datetime, limit: int = BATCH) -> int:
    """Plan the surveys due now; how many orders were looked at (see the module)."""
    # Only orders some store's delay has passed for, and not of stores that ask nothing: each order
    # looked at gets a row (asked, waiting, held out or expired), so the batch always moves on.
    delays = FeedbackSettings.objects.values_list("survey_delay_hours", flat=True)
    soonest = min([DEFAULT_DELAY, *(timedelta(hours=h) for h in delays)])
    delivered = (
        Order.objects.filter(
            shipments__delivered_at__gte=now - LOOKBACK, shipments__delivered_at__lte=now - soonest
        )
        .exclude(surveys__isnull=False)
        .exclude(store__feedback_settings__survey_enabled=False)
        .distinct()
        .order_by("pk")[:limit]
    )
    waiting = Order.objects.filter(surveys__status=Survey.Status.WAITING).distinct().order_by("pk")[:limit]
    # A low answer a person has since resolved: ask how the resolution went.
    resolved = (
        Order.objects.filter(
            exceptions__kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value,
            exceptions__resolved_at__gte=now - LOOKBACK,
            surveys__score__isnull=False,
        )
        .exclude(surveys__about=About.RESOLUTION.value)
        .distinct()
        .order_by("pk")[:limit]
    )
    orders = {o.pk: o for qs in (delivered, waiting, resolved) for o in qs.select_related("store")}
    configs = feedback_configs({o.store_id for o in orders.values()})
    for order in orders.values():
        config = configs[order.store_id]
        if config.survey_enabled:
            survey_plan(order=order, config=config, now=now)
    return len(orders)


def survey_plan(*, order: Order, config: FeedbackConfig, now: datetime) -> Survey | None:
    """Decide one order's survey now, in one transaction; the survey row written or updated
    (``None``: not due, or nothing more to ask)."""
    state = order_state(order)
    arrived = arrived_at(state)
    if arrived is None or now < arrived + config.survey_delay:
        return None
    with transaction.atomic():
        rows = {s.about: s for s in Survey.objects.select_for_update().filter(order=order)}
        pending = next((s for s in rows.values() if s.status == Survey.Status.WAITING), None)
        if now > arrived + config.survey_window:
            # Too long after delivery for a first question; a resolution (rows exist) may still
            # be asked about within the lookback.
            if pending is not None:
                pending.status, pending.note = Survey.Status.EXPIRED, "held back past the survey window"
                pending.save()
                return pending
            if not rows:  # delivered before the survey window: never asked, and never looked at again
                return Survey.objects.create(
                    store_id=order.store_id,
                    order=order,
                    scale=config.scale.value,
                    status=Survey.Status.EXPIRED,
                    note="delivered before the survey window",
                    created_at=now,
                )
        late_case = OrderException.objects.filter(
            order=order, kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value, subject=late_key(order)
        )
        if order_late_unexplained(order, state) and not late_case.exists():
            # The store owes this customer an apology before any question: a person follows up.
            exception_record_open(
                store_id=order.store_id,
                order_id=order.pk,
                kind=ExceptionKind.CUSTOMER_FOLLOW_UP,
                subject=late_key(order),
                detail="Delivered after the promised date and nobody told the customer",
                now=now,
            )
        standing = standing_for(order, state, scale=config.scale, thresholds=config.thresholds)
        verdict = gate(standing, Purpose.SURVEY)
        about = verdict.about.value
        if about in rows and rows[about] is not pending:
            return None  # asked about this already
        survey = pending or Survey(store_id=order.store_id, order=order, created_at=now)
        survey.about, survey.scale = about, survey.scale if survey.pk else config.scale.value
        survey.customer_key = customer_key(order, state.email)
        if not verdict.allowed:
            survey.status, survey.note = Survey.Status.WAITING, verdict.reason
            survey.save()
            return survey
        held = assignment_record(
            order=order,
            experiment="survey",
            share=config.holdout_share("survey"),
            key=survey.customer_key,
            now=now,
        )
        if held:
            survey.status, survey.note = Survey.Status.HELD_OUT, "in the survey journey's holdout group"
            survey.save()
            return survey
        survey.status, survey.note, survey.sent_at = Survey.Status.SENT, "", now
        survey.save()
        _email(survey, order, state, now)
    return survey


def _email(survey: Survey, order: Order, state: OrderState, now: datetime) -> None:
    milestone = Milestone.FEEDBACK_SURVEY
    if Channel.EMAIL not in store_channel_map(order.store_id).get(milestone, frozenset()):
        survey.note = "the store does not e-mail surveys (asked on the tracking page)"
        survey.save(update_fields=["note"])
        return
    messages_record_subject(
        store_id=order.store_id,
        order_id=order.pk,
        subject=survey.ref,
        messages=[email_message(survey.ref, milestone, order.store_id, state)],
        now=now,
        critical=False,
    )


def email_message(ref: str, milestone: Milestone, store_id: int, state: OrderState) -> SubjectMessage:
    """The outbox entry of a feedback e-mail to the order's customer, suppressed with the reason
    when they have no address or their choices forbid it."""
    address = state.email.strip()
    reason = "" if address else "no e-mail address"
    if not reason:
        choices = choices_for(store_id, Channel.EMAIL, contact_key(Channel.EMAIL, address))
        reason = consent_reason(Channel.EMAIL, milestone, state, choices)
    return SubjectMessage(
        Channel.EMAIL, milestone, dedupe_key(ref, Channel.EMAIL, milestone), address.lower(), reason
    )


# --- answering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """What recording an answer did."""

    survey: Survey
    review_requested: bool
    followed_up: bool


def survey_answer_record(
    *,
    order: Order,
    about: str,
    score: int,
    reason: str = "",
    text: str = "",
    via: str = "email",
    now: datetime,
) -> Answered:
    """Record the customer's answer (a second answer replaces the first); a satisfied answer asks
    the store's tools for a review (gate and holdout permitting), an unhappy one opens a case for a
    person. :class:`SurveyRefused` (nothing written) for an answer that is not one."""
    if about not in About._value2member_map_:
        raise SurveyRefused("about", "Unknown survey topic.")
    config = feedback_config(order.store_id)
    reason = reason.strip()
    if reason and reason not in REASONS:
        raise SurveyRefused("reason", "Pick one of the reasons offered.")
    text = " ".join(text.split())[:2000]
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(order=order, about=about).first()
        state = order_state(order)
        if survey is None:
            survey = Survey(
                store_id=order.store_id,
                order=order,
                about=about,
                scale=config.scale.value,
                created_at=now,
                customer_key=customer_key(order, state.email),
            )
        scale = Scale(survey.scale)
        if not valid_score(scale, score):
            low, high = RANGE[scale]
            raise SurveyRefused("score", f"Pick a score from {low} to {high}.")
        label = classify_feedback(text, score=score) if text else None
        survey.score, survey.reason, survey.text = score, reason, text
        survey.theme = label.theme if label else REASONS.get(reason, "")
        survey.classified_reason = label.reason if label else ""
        survey.confidence = label.confidence if label else None
        survey.status, survey.answered_at, survey.answered_via = Survey.Status.ANSWERED, now, via[:10]
        survey.save()
        followed = False
        if unhappy(scale, score, config.thresholds):
            high = RANGE[scale][1]
            what = survey.reason or survey.classified_reason or "no reason given"
            followed = exception_record_open(
                store_id=order.store_id,
                order_id=order.pk,
                kind=ExceptionKind.CUSTOMER_FOLLOW_UP,
                subject=survey_key(survey),
                # The customer's own words stay on the survey (erased with it), not in the case.
                detail=f"Rated {score}/{high} ({what}); see their answer on the feedback page"[:200],
                now=now,
            )
        requested = False
        if satisfied(scale, score, config.thresholds):
            requested = _review_request(survey, order, state, config, now)
    return Answered(survey, requested, followed)


def _review_request(
    survey: Survey, order: Order, state: OrderState, config: FeedbackConfig, now: datetime
) -> bool:
    """Tell the store's tools (signed webhook, Klaviyo, Iterable) that a satisfied customer may be
    asked for a review, unless the gate or the holdout says no (recorded in ``review_note``)."""
    if survey.review_requested_at is not None:
        return False
    standing = standing_for(order, state, scale=config.scale, thresholds=config.thresholds)
    verdict = gate(standing, Purpose.REVIEW)
    if not verdict.allowed:
        survey.review_note = verdict.reason[:200]
        survey.save(update_fields=["review_note"])
        return False
    if assignment_record(
        order=order,
        experiment="review_request",
        share=config.holdout_share("review_request"),
        key=survey.customer_key,
        now=now,
    ):
        survey.review_note = "in the review request journey's holdout group"
        survey.save(update_fields=["review_note"])
        return False
    milestone = Milestone.REVIEW_REQUESTED
    carried = store_channel_map(order.store_id).get(milestone, frozenset())
    contact = {
        Channel.WEBHOOK: "store",
        Channel.KLAVIYO: state.email or state.phone,
        Channel.ITERABLE: state.email,
    }
    planned = [
        SubjectMessage(
            channel,
            milestone,
            dedupe_key(survey.ref, channel, milestone),
            contact[channel].strip().lower(),
            "" if contact[channel].strip() else "no contact for this channel",
        )
        for channel in (Channel.WEBHOOK, Channel.KLAVIYO, Channel.ITERABLE)
        if channel in carried and milestone in FEEDBACK_EVENTS
    ]
    messages_record_subject(
        store_id=order.store_id,
        order_id=order.pk,
        subject=survey.ref,
        messages=planned,
        now=now,
        critical=False,
    )
    survey.review_requested_at, survey.review_note = now, "" if planned else "no event channel carries it"
    survey.save(update_fields=["review_requested_at", "review_note"])
    return bool(planned)


def open_follow_ups(order_ids: list[int]) -> set[int]:
    """Orders with a person's follow-up open (the ops page marks them)."""
    return set(
        OrderException.objects.filter(
            order_id__in=order_ids, kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value, resolved_at__isnull=True
        ).values_list("order_id", flat=True)
    )
