"""Feedback figures: the store's survey metrics and the impact of its journeys and placements
measured against their holdout groups (docs/feedback.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Query, Router

from aftercart.api.problems import field_problem
from aftercart.feedback.impact import impact_report
from aftercart.feedback.selectors import feedback_metrics
from aftercart.stores.http import StoreRequest

router = Router(tags=["feedback"])

#: Experiment names: a journey, or ``placement:<id>``.
EXPERIMENT = r"^(survey|review_request|onboarding|replenishment|placement:[0-9]{1,18})$"


def _period(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise field_problem("Invalid period", [{"field": "to", "message": "must be after 'from'"}])


@router.get("/metrics", summary="Survey metrics: CSAT, NPS, reasons, response rate")
def metrics(
    request: StoreRequest,
    start: Annotated[datetime | None, Query(alias="from", description="Surveys created at or after.")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Surveys created before.")] = None,
) -> dict[str, Any]:
    """The surveys' figures in the period (all time without one)."""
    _period(start, end)
    return feedback_metrics(store_id=request.store.pk, start=start, end=end).to_json()


@router.get("/impact", summary="A journey's or placement's impact against its holdout group")
def impact(
    request: StoreRequest,
    experiment: Annotated[str, Query(pattern=EXPERIMENT, description="A journey or placement:<id>.")],
    start: Annotated[datetime | None, Query(alias="from", description="Orders assigned at or after.")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Orders assigned before.")] = None,
    confidence: Annotated[float, Query(gt=0.5, lt=1.0, description="The intervals' level.")] = 0.95,
) -> dict[str, Any]:
    """Per metric (WISMO contacts per 100 orders, CSAT, repeat-purchase rate, retained revenue):
    the treated and held-out means, their difference and its interval."""
    _period(start, end)
    return impact_report(
        store_id=request.store.pk,
        experiment=experiment,
        start=start,
        end=end,
        now=timezone.now(),
        confidence=confidence,
    )
