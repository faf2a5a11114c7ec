"""Reads: the survey as the tracking page and the survey page show it, and the store's figures
(CSAT, NPS, reasons, response rate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftercart.domain.arrival import arrived_at
from aftercart.domain.feedback.gates import About, Purpose, gate
from aftercart.domain.feedback.reasons import REASONS
from aftercart.domain.feedback.survey import Scale, choices, distribution, summarise
from aftercart.domain.projection.state import OrderState
from aftercart.feedback.config import feedback_config
from aftercart.feedback.holdouts import assignment_record, customer_key
from aftercart.feedback.messages import placements_for, question, scale_ends
from aftercart.feedback.models import Placement, Survey
from aftercart.feedback.standing import standing_for
from aftercart.orders.models import Order

#: What the customer reads for each reason they may pick (the classifier's reasons; one it adds
#: later without a label here is simply not offered).
REASON_LABELS: dict[str, Any] = {
    "satisfied": _("Everything was fine"),
    "delivered_early": _("It arrived sooner than expected"),
    "delivery_late": _("It arrived late"),
    "partial_delivery": _("Something was missing"),
    "other_delivery_problem": _("Another problem with the delivery"),
    "low_quality": _("The quality was poor"),
    "not_as_described": _("It was not as described"),
    "return_wanted": _("I want to return it"),
    "other_order_problem": _("Another problem with the order"),
}


def reason_options() -> list[dict[str, str]]:
    """The reasons a customer may pick, translated (in the active language)."""
    return [{"value": r, "label": str(label)} for r, label in REASON_LABELS.items() if r in REASONS]


def survey_view(order: Order, state: OrderState, about: str, *, now: datetime) -> dict[str, Any] | None:
    """The survey of an order as a page shows it (in the active language), or ``None`` when there is
    none to show: not delivered yet, the gate says no (something is open: the page shows the next
    step instead), or the customer is in the survey journey's holdout group. An answered survey is
    shown with its answer (the customer may change it)."""
    if arrived_at(state) is None:
        return None
    config = feedback_config(order.store_id)
    survey = Survey.objects.filter(order=order, about=about).first()
    if survey is not None and survey.status == Survey.Status.HELD_OUT:
        return None
    answered = survey is not None and survey.answered_at is not None
    if not answered:
        if not gate(
            standing_for(order, state, scale=config.scale, thresholds=config.thresholds), Purpose.SURVEY
        ).allowed:
            return None
        key = customer_key(order, state.email)
        if assignment_record(
            order=order, experiment="survey", share=config.holdout_share("survey"), key=key, now=now
        ):
            return None
    scale = Scale(survey.scale) if survey is not None else config.scale
    low, high = scale_ends(scale)
    return {
        "about": about,
        "scale": scale.value,
        "question": question(scale, about),
        "choices": choices(scale),
        "low": low,
        "high": high,
        "reasons": reason_options(),
        "answered": answered,
        "score": survey.score if survey is not None else None,
        "reason": survey.reason if survey is not None else "",
        "text": survey.text if survey is not None else "",
    }


def tracking_feedback(order: Order, state: OrderState, *, now: datetime, action: str) -> dict[str, Any]:
    """What the tracking page adds after delivery (in the active language): the survey (about the
    resolution once one was asked, else the delivery) and the store's placements for the page,
    both gated and with their holdout groups applied."""
    if arrived_at(state) is None:
        return {"feedback": None, "placements": []}
    asked = Survey.objects.filter(order=order, about=About.RESOLUTION.value).exists()
    about = About.RESOLUTION.value if asked else About.DELIVERY.value
    feedback = survey_view(order, state, about, now=now)
    if feedback is not None:
        feedback.update(action=action, via="page")
    return {
        "feedback": feedback,
        "placements": placements_for(order, state, Placement.Slot.TRACKING_PAGE, now=now),
    }


@dataclass(frozen=True)
class Metrics:
    """A store's survey figures over a period."""

    asked: int
    answered: int
    response_rate: float | None
    csat_answers: int
    csat_mean: float | None
    csat_satisfied: float | None
    nps_answers: int
    nps: float | None
    promoters: int
    passives: int
    detractors: int
    reasons: list[tuple[str, int, float]]
    themes: list[tuple[str, int, float]]
    held_back: list[tuple[str, int, float]]

    def to_json(self) -> dict[str, Any]:
        """The API's shape."""
        return {
            "surveys_sent": self.asked,
            "answers": self.answered,
            "response_rate": self.response_rate,
            "csat": {
                "answers": self.csat_answers,
                "mean": self.csat_mean,
                "satisfied_share": self.csat_satisfied,
            },
            "nps": {
                "answers": self.nps_answers,
                "score": self.nps,
                "promoters": self.promoters,
                "passives": self.passives,
                "detractors": self.detractors,
            },
            "reasons": [{"reason": r, "count": n, "share": s} for r, n, s in self.reasons],
            "themes": [{"theme": t, "count": n, "share": s} for t, n, s in self.themes],
            "held_back": [{"reason": r, "count": n, "share": s} for r, n, s in self.held_back],
        }


def feedback_metrics(*, store_id: int, start: datetime | None, end: datetime | None) -> Metrics:
    """CSAT, NPS, reasons and response rate of the surveys created in ``[start, end)``. The
    response rate is answers over surveys e-mailed (answers given on the tracking page unasked
    count as answers, not as surveys sent)."""
    qs = Survey.objects.filter(store_id=store_id)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    rows = list(
        qs.values_list("status", "scale", "score", "reason", "classified_reason", "theme", "note", "sent_at")
    )
    answers = [(Scale(scale), score) for status, scale, score, *_ in rows if score is not None]
    summary = summarise(answers)
    asked = sum(1 for row in rows if row[7] is not None)
    answered_asked = sum(1 for row in rows if row[7] is not None and row[2] is not None)
    return Metrics(
        asked=asked,
        answered=len(answers),
        response_rate=answered_asked / asked if asked else None,
        csat_answers=summary.csat_answers,
        csat_mean=summary.csat_mean,
        csat_satisfied=summary.csat_satisfied,
        nps_answers=summary.nps_answers,
        nps=summary.nps,
        promoters=summary.promoters,
        passives=summary.passives,
        detractors=summary.detractors,
        reasons=distribution([r[3] or r[4] for r in rows if r[2] is not None and (r[3] or r[4])]),
        themes=distribution([r[5] for r in rows if r[2] is not None and r[5]]),
        held_back=distribution([r[6] for r in rows if r[0] == Survey.Status.WAITING and r[6]]),
    )


def recent_answers(store_ids: list[int], limit: int = 50) -> list[Survey]:
    """The latest answers (the ops page)."""
    return list(
        Survey.objects.filter(store_id__in=store_ids, answered_at__isnull=False)
        .select_related("order", "store")
        .order_by("-answered_at", "-pk")[:limit]
    )


def held_back(store_ids: list[int], limit: int = 50) -> list[Survey]:
    """Surveys held back by the gate or the holdout (the ops page)."""
    return list(
        Survey.objects.filter(
            store_id__in=store_ids, status__in=[Survey.Status.WAITING, Survey.Status.HELD_OUT]
        )
        .select_related("order", "store")
        .order_by("-created_at", "-pk")[:limit]
    )
