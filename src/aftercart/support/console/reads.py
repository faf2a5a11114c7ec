"""The console's reads: the inbox with its filters, and finding an order by what a customer gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.facts import normalise_tracking_number
from aftercart.domain.projection.state import OrderState
from aftercart.domain.vocabulary import Stage
from aftercart.orders.models import Order, Shipment
from aftercart.orders.personal_data import orders_of_customer
from aftercart.orders.selectors import normalise_number
from aftercart.stores.models import Store
from aftercart.support.models import Conversation

__all__ = ["InboxFilters", "can_cancel", "inbox", "match_candidates", "order_search"]

#: Most orders one search lists (a customer rarely has more; a number can repeat across stores).
MAX_RESULTS = 50
#: The inbox's default: what still needs someone (answered and resolved ones are a filter away).
OPEN_STATES = (Conversation.State.NEW, Conversation.State.NEEDS_AGENT, Conversation.State.WAITING)


@dataclass(frozen=True)
class InboxFilters:
    """The inbox's filters, as validated from the query string ("" for none)."""

    intent: str = ""
    state: str = ""
    store: str = ""
    min_age: timedelta | None = None
    mine_id: int | None = None


def inbox(filters: InboxFilters, *, now: datetime) -> QuerySet[Conversation]:
    """Conversations matching ``filters``, the longest waiting first (store, order and assignee
    loaded). No ``state``: every state but answered and resolved; ``state="all"``: every state."""
    rows = Conversation.objects.select_related("store", "order", "assignee")
    if filters.state == "all":
        pass
    elif filters.state:
        rows = rows.filter(state=filters.state)
    else:
        rows = rows.filter(state__in=OPEN_STATES)
    if filters.intent:
        rows = rows.filter(intent=filters.intent)
    if filters.store:
        rows = rows.filter(store__slug=filters.store)
    if filters.mine_id is not None:
        rows = rows.filter(assignee_id=filters.mine_id)
    if filters.min_age is not None:
        cutoff = now - filters.min_age
        rows = rows.filter(
            Q(last_inbound_at__lte=cutoff) | Q(last_inbound_at__isnull=True, created_at__lte=cutoff)
        )
    return rows.order_by("-priority", "last_inbound_at", "created_at", "pk")


def order_search(query: str, store: Store | None = None) -> list[Order]:
    """Orders a customer's words name: an order number (``#1001``), an e-mail address, a phone
    number (compared in E.164, read in each store's country) or a tracking number. Newest first."""
    q = (query or "").strip()[:254]
    if not q:
        return []
    stores = [store] if store is not None else list(Store.objects.all())
    ids: set[int] = set()
    if "@" in q:
        rows = Order.objects.filter(email=email_key(q))
        ids |= set((rows.filter(store=store) if store else rows).values_list("pk", flat=True)[:MAX_RESULTS])
    else:
        core = normalise_number(q)
        if core:
            variants = {core, f"#{core}", core.lower(), f"#{core.lower()}"}
            rows = Order.objects.filter(number__in=variants)
            ids |= set(
                (rows.filter(store=store) if store else rows).values_list("pk", flat=True)[:MAX_RESULTS]
            )
        tracking = normalise_tracking_number(q)
        if tracking:
            shipments = Shipment.objects.filter(tracking_number=tracking)
            if store is not None:
                shipments = shipments.filter(store=store)
            ids |= set(shipments.values_list("order_id", flat=True)[:MAX_RESULTS])
        digits = sum(ch.isdigit() for ch in q)
        if digits >= 6 and not ids:  # a phone number: only when nothing else matched
            for shop in stores:
                key = phone_key(q, shop.country)
                if key:
                    ids |= orders_of_customer(store_id=shop.pk, emails=(), phones=[key])
    return list(
        Order.objects.filter(pk__in=list(ids)[: MAX_RESULTS * 2])
        .select_related("store")
        .order_by("-placed_at", "-pk")[:MAX_RESULTS]
    )


def match_candidates(conversation: Conversation) -> list[Order]:
    """Orders an unmatched conversation may be about: the ones the matcher hesitated between, and
    the store's orders from the customer's e-mail address or phone, newest first."""
    ids = set(
        Order.objects.filter(
            store_id=conversation.store_id, public_id__in=conversation.candidates or []
        ).values_list("pk", flat=True)
    )
    email = email_key(conversation.customer_email)
    if email:
        rows = Order.objects.filter(store_id=conversation.store_id, email=email)
        ids |= set(rows.values_list("pk", flat=True)[:MAX_RESULTS])
    if conversation.customer_phone:
        phone = phone_key(conversation.customer_phone, conversation.store.country)
        ids |= orders_of_customer(store_id=conversation.store_id, emails=(), phones=[phone] if phone else [])
    return list(Order.objects.filter(pk__in=list(ids)).order_by("-placed_at", "-pk")[:MAX_RESULTS])


def can_cancel(state: OrderState) -> bool:
    """Whether an agent may cancel the order from the console: not cancelled, and nothing of it
    has left the warehouse (no parcel, no line handed over or collected) — before fulfilment."""
    if state.cancelled_at is not None or state.shipments:
        return False
    if state.stage not in (Stage.CONFIRMATION, Stage.FULFILMENT):
        return False
    handed = {"handed_to_carrier", "picked_up", "ready_for_pickup"}
    return not any(ln.status.value in handed or ln.shipped_quantity > 0 for ln in state.lines.values())
