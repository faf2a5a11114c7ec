"""``/ops/support/metrics``: the support figures of a period, per store or all, with charts (each
with its table: ``ops/_chart.html``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from aftercart.domain.support.metrics import SupportFigures
from aftercart.kernel.charts import Series, chart
from aftercart.stores.models import Store
from aftercart.support.metrics import support_figures

#: The period shown when none is asked: the last four full weeks and this one.
DEFAULT_DAYS = 35


def _day(value: str) -> datetime | None:
    """A ``YYYY-MM-DD`` day at midnight UTC; anything else (``2026-02-30`` too) is no day."""
    try:
        day = parse_date(value.strip()) if value else None
    except ValueError:
        return None
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def metrics_charts(f: SupportFigures) -> list:
    """The page's charts: WISMO per 100 orders by week (a line per store), volume by intent."""
    weeks = sorted({w.week for w in f.weekly})
    stores = sorted({w.store for w in f.weekly})
    by = {(w.store, w.week): w.per_100_orders for w in f.weekly}
    return [
        chart(
            "wismo-per-100",
            title="WISMO contacts per 100 orders, by week",
            labels=weeks,
            series=[Series(s, [by.get((s, wk)) for wk in weeks]) for s in stores],
            kind="line",
            label_heading="ISO week",
        ),
        chart(
            "volume-by-intent",
            title="Contacts by intent",
            labels=[intent.replace("_", " ") for intent, _ in f.by_intent],
            series=[Series("Contacts", [n for _, n in f.by_intent])],
            horizontal=True,
            integer=True,
            label_heading="Intent",
        ),
    ]


@staff_member_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Figures of ``from`` (inclusive) to ``to`` (exclusive, days in UTC), for ``store`` or all."""
    now = timezone.now()
    until = _day(request.GET.get("to", "")) or datetime.combine(
        now.date() + timedelta(days=1), time.min, tzinfo=UTC
    )
    try:
        since = _day(request.GET.get("from", "")) or until - timedelta(days=DEFAULT_DAYS)
        if since >= until:
            since = until - timedelta(days=1)
    except OverflowError:  # "to" in the calendar's first days: from its very start
        since = datetime.min.replace(tzinfo=UTC)
    store = Store.objects.filter(slug=request.GET.get("store", "")).first()
    f = support_figures(store=store, since=since, until=until)
    tiles = [
        (
            "WISMO contacts per 100 orders",
            "–" if f.wismo_per_100_orders is None else f"{f.wismo_per_100_orders:.2f}",
        ),
        ("Automation rate", _percent(f.automation_rate)),
        ("Recontact within 72 h of an automated answer", _percent(f.recontact_rate)),
        ("First response, median (p50)", _duration(f.first_response_p50)),
        ("First response, p90", _duration(f.first_response_p90)),
        ("Contacts", str(f.contacts)),
        ("WISMO contacts", str(f.wismo_contacts)),
        ("Orders placed", str(f.orders)),
    ]
    return render(
        request,
        "support/console/metrics.html",
        {
            "tiles": tiles,
            "charts": metrics_charts(f),
            "since": since.date(),
            "until": until.date(),
            "store": store,
            "stores": Store.objects.order_by("slug"),
        },
    )
