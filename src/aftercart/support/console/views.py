"""The agent's console, ``/ops/support/`` (staff only): the inbox, finding an order, one order's
timeline and next step, one conversation with its suggested reply and one-click actions.

Each POST validates, calls one service (the support app's agents services, or the console's
cancel) and answers 303 back to the page; with htmx the same views answer the fragment that
changed, and everything works without JavaScript.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftercart.domain.support.intents import INTENTS, OTHER
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present, subject_steps
from aftercart.orders.cancel import OrderDelivered
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.stores.models import Store
from aftercart.support import services
from aftercart.support.console.actions import CancelRefused, order_cancel_by_agent
from aftercart.support.console.reads import InboxFilters, can_cancel, inbox, match_candidates, order_search
from aftercart.support.console.suggest import reply_language, suggest_reply
from aftercart.support.models import Conversation
from aftercart.support.selectors import conversation_detail, conversations_for_order, state_counts
from aftercart.support.timeline import order_timeline

PAGE_SIZE = 50
#: The longest "waiting at least" filter: ten years (more is no filter).
MAX_AGE_HOURS = 24 * 3650


def _age(value: str) -> timedelta | None:
    """``age``: hours ("24", "36h") or days ("3d"); anything else is no filter."""
    value = value.strip().lower()
    if not value:
        return None
    unit = 24 if value.endswith("d") else 1
    try:
        hours = float(value.removesuffix("d").removesuffix("h")) * unit
    except ValueError:
        return None
    if not 0 <= hours <= MAX_AGE_HOURS:  # also refuses nan and inf
        return None
    return timedelta(hours=hours)


def _short(delta: timedelta) -> str:
    """A waiting time as an agent reads it: "45 min", "5 h", "3 d"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def _intent_label(code: str) -> str:
    return (code or OTHER).replace("_", " ").capitalize()


@staff_member_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    """Conversations waiting for someone, filtered by intent, state, store, age; 50 a page."""
    now = timezone.now()
    intent = request.GET.get("intent", "")
    intent = intent if intent in (*INTENTS, OTHER) else ""
    state = request.GET.get("state", "")
    state = state if state in (*Conversation.State.values, "all") else ""
    age = request.GET.get("age", "").strip()
    min_age = _age(age)
    filters = InboxFilters(
        intent=intent,
        state=state,
        store=request.GET.get("store", "").strip()[:64],
        min_age=min_age,
        mine_id=int(request.user.pk) if request.GET.get("mine") == "1" and request.user.pk else None,
    )
    page = Paginator(inbox(filters, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = state_counts()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": [
            {
                "c": c,
                "intent": _intent_label(c.intent),
                "waiting": _short(now - (c.last_inbound_at or c.created_at)),
            }
            for c in page.object_list
        ],
        "filters": {"intent": intent, "state": state, "store": filters.store, "age": age if min_age else ""},
        "mine": filters.mine_id is not None,
        "query": query.urlencode(),
        "intents": [(code, _intent_label(code)) for code in (*INTENTS, OTHER)],
        "states": Conversation.State.choices,
        "stores": Store.objects.order_by("slug").values_list("slug", flat=True),
        "counts": [(label, counts.get(code, 0)) for code, label in Conversation.State.choices],
    }
    template = (
        "support/console/_inbox_table.html"
        if request.headers.get("HX-Request")
        else "support/console/inbox.html"
    )
    return render(request, template, context)


@staff_member_required
def order_search_page(request: HttpRequest) -> HttpResponse:
    """Find an order by number, e-mail address, phone or tracking number."""
    q = request.GET.get("q", "").strip()
    store = Store.objects.filter(slug=request.GET.get("store", "")).first()
    results = order_search(q, store) if q else []
    if len(results) == 1 and not request.headers.get("HX-Request"):
        return HttpResponseRedirect(reverse("support_console:order", args=[results[0].pk]))
    template = (
        "support/console/_search_results.html"
        if request.headers.get("HX-Request")
        else "support/console/search.html"
    )
    return render(
        request,
        template,
        {"q": q, "results": results, "store": store, "stores": Store.objects.order_by("slug")},
    )


def _order_context(order: Order) -> dict[str, Any]:
    now = timezone.now()
    state, step = order_view(order, now)
    zone = customer_zone(state, order.store.timezone)
    return {
        "order": order,
        "state": state,
        "step": step,
        "next_step": present(step, zone),
        "subject_steps": [
            {"title": title, "step": present(s, zone)} for _subject, title, s in subject_steps(order)
        ],
        "timeline": order_timeline(order),
        "conversations": conversations_for_order(order_id=order.pk).select_related("assignee"),
        "can_cancel": can_cancel(state),
    }


@staff_member_required
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order: its next step as the customer sees it, its subjects' steps, its one timeline."""
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id)
    context = _order_context(order)
    state, step = context["state"], context["step"]
    language = reply_language(state.locale, order.store.default_locale)
    context["suggestion"] = suggest_reply(order=order, state=state, step=step, language=language)
    return render(request, "support/console/order.html", context)


