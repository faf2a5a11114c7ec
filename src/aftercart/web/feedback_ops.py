"""``/ops/feedback``: the team's view of what customers said and whether the journeys work —
responses and reasons, the surveys held back (and why), and each experiment's impact against its
holdout group, with intervals."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from aftercart.feedback.impact import experiments, impact_report
from aftercart.feedback.models import Placement, Reminder, Survey
from aftercart.feedback.selectors import feedback_metrics, held_back, recent_answers
from aftercart.stores.models import Store

_LABELS = {
    "wismo_per_100_orders": "WISMO contacts per 100 orders",
    "csat": "CSAT (1–5)",
    "repeat_purchase_rate": "Repeat-purchase rate",
    "retained_revenue": "Retained revenue per order",
}


@staff_member_required
def feedback_ops(request: HttpRequest) -> HttpResponse:
    """One store's feedback (``?store=<slug>``, else the first with answers)."""
    stores = list(Store.objects.order_by("slug"))
    slug = request.GET.get("store", "").strip()
    store = next((s for s in stores if s.slug == slug), None)
    if store is None:
        answered = set(
            Survey.objects.filter(answered_at__isnull=False).values_list("store_id", flat=True).distinct()
        )
        store = next((s for s in stores if s.pk in answered), None) or (stores[0] if stores else None)
    context: dict[str, object] = {"stores": stores, "store": store}
    if store is not None:
        now = timezone.now()
        impact = []
        for name in experiments(store.pk):
            report = impact_report(store_id=store.pk, experiment=name, start=None, end=None, now=now)
            rows = [{"label": _LABELS[m], "metric": m, **v} for m, v in report["metrics"].items()]
            impact.append({"experiment": name, "orders": report["orders"], "rows": rows})
        reminders = {(kind, status): n for kind, status, n in _reminder_counts(store.pk)}
        context.update(
            metrics=feedback_metrics(store_id=store.pk, start=None, end=None),
            answers=recent_answers([store.pk]),
            held=held_back([store.pk]),
            impact=impact,
            placements=Placement.objects.filter(store=store).order_by("slot", "pk"),
            reminders=sorted(reminders.items()),
        )
    return render(request, "web/ops/feedback.html", context)


def _reminder_counts(store_id: int) -> list[tuple[str, str, int]]:
    return list(
        Reminder.objects.filter(store_id=store_id)
        .exclude(product="", kind=Reminder.Kind.REPLENISHMENT)
        .values_list("kind", "status")
        .annotate(n=Count("id"))
        .order_by("kind", "status")
    )
