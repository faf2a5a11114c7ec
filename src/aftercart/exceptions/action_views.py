"""The queue's actions (POST, staff only): each calls one service in :mod:`.actions` and answers
htmx with the case re-rendered (a queue row or the order page's card, ``view``), or redirects back
for a browser without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercart.exceptions import actions
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.views import decorate, staff_users


def _user(request: HttpRequest) -> Any:
    """The signed-in operator (staff_member_required let only them in)."""
    return request.user


def _answer(request: HttpRequest, case_id: int, error: str = "") -> HttpResponse:
    case = get_object_or_404(OrderException.objects.select_related("store", "order", "assignee"), pk=case_id)
    view = request.POST.get("view", "card")
    if request.headers.get("HX-Request") != "true":
        if error:
            messages.error(request, error)
        target = (
            reverse("exceptions:queue")
            if view == "row"
            else reverse("exceptions:order", args=[case.order_id])
        )
        return redirect(target)
    now = timezone.now()
    template = "exceptions/_queue_row.html" if view == "row" else "exceptions/_case_card.html"
    context: dict[str, Any] = {
        "row": decorate([case], now)[0],
        "staff": staff_users(),
        "now": now,
        "error": error,
    }
    response = render(request, template, context)
    if error:
        response["HX-Trigger"] = "case-refused"
    return response


def _act(request: HttpRequest, case_id: int, act: Callable[[], object]) -> HttpResponse:
    try:
        act()
    except (actions.CaseClosed, ValueError) as refused:
        return _answer(request, case_id, str(refused))
    return _answer(request, case_id)


@require_POST
@staff_member_required
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    """``assignee``: ``me``, a staff user's id, or empty for nobody."""
    value = request.POST.get("assignee", "")
    user: Any = None
    if value == "me":
        user = request.user
    elif value.isdigit():
        user = get_object_or_404(get_user_model(), pk=int(value), is_staff=True, is_active=True)
    return _act(request, case_id, lambda: actions.exception_assign(case_id=case_id, assignee=user))


@require_POST
@staff_member_required
def case_resolve(request: HttpRequest, case_id: int) -> HttpResponse:
    """``note``: what was done (required)."""
    note = request.POST.get("note", "")[:500]
    return _act(
        request,
        case_id,
        lambda: actions.exception_resolve_manually(
            case_id=case_id, user=_user(request), note=note, now=timezone.now()
        ),
    )


@require_POST
@staff_member_required
def case_snooze(request: HttpRequest, case_id: int) -> HttpResponse:
    """``hours``: how long (1 to 720); ``note``: why (optional)."""
    try:
        hours = max(1, min(int(request.POST.get("hours", "24")), 720))
    except ValueError:
        hours = 24
    now = timezone.now()
    note = request.POST.get("note", "")[:300]
    return _act(
        request,
        case_id,
        lambda: actions.exception_snooze(
            case_id=case_id, user=_user(request), until=now + timedelta(hours=hours), note=note, now=now
        ),
    )


@require_POST
@staff_member_required
def case_contacted(request: HttpRequest, case_id: int) -> HttpResponse:
    """``channel``: how the customer was reached (e-mail, phone …)."""
    channel = request.POST.get("channel", "e-mail").strip()[:40] or "e-mail"
    return _act(
        request,
        case_id,
        lambda: actions.exception_note_contacted(
            case_id=case_id, user=_user(request), channel=channel, now=timezone.now()
        ),
    )