@staff_member_required
def conversation_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """One conversation: what the customer wrote, the automation's decisions, the order's next
    step and timeline, a suggested reply to send or edit, and the actions."""
    detail = conversation_detail(public_id=public_id)
    if detail is None:
        return render(request, "support/console/missing.html", status=404)
    c = detail.conversation
    context: dict[str, Any] = {"c": c, "detail": detail, "intent": _intent_label(c.intent)}
    if c.order is not None:
        order = Order.objects.select_related("store").get(pk=c.order.pk)
        context.update(_order_context(order))
        state, step = context["state"], context["step"]
        language = reply_language(c.language, state.locale, order.store.default_locale)
        suggestion = suggest_reply(
            order=order, state=state, step=step, language=language, customer_name=c.customer_name
        )
        context["suggestion"] = suggestion
        context["reply_text"] = c.draft_reply or suggestion.text
    else:
        context["reply_text"] = c.draft_reply
        context["candidates"] = match_candidates(c)
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
    context["staff"] = staff
    return render(request, "support/console/conversation.html", context)


def _an_id(value: str) -> bool:
    """A primary key as posted: digits a database integer holds (longer ones name nothing)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def _back(request: HttpRequest, c: Conversation) -> HttpResponse:
    response = HttpResponseRedirect(reverse("support_console:conversation", args=[c.public_id]))
    response.status_code = 303
    return response


def _conversation(public_id: str) -> Conversation:
    return get_object_or_404(Conversation.objects.select_related("store", "order"), public_id=public_id)


@staff_member_required
@require_POST
def conversation_reply(request: HttpRequest, public_id: str) -> HttpResponse:
    """Send the (suggested or edited) reply on the channel the conversation came from."""
    c = _conversation(public_id)
    body = request.POST.get("body", "")
    if not body.strip():
        messages.error(request, "Write a reply before sending it.")
        return _back(request, c)
    services.reply_send(conversation=c, agent=request.user, body=body[:20000], now=timezone.now())
    messages.success(request, f"Reply queued on {c.get_channel_display()}.")
    return _back(request, c)


@staff_member_required
@require_POST
def conversation_assign(request: HttpRequest, public_id: str) -> HttpResponse:
    """Assign to me, to another staff user, or to nobody."""
    c = _conversation(public_id)
    target = request.POST.get("assignee", "")
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    if target == "me":
        assignee = request.user
    elif target == "":
        assignee = None
    else:
        assignee = users.filter(pk=int(target)).first() if _an_id(target) else None
        if assignee is None:
            messages.error(request, "No such staff user.")
            return _back(request, c)
    services.conversation_assign(conversation=c, agent=request.user, assignee=assignee, now=timezone.now())
    who = assignee.get_username() if assignee is not None else "nobody"
    messages.success(request, f"Assigned to {who}.")
    return _back(request, c)


@staff_member_required
@require_POST
def conversation_resolve(request: HttpRequest, public_id: str) -> HttpResponse:
    """Resolve (the customer writing again reopens it)."""
    c = _conversation(public_id)
    services.conversation_resolve(conversation=c, agent=request.user, now=timezone.now())
    messages.success(request, "Resolved.")
    return _back(request, c)


@staff_member_required
@require_POST
def conversation_reopen(request: HttpRequest, public_id: str) -> HttpResponse:
    """Put it back in the queue."""
    c = _conversation(public_id)
    services.conversation_reopen(conversation=c, agent=request.user, now=timezone.now())
    messages.success(request, "Reopened.")
    return _back(request, c)


@staff_member_required
@require_POST
def conversation_match(request: HttpRequest, public_id: str) -> HttpResponse:
    """Attach the conversation to one of its store's orders (an ambiguous or missed match)."""
    c = _conversation(public_id)
    raw = request.POST.get("order", "")
    order = Order.objects.filter(pk=int(raw), store_id=c.store_id).first() if _an_id(raw) else None
    if order is None:
        messages.error(request, "No such order in this store.")
        return _back(request, c)
    services.conversation_order_set(conversation=c, agent=request.user, order=order, now=timezone.now())
    messages.success(request, f"Matched to order {order}.")
    return _back(request, c)


@staff_member_required
@require_POST
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """Cancel an order that has not left the warehouse (from its page or a conversation's)."""
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id)
    public_id = request.POST.get("conversation", "")
    c = Conversation.objects.filter(public_id=public_id, order=order).first() if public_id else None
    try:
        order_cancel_by_agent(
            order=order,
            agent=request.user,
            now=timezone.now(),
            conversation=c,
            reason=request.POST.get("reason", "")[:200],
        )
        messages.success(request, f"Order {order} cancelled.")
    except (CancelRefused, OrderDelivered):
        messages.error(
            request, f"Order {order} has already left the warehouse (or was cancelled): not cancelled."
        )
    if c is not None:
        return _back(request, c)
    response = HttpResponseRedirect(reverse("support_console:order", args=[order.pk]))
    response.status_code = 303
    return response
