"""The team's exception queue: open cases with filters, each a click from the order's timeline."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from aftercart.domain.exceptions import ExceptionKind
from aftercart.exceptions import selectors
from aftercart.exceptions.models import OrderException
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present, subject_steps
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_timeline, order_view
from aftercart.stores.models import Store

PAGE_SIZE = 100


def _age(value: str) -> timedelta | None:
    """``age`` is a minimum age in hours ("24"), or with a unit suffix: "36h", "3d"."""
    value = value.strip().lower()
    if not value:
        return None
    unit = 24 if value.endswith("d") else 1
    try:
        return timedelta(hours=float(value.rstrip("dh")) * unit)
    except ValueError:
        return None


@staff_member_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open exceptions, oldest first; GET filters ``kind``, ``carrier``, ``store`` (slug), ``age``."""
    now = timezone.now()
    kind = request.GET.get("kind", "")
    if kind not in {k.value for k in ExceptionKind}:
        kind = ""
    filters = {
        "kind": kind,
        "carrier": request.GET.get("carrier", "").strip(),
        "store": request.GET.get("store", "").strip(),
        "age": request.GET.get("age", "").strip(),
    }
    cases = selectors.open_exceptions(
        kind=kind, carrier=filters["carrier"], store=filters["store"], min_age=_age(filters["age"]), now=now
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exceptions/queue.html",
        {
            "page": page,
            "filters": filters,
            "kinds": [k.value for k in ExceptionKind],
            "stores": Store.objects.order_by("slug").values_list("slug", flat=True),
            "now": now,
        },
    )


@staff_member_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order's next step and each of its subjects' (its returns …) as the customer is shown
    them, its facts in the order they happened, and its cases open and closed."""
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id)
    state, step = order_view(order, timezone.now())
    zone = customer_zone(state, order.store.timezone)
    return render(
        request,
        "exceptions/order.html",
        {
            "order": order,
            "next_step": present(step, zone),
            "subject_steps": [
                {"subject": subject, "title": title, "step": present(subject_step, zone)}
                for subject, title, subject_step in subject_steps(order)
            ],
            "timeline": order_timeline(order),
            "cases": OrderException.objects.filter(order=order).order_by("-opened_at", "-pk"),
        },
    )
