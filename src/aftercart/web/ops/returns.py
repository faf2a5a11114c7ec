"""``/ops/returns/``: the store's returns with filters, one return's page, and the team's buttons
(approve, reject, mark received, inspect, refund/resolve, cancel), each through the same
``returns.services.transition.return_transition`` the API calls, so a step from the back office is
the same fact, with the same rules and messages, as one from the API."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercart.domain.returns.lifecycle import IllegalTransition, Inspection, ReturnEvent, ReturnStatus
from aftercart.kernel.presenter import present
from aftercart.returns import selectors
from aftercart.returns.models import Return
from aftercart.returns.services.transition import return_transition
from aftercart.web.ops.common import chosen_store

PAGE_SIZE = 50

STATUS_LABELS: dict[str, str] = {
    ReturnStatus.REQUESTED: "Requested",
    ReturnStatus.APPROVED: "Approved",
    ReturnStatus.LABEL_ISSUED: "Label issued",
    ReturnStatus.IN_TRANSIT: "On its way back",
    ReturnStatus.RECEIVED: "Received",
    ReturnStatus.INSPECTED: "Inspected",
    ReturnStatus.RESOLVED: "Resolved",
    ReturnStatus.REJECTED: "Rejected",
    ReturnStatus.CANCELLED: "Cancelled",
}
REASON_LABELS: dict[str, str] = {
    "size_too_small": "Too small",
    "size_too_large": "Too large",
    "not_as_described": "Not as described",
    "damaged": "Arrived damaged",
    "defective": "Defective",
    "changed_mind": "Changed their mind",
    "arrived_late": "Arrived late",
    "other": "Other",
}
STEP_LABELS: dict[str, str] = {
    "requested": "Requested",
    "approve": "Approved",
    "reject": "Rejected",
    "issue_label": "Label issued",
    "mark_in_transit": "Carrier scanned it",
    "mark_received": "Received",
    "inspect": "Inspected",
    "resolve": "Refund, credit or exchange recorded",
    "cancel": "Cancelled",
}
RESOLUTION_LABELS = {"refund": "Refund", "store_credit": "Store credit", "exchange": "Exchange"}

#: The buttons each status offers: (action in the URL, label, event, what the form asks).
ACTIONS: dict[str, list[tuple[str, str, ReturnEvent, str]]] = {
    ReturnStatus.REQUESTED: [
        ("approve", "Approve", ReturnEvent.APPROVE, ""),
        ("reject", "Reject", ReturnEvent.REJECT, "reason"),
        ("cancel", "Cancel", ReturnEvent.CANCEL, "reason"),
    ],
    ReturnStatus.APPROVED: [
        ("receive", "Mark received", ReturnEvent.MARK_RECEIVED, ""),
        ("resolve", "Refund / resolve without return", ReturnEvent.RESOLVE, "reference"),
        ("cancel", "Cancel", ReturnEvent.CANCEL, "reason"),
    ],
    ReturnStatus.LABEL_ISSUED: [
        ("receive", "Mark received", ReturnEvent.MARK_RECEIVED, ""),
        ("cancel", "Cancel", ReturnEvent.CANCEL, "reason"),
    ],
    ReturnStatus.IN_TRANSIT: [("receive", "Mark received", ReturnEvent.MARK_RECEIVED, "")],
    ReturnStatus.RECEIVED: [("inspect", "Record inspection", ReturnEvent.INSPECT, "inspection")],
    ReturnStatus.INSPECTED: [
        ("resolve", "Record refund / credit / exchange", ReturnEvent.RESOLVE, "reference")
    ],
}
_BY_ACTION = {action: event for moves in ACTIONS.values() for action, _, event, _ in moves}


@staff_member_required
def returns_list(request: HttpRequest) -> HttpResponse:
    """GET ``store``, ``status``, ``review`` (1: needing review), ``q`` (RMA, order number or id,
    e-mail)."""
    stores, store = chosen_store(request)
    status = request.GET.get("status", "")
    status = status if status in STATUS_LABELS else ""
    review = request.GET.get("review") == "1"
    q = request.GET.get("q", "").strip()[:200]
    rows = Return.objects.none()
    if store is not None:
        rows = selectors.returns_list(store, status=status or None, needs_review=True if review else None)
        if q:
            rows = rows.filter(
                Q(rma__iexact=q)
                | Q(order__number__iexact=q.removeprefix("#"))
                | Q(order__number__iexact=f"#{q.removeprefix('#')}")
                | Q(order__external_id=q)
                | Q(email__iexact=q)
            )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        "store": store.slug if store else "",
        "status": status,
        "review": "1" if review else "",
        "q": q,
    }
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(
        request,
        "web/ops/returns.html",
        {
            "stores": stores,
            "store": store,
            "page": page,
            "filters": filters,
            "query": query,
            "statuses": list(STATUS_LABELS.items()),
            "status_labels": STATUS_LABELS,
            "now": timezone.now(),
        },
    )


def _return(rma: str) -> Return:
    return get_object_or_404(
        Return.objects.select_related("order", "store", "policy").prefetch_related("lines"), rma=rma
    )


@staff_member_required
def return_detail(request: HttpRequest, rma: str) -> HttpResponse:
    ret = _return(rma)
    step = present(selectors.return_step(ret), ZoneInfo(ret.store.timezone or "UTC"))
    lines: list[dict[str, Any]] = [
        {
            "line": line,
            "reason": REASON_LABELS.get(line.reason, line.reason),
            "resolution": RESOLUTION_LABELS.get(line.resolution, line.resolution),
            "condition": line.condition.replace("_", " ").capitalize(),
        }
        for line in ret.lines.all()
    ]
    return render(
        request,
        "web/ops/return.html",
        {
            "ret": ret,
            "status": STATUS_LABELS.get(ret.status, ret.status),
            "step": step,
            "lines": lines,
            "actions": ACTIONS.get(ret.status, []),
            "facts": [
                {
                    "fact": fact,
                    "step": STEP_LABELS.get(fact.kind, fact.kind.replace("_", " ").capitalize()),
                    "status": STATUS_LABELS.get(fact.status, fact.status),
                }
                for fact in ret.facts.order_by("occurred_at", "pk")
            ],
            "status_labels": STATUS_LABELS,
        },
    )


@require_POST
@staff_member_required
def return_act(request: HttpRequest, rma: str, action: str) -> HttpResponse:
    """One step of the return, by the signed-in operator (the fact's actor)."""
    event = _BY_ACTION.get(action)
    if event is None:
        raise Http404("No such action")
    ret = _return(rma)
    post = request.POST
    inspection: Inspection | None = None
    accepted: list[str] = []
    if event == ReturnEvent.INSPECT:
        try:
            inspection = Inspection(post.get("result", ""))
        except ValueError:
            messages.error(request, "Choose the inspection's result.")
            return redirect("web:ops-return", rma=ret.rma)
        accepted = post.getlist("accepted_lines")
    try:
        return_transition(
            ret=ret,
            event=event,
            actor=f"ops:{request.user.get_username()}",
            reason=post.get("reason", "").strip()[:500],
            reference=post.get("reference", "").strip()[:200],
            inspection=inspection,
            accepted_lines=accepted,
        )
    except IllegalTransition as refused:
        messages.error(request, str(refused))
    else:
        ret.refresh_from_db()
        messages.success(request, f"Return {ret.rma}: {STATUS_LABELS.get(ret.status, ret.status)}.")
    return redirect(reverse("web:ops-return", args=[ret.rma]))
