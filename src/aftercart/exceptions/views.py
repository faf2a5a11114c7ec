"""The team's exception queue: open cases in words, with filters, search and paging, each a click
from the order's page, where the next step, the timeline and the case's actions are."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation

from aftercart.domain.exceptions import ExceptionKind, Queue, Severity
from aftercart.exceptions import labels, selectors
from aftercart.exceptions.models import OrderException
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import Presented, present, subject_steps
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_timeline, order_view
from aftercart.orders.tokens import make_tracking_token
from aftercart.stores.models import Store

PAGE_SIZE = 50


#: The oldest ``age`` the queue filters by: older than any case the sweep keeps open.
MAX_AGE = timedelta(days=3650)


def _age(value: str) -> timedelta | None:
    """``age`` is a minimum age in hours ("24"), or with a unit suffix: "36h", "3d"; anything else
    (not a number, negative, infinite, over ten years) is no filter."""
    value = value.strip().lower()
    if not value:
        return None
    unit = 24 if value.endswith("d") else 1
    try:
        hours = float(value.removesuffix("d").removesuffix("h")) * unit
    except ValueError:
        return None
    # Compared, not converted: timedelta() overflows on inf and huge numbers, and fails on nan.
    if not 0 <= hours <= MAX_AGE.total_seconds() / 3600:
        return None
    return timedelta(hours=hours)


def _choice(value: str, allowed: set[str]) -> str:
    return value if value in allowed else ""


def staff_users() -> list[Any]:
    """Who a case can be given to: active staff, by name."""
    return list(get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username"))


def decorate(cases: list[OrderException], now: datetime) -> list[dict[str, Any]]:
    """Each case with its words: kind, severity, queue, subject and detail (two queries for all)."""
    names = selectors.case_names(sorted({c.order_id for c in cases}))
    rows = []
    for case in cases:
        titles = names.line_titles.get(case.order_id, {})
        parcels = {
            key: labels.ShipmentRef(carrier, number)
            for key, (carrier, number) in names.shipments.get(case.order_id, {}).items()
        }
        rows.append(
            {
                "case": case,
                "kind": labels.kind_label(case.kind),
                "severity": labels.SEVERITY_LABELS.get(case.severity, case.severity),
                "queue": labels.QUEUE_LABELS.get(case.queue, case.queue),
                "subject": labels.subject_label(case.subject, titles, parcels),
                "detail": labels.detail_label(case.kind, case.detail, now, titles),
                "snoozed": case.snoozed_until is not None and case.snoozed_until > now,
                "return_rma": case.subject.removeprefix("return:")
                if case.subject.startswith("return:")
                else "",
            }
        )
    return rows


@staff_member_required
def home(request: HttpRequest) -> HttpResponse:
    """``/ops/``: the back office opens on the queue."""
    return redirect("exceptions:queue")


@staff_member_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open exceptions; GET filters ``kind``, ``severity``, ``queue``, ``carrier``, ``store`` (slug),
    ``age``, ``who`` (``me``, ``none`` or a user id), ``q`` (order number, e-mail, tracking number),
    ``sort`` (``oldest``/``newest``), ``snoozed`` (1: the snoozed cases instead)."""
    now = timezone.now()
    get = request.GET
    age = get.get("age", "").strip()
    min_age = _age(age)
    filters = {
        "kind": _choice(get.get("kind", ""), {k.value for k in ExceptionKind}),
        "severity": _choice(get.get("severity", ""), {s.value for s in Severity}),
        "queue": _choice(get.get("queue", ""), {q.value for q in Queue}),
        "carrier": get.get("carrier", "").strip()[:64],
        "store": get.get("store", "").strip()[:64],
        "age": age if min_age is not None else "",
        "who": get.get("who", "").strip(),
        "q": get.get("q", "").strip()[:200],
        "sort": _choice(get.get("sort", ""), {"oldest", "newest"}) or "oldest",
        "snoozed": "1" if get.get("snoozed") == "1" else "",
    }
    assignee_id: int | None = None
    if filters["who"] == "me":
        assignee_id = request.user.pk
    elif filters["who"].isdigit():
        assignee_id = int(filters["who"])
    elif filters["who"] != "none":
        filters["who"] = ""
    cases = selectors.open_exceptions(
        kind=filters["kind"],
        carrier=filters["carrier"],
        store=filters["store"],
        min_age=min_age,
        now=now,
        severity=filters["severity"],
        queue=filters["queue"],
        search=filters["q"],
        assignee_id=assignee_id,
        unassigned=filters["who"] == "none",
        snoozed=bool(filters["snoozed"]),
        newest_first=filters["sort"] == "newest",
    )
    page = Paginator(cases, PAGE_SIZE).get_page(get.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v and not (k == "sort" and v == "oldest")})
    return render(
        request,
        "exceptions/queue.html",
        {
            "page": page,
            "rows": decorate(list(page), now),
            "filters": filters,
            "query": query,
            "kinds": sorted(labels.KIND_LABELS.items(), key=lambda kv: kv[1]),
            "severities": list(labels.SEVERITY_LABELS.items()),
            "queues": list(labels.QUEUE_LABELS.items()),
            "stores": Store.objects.order_by("slug").values_list("slug", "name"),
            "staff": staff_users(),
            "now": now,
        },
    )


def contact_link(order: Order, step: Presented) -> str:
    """A ``mailto:`` prefilled with the order's next step as the customer is shown it, and the
    link to their tracking page ("" when the order has no e-mail address)."""
    if not order.email:
        return ""
    number = order.number or order.external_id
    track = settings.AFTERCART_BASE_URL.rstrip("/") + reverse(
        "web:track-order", args=[make_tracking_token(order)]
    )
    body = f"{step.headline}\n\n{step.detail}\n\n{track}\n\n{order.store.name}"
    subject = f"{order.store.name} – {number}: {step.headline}"
    return f"mailto:{quote(order.email, safe='@')}?subject={quote(subject)}&body={quote(body)}"


@staff_member_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order's next step and each of its subjects' (its returns …) as the customer is shown
    them, its lines and parcels, its facts in the order they happened, and its cases open and
    closed with their actions."""
    now = timezone.now()
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id)
    state, step = order_view(order, now)
    zone = customer_zone(state, order.store.timezone)
    with translation.override(state.locale or order.store.default_locale or "en"):
        customer_step = present(step, zone)
        link = contact_link(order, customer_step)
    cases = list(
        OrderException.objects.filter(order=order).select_related("assignee").order_by("-opened_at", "-pk")
    )
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
            "rows": decorate(cases, now),
            "lines": order.lines.order_by("pk"),
            "shipments": order.shipments.order_by("pk"),
            "contact_link": link,
            "staff": staff_users(),
            "now": now,
        },
    )
