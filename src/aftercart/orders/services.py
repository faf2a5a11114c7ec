"""Writes to the ledger: append facts once, re-project what they touch, hand changes to the planner.

Everything :func:`facts_record` does happens in one transaction, so a batch is kept whole or not at
all, and the outbox rows the planner writes commit with the facts that caused them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aftercart.domain.facts import Fact, FactKind, normalise_tracking_number
from aftercart.domain.milestones import newly_reached, reached
from aftercart.domain.next_step import next_step
from aftercart.domain.projection import OrderState, project
from aftercart.orders import planner
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import InboundDelivery, Order, OrderLine, Shipment
from aftercart.orders.selectors import facts_for_orders
from aftercart.stores.models import Store

#: SQLite caps bound parameters per statement; stay well below it when filtering by lists.
_IN_CHUNK = 900


@dataclass
class RecordResult:
    """What a call to :func:`facts_record` did."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    orphaned: int = 0
    order_ids: list[int] = field(default_factory=list)


def facts_record(*, store: Store, facts: Sequence[Fact], now: datetime | None = None) -> RecordResult:
    """Append new facts to the ledger (each idempotency key once) and update the projections.

    Duplicates, in the batch or already stored, are counted and ignored. A carrier event for a
    tracking number no shipment has yet is kept unattached and joins its order when the shipment
    is reported.
    """
    now = now or timezone.now()
    result = RecordResult(received=len(facts))
    unique: dict[str, Fact] = {}
    for fact in facts:
        unique.setdefault(fact.idempotency_key, fact)
    with transaction.atomic():
        stored = _existing_keys(store, list(unique))
        new = [f for key, f in unique.items() if key not in stored]
        result.duplicates = len(facts) - len(new)
        if not new:
            return result
        orders = _orders_for(store, new)
        order_for_tracking = _orders_for_tracking(store, new, orders)
        rows = []
        touched: set[int] = set()
        for fact in new:
            order = orders.get(fact.order_ref or "")
            tracking = normalise_tracking_number(fact.tracking_number or fact.payload.get("tracking_number"))
            order_id = order.pk if order else order_for_tracking.get(tracking or "")
            if order_id is None:
                result.orphaned += 1
            else:
                touched.add(order_id)
            rows.append(
                FactRow(
                    store_id=store.pk,
                    order_id=order_id,
                    kind=fact.kind.value,
                    occurred_at=fact.occurred_at,
                    recorded_at=now,
                    source=fact.source,
                    idempotency_key=fact.idempotency_key,
                    order_ref=fact.order_ref or "",
                    tracking_number=tracking or "",
                    payload=dict(fact.payload),
                )
            )
        FactRow.objects.bulk_create(rows, ignore_conflicts=True)
        touched |= _attach_orphans(store, new, orders)
        result.accepted = len(new)
        _reproject(sorted(touched), now)
        result.order_ids = sorted(touched)
    return result


