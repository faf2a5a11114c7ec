"""``GET /api/v1/support/metrics``: the support figures of the API key's store over a period
(definitions: :mod:`aftercart.domain.support.metrics`, docs/support-console.md)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from ninja import Field as NinjaField
from ninja import Query, Router, Schema
from pydantic import field_validator

from aftercart.domain.facts import to_utc
from aftercart.integrations.canonical.schemas import Moment
from aftercart.stores.http import StoreRequest
from aftercart.support.metrics import support_figures, support_figures_json

router = Router(tags=["support"])

#: The period when ``from`` is not given: the 28 days before ``to``.
DEFAULT_DAYS = 28


class PeriodIn(Schema):
    """A period of UTC days: ``from`` included, ``to`` excluded (default: the 28 days up to today)."""

    from_: Moment | None = NinjaField(
        None, alias="from", description="Start (a date or an ISO 8601 time), included."
    )
    to: Moment | None = NinjaField(None, description="End (a date or an ISO 8601 time), excluded.")

    @field_validator("from_", "to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # Read in UTC here: the database cannot hold an offset past ±15:59 (PostgreSQL), and a
        # moment at the calendar's ends has no UTC time (a 400 naming the field, not a 500).
        return None if value is None else to_utc(value)


class WeekOut(Schema):
    store: str
    week: str = NinjaField(..., description="ISO week, YYYY-Www (UTC).")
    wismo_contacts: int
    orders: int = NinjaField(..., description="Orders placed that week.")
    per_100_orders: float | None = NinjaField(
        ..., description="WISMO contacts per 100 orders; null without orders."
    )


class IntentOut(Schema):
    intent: str
    contacts: int


class SupportMetricsOut(Schema):
    since: datetime
    until: datetime
    contacts: int = NinjaField(..., description="Conversations opened in the period.")
    wismo_contacts: int = NinjaField(
        ..., description="Of them, asking where the order is or when it arrives."
    )
    orders: int = NinjaField(..., description="Orders placed in the period.")
    wismo_per_100_orders: float | None
    weekly: list[WeekOut]
    automation_rate: float | None = NinjaField(
        ..., description="Share (0..1) answered automatically, no person after."
    )
    recontact_rate: float | None = NinjaField(
        ..., description="Share (0..1) of automated answers followed by the same customer within 72 h."
    )
    first_response_p50: float | None = NinjaField(..., description="Seconds, nearest-rank median.")
    first_response_p90: float | None = NinjaField(..., description="Seconds, nearest-rank 90th percentile.")
    by_intent: list[IntentOut]


def _moment(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get(
    "/metrics",
    response=SupportMetricsOut,
    summary="WISMO per 100 orders, automation, recontact, response times",
)
def support_metrics(request: StoreRequest, period: Query[PeriodIn]) -> dict[str, Any]:
    """The store's support figures over ``[from, to)``: WISMO contacts per 100 orders (overall and
    per ISO week), automation rate, recontact within 72 h of an automated answer, first-response
    time p50/p90, and contacts by intent."""
    today = datetime.combine(timezone.now().date() + timedelta(days=1), time.min, tzinfo=UTC)
    until = _moment(period.to) if period.to else today
    try:
        since = _moment(period.from_) if period.from_ else until - timedelta(days=DEFAULT_DAYS)
    except OverflowError:  # "to" at the calendar's first days: the period starts with time
        since = datetime.min.replace(tzinfo=UTC)
    figures = support_figures(store=request.store, since=since, until=until)
    return {"since": since, "until": until, **support_figures_json(figures)}
