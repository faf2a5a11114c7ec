"""Feedback figures: the store's survey metrics and the impact of its journeys and placements
measured against their holdout groups (docs/feedback.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Query, Router

from aftercart.api.problems import Problem
from aftercart.feedback.impact import impact_report
from aftercart.feedback.selectors import feedback_metrics
from aftercart.stores.http import StoreRequest

router = Router(tags=["feedback"])

#: Experiment names: a journey, or ``placement:<id>``.
EXPERIMENT = r"^(survey|review_request|onboarding|replenishment|placement:[0-9]{1,18})$"


#: An ISO 8601 date or date-time ("2026-03-01", "2026-03-01T00:00:00Z"); no zone means UTC.
ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"


def _moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors = [{"field": field, "message": "not a real date or time"}]
        raise Problem(
            422, "Invalid period", f"{field}: not a real date or time", kind="validation", errors=errors
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _period(raw_start: str | None, raw_end: str | None) -> tuple[datetime | None, datetime | None]:
    """The period asked for; a date that does not exist, or a period that ends before it starts
    (well formed, but not a period), is 422 naming the field."""
    start, end = _moment(raw_start, "from"), _moment(raw_end, "to")
    if start is not None and end is not None and end <= start:
        errors = [{"field": "to", "message": "must be after 'from'"}]
        raise Problem(422, "Invalid period", "to: must be after 'from'", kind="validation", errors=errors)
    return start, end


@router.get("/metrics", summary="Survey metrics: CSAT, NPS, reasons, response rate")
def metrics(
    request: StoreRequest,
    start: Annotated[
        str | None, Query(alias="from", pattern=ISO, description="Surveys created at or after.")
    ] = None,
    end: Annotated[str | None, Query(alias="to", pattern=ISO, description="Surveys created before.")] = None,
) -> dict[str, Any]:
    """The surveys' figures in the period (all time without one)."""
    since, until = _period(start, end)
    return feedback_metrics(store_id=request.store.pk, start=since, end=until).to_json()


@router.get("/impact", summary="A journey's or placement's impact against its holdout group")
def impact(
    request: StoreRequest,
    experiment: Annotated[str, Query(pattern=EXPERIMENT, description="A journey or placement:<id>.")],
    start: Annotated[
        str | None, Query(alias="from", pattern=ISO, description="Orders assigned at or after.")
    ] = None,
    end: Annotated[str | None, Query(alias="to", pattern=ISO, description="Orders assigned before.")] = None,
    confidence: Annotated[float, Query(gt=0.5, lt=1.0, description="The intervals' level.")] = 0.95,
) -> dict[str, Any]:
    """Per metric (WISMO contacts per 100 orders, CSAT, repeat-purchase rate, retained revenue):
    the treated and held-out means, their difference and its interval."""
    since, until = _period(start, end)
    return impact_report(
        store_id=request.store.pk,
        experiment=experiment,
        start=since,
        end=until,
        now=timezone.now(),
        confidence=confidence,
    )