def orders_rebuild(
    *, store: Store | None = None, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Recompute every cached projection from the facts. Returns the number of orders rebuilt.

    Milestones are recomputed too but the planner is not called: a rebuild never re-sends.
    """
    orders = Order.objects.order_by("pk")
    if store is not None:
        orders = orders.filter(store=store)
    ids = list(orders.values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            _reproject(chunk, now, notify=False)
        if progress:
            progress(len(chunk))
    return len(ids)


# --- internals ----------------------------------------------------------------------------------


def _chunks(values: Sequence, size: int = _IN_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_keys(store: Store, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(
            FactRow.objects.filter(store=store, idempotency_key__in=chunk).values_list(
                "idempotency_key", flat=True
            )
        )
    return found


def _orders_for(store: Store, facts: list[Fact]) -> dict[str, Order]:
    """The order row for every order_ref in the batch, creating bare rows for new ones."""
    refs = sorted({f.order_ref for f in facts if f.order_ref})
    orders: dict[str, Order] = {}
    for chunk in _chunks(refs):
        orders.update({o.external_id: o for o in Order.objects.filter(store=store, external_id__in=chunk)})
    missing = [ref for ref in refs if ref not in orders]
    if missing:
        # ignore_conflicts: a concurrent request may create the same order; we re-read below.
        Order.objects.bulk_create([Order(store=store, external_id=ref) for ref in missing], ignore_conflicts=True)
        for chunk in _chunks(missing):
            orders.update(
                {o.external_id: o for o in Order.objects.filter(store=store, external_id__in=chunk)}
            )
    return orders


def _orders_for_tracking(store: Store, facts: list[Fact], orders: dict[str, Order]) -> dict[str, int]:
    """tracking number → order id, for facts that name a parcel but not an order."""
    mapping: dict[str, int] = {}
    for fact in facts:
        if fact.kind is FactKind.SHIPMENT_CREATED and fact.order_ref in orders:
            number = normalise_tracking_number(fact.payload.get("tracking_number"))
            if number:
                mapping[number] = orders[fact.order_ref or ""].pk
    wanted = sorted(
        {
            n
            for f in facts
            if not f.order_ref
            for n in [normalise_tracking_number(f.tracking_number or f.payload.get("tracking_number"))]
            if n and n not in mapping
        }
    )
    for chunk in _chunks(wanted):
        for number, order_id in Shipment.objects.filter(store=store, tracking_number__in=chunk).values_list(
            "tracking_number", "order_id"
        ):
            mapping.setdefault(number, order_id)
    return mapping


def _attach_orphans(store: Store, facts: list[Fact], orders: dict[str, Order]) -> set[int]:
    """Give waiting carrier events to the order whose shipment now names their tracking number."""
    by_order: dict[int, list[str]] = defaultdict(list)
    for fact in facts:
        if fact.kind is FactKind.SHIPMENT_CREATED and fact.order_ref in orders:
            number = normalise_tracking_number(fact.payload.get("tracking_number"))
            if number:
                by_order[orders[fact.order_ref or ""].pk].append(number)
    touched = set()
    for order_id, numbers in by_order.items():
        if FactRow.objects.filter(store=store, order__isnull=True, tracking_number__in=numbers).update(
            order_id=order_id
        ):
            touched.add(order_id)
    return touched


def _reproject(order_ids: Sequence[int], now: datetime, notify: bool = True) -> None:
    if not order_ids:
        return
    facts = facts_for_orders(order_ids)
    orders = {o.pk: o for o in Order.objects.filter(pk__in=order_ids)}
    shipments: dict[int, dict[str, Shipment]] = defaultdict(dict)
    for shipment in Shipment.objects.filter(order_id__in=order_ids):
        shipments[shipment.order_id][shipment.key] = shipment
    lines: dict[int, dict[str, OrderLine]] = defaultdict(dict)
    for line in OrderLine.objects.filter(order_id__in=order_ids):
        lines[line.order_id][line.line_id] = line

    changed_orders, new_shipments, changed_shipments, new_lines, changed_lines = [], [], [], [], []
    for order_id, order in orders.items():
        state = project(facts.get(order_id, ()), order.external_id)
        step = next_step(state, now)
        milestones = reached(state)
        if notify:
            fresh = newly_reached(order.milestones, milestones)
            if fresh:
                planner.dispatch(order=order, state=state, reached=fresh, now=now)
        _copy_order(order, state, step.code.value, [m.key for m in milestones])
        changed_orders.append(order)
        _sync_shipments(order, state, shipments[order_id], new_shipments, changed_shipments)
        _sync_lines(order, state, lines[order_id], new_lines, changed_lines)

    Order.objects.bulk_update(changed_orders, _ORDER_FIELDS)
    Shipment.objects.bulk_create(new_shipments)
    if changed_shipments:
        Shipment.objects.bulk_update(changed_shipments, _SHIPMENT_FIELDS)
    OrderLine.objects.bulk_create(new_lines)
    if changed_lines:
        OrderLine.objects.bulk_update(changed_lines, _LINE_FIELDS)


_ORDER_FIELDS = [
    "number",
    "email",
    "postal_code",
    "placed_at",
    "currency",
    "total",
    "stage",
    "next_step",
    "milestones",
    "state",
    "fact_count",
    "last_event_at",
]
_SHIPMENT_FIELDS = [
    "carrier",
    "tracking_number",
    "tag",
    "subtag",
    "status_at",
    "shipped_at",
    "delivered_at",
    "estimated_delivery",
    "first_estimated_delivery",
    "last_checkpoint_at",
]
_LINE_FIELDS = [
    "sku",
    "title",
    "variant",
    "product_id",
    "quantity",
    "unit_price",
    "status",
    "shipped_quantity",
    "unavailable_quantity",
]


def _copy_order(order: Order, state: OrderState, step_code: str, milestones: list[str]) -> None:
    order.number = state.number[:64]
    order.email = state.email.lower()[:254]
    order.postal_code = _postal(state.postal_code)
    order.placed_at = state.placed_at
    order.currency = state.currency[:3]
    order.total = state.total
    order.stage = state.stage.value
    order.next_step = step_code
    order.milestones = milestones
    order.state = state.to_json()
    order.fact_count = state.fact_count
    order.last_event_at = state.last_event_at


def _postal(value: str) -> str:
    """Postal codes compare without spaces, dashes or case ("SW1A 1AA" = "sw1a1aa")."""
    return "".join(ch for ch in value if ch.isalnum()).upper()[:32]


def _sync_shipments(order: Order, state: OrderState, existing: dict[str, Shipment], new: list, changed: list) -> None:
    for key, s in state.shipments.items():
        values = {
            "carrier": s.carrier[:64],
            "tracking_number": s.tracking_number[:64],
            "tag": s.tag.value,
            "subtag": s.subtag.value,
            "status_at": s.status_at,
            "shipped_at": s.first_scan_at or s.created_at,
            "delivered_at": s.delivered_at,
            "estimated_delivery": s.estimated_delivery,
            "first_estimated_delivery": s.first_estimated_delivery,
            "last_checkpoint_at": max((c.occurred_at for c in s.checkpoints), default=None),
        }
        row = existing.get(key)
        if row is None:
            new.append(Shipment(store_id=order.store_id, order=order, key=key[:160], **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)


def _sync_lines(order: Order, state: OrderState, existing: dict[str, OrderLine], new: list, changed: list) -> None:
    for line_id, ln in state.lines.items():
        values = {
            "sku": ln.sku[:128],
            "title": ln.title[:300],
            "variant": ln.variant[:200],
            "product_id": ln.product_id[:128],
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "status": ln.status.value,
            "shipped_quantity": ln.shipped_quantity,
            "unavailable_quantity": ln.unavailable_quantity,
        }
        row = existing.get(line_id)
        if row is None:
            new.append(OrderLine(order=order, line_id=line_id[:128], **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)


def inbound_delivery_record(
    *, store: Store, source: str, delivery_id: str, topic: str, facts: Sequence[Fact]
) -> tuple[bool, RecordResult]:
    """Record a webhook delivery and its facts together. Returns (is_new, result); a delivery id
    seen before records nothing."""

    with transaction.atomic():
        _, created = InboundDelivery.objects.get_or_create(
            store=store, source=source, delivery_id=delivery_id[:200], defaults={"topic": topic[:64]}
        )
        if not created:
            return False, RecordResult(received=len(facts), duplicates=len(facts))
        result = facts_record(store=store, facts=facts)
        InboundDelivery.objects.filter(store=store, source=source, delivery_id=delivery_id[:200]).update(
            facts_received=result.received, facts_accepted=result.accepted
        )
        return True, result
