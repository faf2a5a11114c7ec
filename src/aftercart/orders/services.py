"""Writes to the ledger: append facts once, re-project what they touch, publish what changed.

Two ways in, both durable step by step:

* :func:`facts_record` appends and projects in one transaction, so a batch is kept whole or not at
  all and the caller reads its own writes (API requests, imports, the demo).
* :func:`facts_append` appends and marks the touched orders as pending projection in one
  transaction; :func:`projection_drain` later projects many appends' worth of an order at once, in
  one transaction. Carrier firehoses use it: an active parcel's order gets several events a second.

Either way the batch's events (:mod:`aftercart.orders.events`) are handled in that transaction: the
outbox rows written commit with the projection that decided them, of facts durable in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from aftercart.domain.addresses import postal_code_key
from aftercart.domain.exceptions import DEFAULT_RULES
from aftercart.domain.facts import Fact, FactKind, normalise_tracking_number
from aftercart.domain.milestones import newly_reached, reached
from aftercart.domain.next_step import next_step
from aftercart.domain.projection.fold import can_extend, project
from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot
from aftercart.domain.projection.state import LineState, OrderState, ShipmentState
from aftercart.kernel import events
from aftercart.kernel.db import chunks, delete_in, insert_rows, rows_in, update_rows, update_rows_where
from aftercart.orders import state_cache
from aftercart.orders.events import ForeignParcelEvents, MilestonesReached, OrderProjected, Planned, Tracked
from aftercart.orders.ledger_sql import (
    LINE_FIELDS,
    ORDER_FIELDS,
    SCAN_COLUMNS,
    SHIPMENT_FIELDS,
    existing_keys,
    facts_after,
    facts_insert,
    lock_for_append,
)
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import InboundDelivery, Order, OrderLine, PendingProjection, Shipment
from aftercart.orders.parcels import parcels_claimed
from aftercart.orders.selectors import facts_for_orders
from aftercart.stores.detection_rules import rules_for_stores
from aftercart.stores.models import Store

#: Orders one :func:`projection_drain` projects in its transaction (a firehose second's worth).
DRAIN_LIMIT = 5000
_LOCKED_COLUMNS = ("id", "store", "external_id", "fact_count", "token_version")  # OrderRow's arguments


class OrderRow:
    """The order columns the ledger reads and writes back: what ``_reproject`` works on instead of
    ``Order`` model instances (building ~900 of those per batch was ~4% of ingest). Receivers get
    it as ``Planned.order``: use its ``pk``, ``store_id`` and ``external_id``."""

    __slots__ = ("id", "store_id", "external_id", "token_version", *ORDER_FIELDS)
    number: str
    email: str
    postal_code: str
    placed_at: datetime | None
    currency: str
    total: Decimal | None
    stage: str
    next_step: str
    milestones: list[str]
    snapshot: dict[str, Any]
    fact_count: int
    last_event_at: datetime | None

    def __init__(self, id: int, store_id: int, external_id: str, fact_count: int, token_version: int) -> None:
        self.id, self.store_id, self.external_id, self.fact_count = id, store_id, external_id, fact_count
        self.token_version = token_version  # raised by an erasure: the state cache's entries are stale

    @property
    def pk(self) -> int:
        """The order's id, as on a model instance."""
        return self.id


@dataclass
class RecordResult:
    """What a call to :func:`facts_record` did."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    orphaned: int = 0
    order_ids: list[int] = field(default_factory=list)


def facts_record(
    *, store: Store, facts: Sequence[Fact], now: datetime | None = None, notify: bool = True
) -> RecordResult:
    """Append new facts to the ledger (each idempotency key once) and update the projections, in one
    transaction: when it returns, the orders show the new facts.

    Duplicates, in the batch or already stored, are counted and ignored. A carrier event for a
    tracking number no shipment has yet is kept unattached and joins its order when the shipment
    is reported. ``notify=False`` is for backfills (imports of history): projections are updated
    and milestones recorded, but no event is published, so nobody is messaged about the past.
    A high-volume feed that need not read its own writes uses :func:`facts_append` instead.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appended = _append(store, facts, now, mark=False)
        if appended.new:
            _reproject(appended.touched, now, notify=notify, fresh=appended.fresh, full=appended.adopted)
            if notify and appended.tracked:
                events.publish(ForeignParcelEvents(store=store, events=appended.tracked, now=now))
    return appended.result


def facts_append(*, store: Store, facts: Sequence[Fact], now: datetime | None = None) -> RecordResult:
    """Append new facts to the ledger like :func:`facts_record`, and only mark the orders they touch
    as pending projection: :func:`projection_drain` (the worker, every second) folds them later.

    For carrier firehoses: an order with 5 scans in a second is projected once, not 5 times. The
    facts and the marker commit together, so a crash before the drain loses nothing. Events of
    parcels something else owns (returns) are handed over here, as :func:`facts_record` does.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appended = _append(store, facts, now, mark=True)
        if appended.tracked:
            events.publish(ForeignParcelEvents(store=store, events=appended.tracked, now=now))
    return appended.result


def projection_drain(*, now: datetime | None = None, limit: int = DRAIN_LIMIT) -> int:
    """Project up to ``limit`` orders marked by :func:`facts_append` (oldest marks first) and publish
    their events, in one transaction: each outbox row commits with the projection that decided
    it from durable facts. Returns the number of orders projected (0: nothing was pending)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Not locked here: every writer locks the order rows first and the marks after them, so
        # the marks are read again under the order locks (``only_marked`` skips orders another
        # drain projected meanwhile). Locking marks first would deadlock with facts_record.
        pending = PendingProjection.objects.order_by("marked_at", "order_id")
        order_ids = sorted(pending.values_list("order_id", flat=True)[:limit])
        return _reproject(order_ids, now, notify=True, only_marked=True)


def projection_pending() -> int:
    """How many orders wait for :func:`projection_drain`."""
    return PendingProjection.objects.count()


@dataclass
class _Appended:
    """What :func:`_append` stored, for the projection that follows it."""

    result: RecordResult
    new: list[Fact] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    fresh: dict[int, list[Fact]] = field(default_factory=dict)
    adopted: set[int] = field(default_factory=set)
    tracked: list[Tracked] = field(default_factory=list)


def _append(store: Store, facts: Sequence[Fact], now: datetime, *, mark: bool) -> _Appended:
    """Dedupe, route and insert the facts (inside the caller's transaction). With ``mark``, the
    orders they touch get a ``PendingProjection`` row in the same transaction."""
    result = RecordResult(received=len(facts))
    appended = _Appended(result)
    unique: dict[str, Fact] = {}
    for fact in facts:
        unique.setdefault(fact.idempotency_key, fact)
    stored = existing_keys(store.pk, list(unique))
    new = [f for key, f in unique.items() if key not in stored]
    result.duplicates = len(facts) - len(new)
    if not new:
        return appended
    orders = _orders_for(store, new)
    order_for_tracking = _orders_for_tracking(store, new, orders)
    claims = parcels_claimed(store, _event_numbers(new))
    rows = []
    touched: set[int] = set()
    fresh: dict[int, list[Fact]] = defaultdict(list)
    tracked: list[Tracked] = []
    for fact in new:
        order = orders.get(fact.order_ref or "")
        tracking = normalise_tracking_number(fact.tracking_number or fact.payload.get("tracking_number"))
        order_id = order.pk if order else order_for_tracking.get(tracking or "")
        if tracking in claims and fact.kind is FactKind.TRACKING_EVENT:
            # A parcel something else owns (a return's): kept in the ledger, off the order.
            order_id = None
            tracked.append(Tracked(tracking, fact))
        elif order_id is None:
            result.orphaned += 1
        else:
            touched.add(order_id)
            fresh[order_id].append(fact)
        rows.append(
            (
                store.pk,
                order_id,
                fact.kind.value,
                fact.occurred_at,
                now,
                fact.source,
                fact.idempotency_key,
                fact.order_ref or "",
                tracking or "",
                fact.payload,
            )
        )
    watermark = lock_for_append(sorted(touched)) if mark else 0
    facts_insert(rows)
    adopted = _attach_orphans(store, new, orders)
    touched |= adopted
    if mark:
        _mark_pending(sorted(touched), watermark, adopted, now)
    result.accepted = len(new)
    result.order_ids = sorted(touched)
    appended.new, appended.touched, appended.fresh = new, result.order_ids, fresh
    appended.adopted, appended.tracked = adopted, tracked
    return appended


def _mark_pending(order_ids: Sequence[int], watermark: int, refold: set[int], now: datetime) -> None:
    """Mark the orders as behind their facts. An order marked already keeps its older watermark (its
    unfolded facts start there); orders that adopted older facts are folded from scratch."""
    insert_rows(
        PendingProjection,
        ("order", "after_fact_id", "refold", "marked_at"),
        [(order_id, watermark, order_id in refold, now) for order_id in order_ids],
    )
    if refold:
        PendingProjection.objects.filter(order_id__in=sorted(refold)).update(refold=True)


def _take_pending(order_ids: Sequence[int], *, keep: bool = False) -> dict[int, tuple[int, bool]]:
    """The pending markers of these (locked) orders, deleted (unless ``keep``): the caller projects
    the orders in this transaction. order id → (watermark, refold)."""
    markers = {
        order_id: (after, bool(refold))
        for order_id, after, refold in rows_in(
            PendingProjection, ("order", "after_fact_id", "refold"), "order", order_ids
        )
    }
    if markers and not keep:
        delete_in(PendingProjection, "order", sorted(markers))
    return markers


def orders_rebuild(
    *, store: Store | None = None, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Recompute every cached projection from the facts. Returns the number of orders rebuilt.

    Milestones are recomputed too but no event is published: a rebuild never re-sends. Orders
    pending projection (carrier events appended, not drained yet) are left to the drain, which
    plans their messages: a rebuild must not fold them silently.
    """
    orders = Order.objects.order_by("pk")
    if store is not None:
        orders = orders.filter(store=store)
    ids = list(orders.values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            _reproject(chunk, now, notify=False, skip_marked=True)  # no fresh facts: all re-read
        if progress:
            progress(len(chunk))
    return len(ids)


# --- internals ----------------------------------------------------------------------------------


def _orders_for(store: Store, facts: list[Fact]) -> dict[str, Order]:
    """The order row for every order_ref in the batch, creating bare rows for new ones."""
    refs = sorted({f.order_ref for f in facts if f.order_ref})
    orders: dict[str, Order] = {}
    for chunk in chunks(refs):
        orders.update({o.external_id: o for o in Order.objects.filter(store=store, external_id__in=chunk)})
    missing = [ref for ref in refs if ref not in orders]
    if missing:
        # ignore_conflicts: a concurrent request may create the same order; we re-read below.
        Order.objects.bulk_create(
            [Order(store=store, external_id=ref) for ref in missing], ignore_conflicts=True
        )
        for chunk in chunks(missing):
            orders.update(
                {o.external_id: o for o in Order.objects.filter(store=store, external_id__in=chunk)}
            )
    return orders


def _event_numbers(facts: list[Fact]) -> list[str]:
    """The parcels the batch's carrier events are about (normalised, once each)."""
    numbers = {
        normalise_tracking_number(f.tracking_number or f.payload.get("tracking_number"))
        for f in facts
        if f.kind is FactKind.TRACKING_EVENT
    }
    return sorted(n for n in numbers if n)


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
    for number, order_id in rows_in(
        Shipment, ("tracking_number", "order"), "tracking_number", wanted, equal={"store": store.pk}
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


def _reproject(
    order_ids: Sequence[int],
    now: datetime,
    *,
    notify: bool = True,
    fresh: dict[int, list[Fact]] | None = None,
    full: set[int] | frozenset[int] = frozenset(),
    only_marked: bool = False,
    skip_marked: bool = False,
) -> int:
    """Bring the cached projections of these orders up to date. Returns how many were projected.

    Facts that sort after an order's snapshot (the common case: carriers report in order) are
    folded onto it; anything else (a late fact, adopted orphans, a rebuild) re-reads the order's
    facts and folds them from scratch. Both give the same state (a tested property). Shipment and
    line rows are compared with what the order had before and only differences are written.

    ``fresh`` holds the facts the caller just stored; facts appended earlier and not projected
    yet (orders with a ``PendingProjection`` marker) are read from the ledger and folded with
    them, and the markers are deleted. ``only_marked``: skip orders no longer marked (another
    drain projected them while this one waited for their lock). ``skip_marked``: skip marked
    orders and keep their marks (a rebuild leaves them to the drain).
    """
    if not order_ids:
        return 0
    fresh = dict(fresh or {})
    # Locked: two transactions folding new facts onto the same order must take turns, or the second
    # would overwrite the first's snapshot (PostgreSQL; SQLite already serialises writers).
    orders = {row[0]: OrderRow(*row) for row in rows_in(Order, _LOCKED_COLUMNS, "id", order_ids, lock=True)}
    markers = _take_pending(list(orders), keep=skip_marked)
    if skip_marked:
        orders = {order_id: order for order_id, order in orders.items() if order_id not in markers}
        markers = {}
    if only_marked:
        orders = {order_id: order for order_id, order in orders.items() if order_id in markers}
    if markers:
        full = set(full) | {order_id for order_id, (_, refold) in markers.items() if refold}
        behind = {order_id: after for order_id, (after, refold) in markers.items() if not refold}
        for order_id, stored in facts_after(behind).items():
            # The caller's facts are in the ledger too (stored after the watermark): once each.
            merged = {f.idempotency_key: f for f in stored}
            for fact in fresh.get(order_id, ()):
                merged.setdefault(fact.idempotency_key, fact)
            fresh[order_id] = list(merged.values())
    previous: dict[int, tuple[OrderState | None, list[str]]] = {}  # None: no snapshot yet
    for order_id, order in orders.items():
        cached = state_cache.take(order_id, (order.fact_count, order.token_version))
        if cached is not None:
            previous[order_id] = cached
    misses = [order_id for order_id in orders if order_id not in previous]
    for chunk in chunks(misses):
        for order_id, snapshot, milestones in Order.objects.filter(pk__in=chunk).values_list(
            "pk", "snapshot", "milestones"
        ):
            previous[order_id] = (from_snapshot(snapshot) if snapshot else None, milestones)
    states: dict[int, OrderState] = {}
    before_shipments: dict[int, dict[str, tuple]] = {}
    before_lines: dict[int, dict[str, tuple]] = {}
    refold: list[int] = []
    #: Orders that only got carrier scans folded on, with their stage before: their order-level
    #: fields (number, e-mail, totals...) cannot have changed, so only progress columns are written.
    scans_only: dict[int, str] = {}
    for order_id, order in orders.items():
        new_facts = fresh.get(order_id)
        base = previous[order_id][0]
        order.milestones = previous[order_id][1]
        if new_facts and base is not None and order_id not in full and can_extend(base, new_facts):
            before_shipments[order_id] = {k: _shipment_columns(s) for k, s in base.shipments.items()}
            if any(f.kind not in _SCAN_ONLY for f in new_facts):
                before_lines[order_id] = {k: _line_columns(ln) for k, ln in base.lines.items()}
            else:
                scans_only[order_id] = base.stage.value
            states[order_id] = project(new_facts, order.external_id, base=base, checkpoints=False)
            continue
        refold.append(order_id)
    if refold:
        history = facts_for_orders(refold)
        for order_id in refold:
            states[order_id] = project(
                history.get(order_id, ()), orders[order_id].external_id, checkpoints=False
            )
            before_shipments[order_id], before_lines[order_id] = {}, {}
        for chunk in chunks(refold):
            for order_id, key, *cols in Shipment.objects.filter(order_id__in=chunk).values_list(
                "order_id", "key", *SHIPMENT_FIELDS
            ):
                before_shipments[order_id][key] = tuple(cols)
            for order_id, line_id, *cols in OrderLine.objects.filter(order_id__in=chunk).values_list(
                "order_id", "line_id", *LINE_FIELDS
            ):
                before_lines[order_id][line_id] = tuple(cols)

    planned: list[Planned] = []
    projected: list[Planned] = []
    want_projected = notify and events.has_subscribers(OrderProjected)
    new_shipments, stale_shipments = [], []
    # Rows grouped by the columns that changed, one UPDATE each: SQLite rewrites every index on a
    # column named in SET (the tracking-number index on every scan, otherwise).
    changed_shipments: dict[tuple[int, ...], list[tuple]] = defaultdict(list)
    progress: dict[tuple[str, ...], list[OrderRow]] = defaultdict(list)
    new_lines, changed_lines = [], []
    rules = rules_for_stores({order.store_id for order in orders.values()})
    for order_id, order in orders.items():
        state = states[order_id]
        step = next_step(state, now, rules.get(order.store_id, DEFAULT_RULES))
        milestones = reached(state)
        if notify:
            newly = newly_reached(order.milestones, milestones)
            if newly:
                planned.append(Planned(order=order, state=state, reached=newly))
            if want_projected:
                projected.append(Planned(order=order, state=state, reached=newly))
        if order_id in scans_only:
            keys = [m.key for m in milestones]
            columns = SCAN_COLUMNS
            if keys != order.milestones:
                columns += ("milestones",)
            if state.stage.value != scans_only[order_id]:
                columns += ("stage",)
            progress[columns].append(order)
            _copy_progress(order, state, step.code.value, keys)
        else:
            _copy_order(order, state, step.code.value, [m.key for m in milestones])
        old = before_shipments[order_id]
        for key, shipment in state.shipments.items():
            cols = _shipment_columns(shipment)
            if key not in old:
                new_shipments.append(
                    Shipment(
                        store_id=order.store_id,
                        order_id=order_id,
                        key=key,
                        **dict(zip(SHIPMENT_FIELDS, cols, strict=True)),
                    )
                )
            elif (before := old[key]) != cols:
                changed = tuple(i for i, value in enumerate(cols) if value != before[i])
                changed_shipments[changed].append((*(cols[i] for i in changed), order_id, key))
        stale_shipments += [(order_id, key) for key in old if key not in state.shipments]
        if order_id in before_lines:
            old_lines = before_lines[order_id]
            for line_id, line in state.lines.items():
                cols = _line_columns(line)
                if line_id not in old_lines:
                    new_lines.append(
                        OrderLine(
                            order_id=order_id, line_id=line_id, **dict(zip(LINE_FIELDS, cols, strict=True))
                        )
                    )
                elif old_lines[line_id] != cols:
                    changed_lines.append((*cols, order_id, line_id))

    if planned:
        events.publish(MilestonesReached(items=planned, now=now))
    if projected:
        events.publish(OrderProjected(items=projected, now=now))
    update_rows(Order, ORDER_FIELDS, [o for pk, o in orders.items() if pk not in scans_only])
    for columns, rows in progress.items():
        update_rows(Order, columns, rows)
    state_cache.put_on_commit(
        (k, (o.fact_count, o.token_version), states[k], o.milestones) for k, o in orders.items()
    )
    for order_id, key in stale_shipments:  # a parcel first known by tracking number, since renamed
        Shipment.objects.filter(order_id=order_id, key=key).delete()
    Shipment.objects.bulk_create(new_shipments)
    for changed, changes in changed_shipments.items():
        update_rows_where(Shipment, [SHIPMENT_FIELDS[i] for i in changed], ("order", "key"), changes)
    OrderLine.objects.bulk_create(new_lines)
    update_rows_where(OrderLine, LINE_FIELDS, ("order", "line_id"), changed_lines)
    return len(orders)


def _shipment_columns(s: ShipmentState) -> tuple:
    """The cached columns of a shipment row, in ``SHIPMENT_FIELDS`` order."""
    return (
        s.carrier[:64],
        s.tracking_number[:64],
        s.tag.value,
        s.subtag.value,
        s.status_at,
        s.first_scan_at or s.created_at,
        s.delivered_at,
        s.estimated_delivery,
        s.first_estimated_delivery,
        s.last_checkpoint_at,
    )


def _line_columns(ln: LineState) -> tuple:
    """The cached columns of a line row, in ``LINE_FIELDS`` order."""
    return (
        ln.sku[:128],
        ln.title[:300],
        ln.variant[:200],
        ln.product_id[:128],
        ln.quantity,
        None if ln.unit_price is None else ln.unit_price.quantize(_CENTS),
        ln.status.value,
        ln.shipped_quantity,
        ln.unavailable_quantity,
    )


_CENTS = Decimal("0.01")
_SCAN_ONLY = frozenset({FactKind.TRACKING_EVENT, FactKind.FEEDBACK_RECEIVED})


def _copy_order(order: OrderRow, state: OrderState, step_code: str, milestones: list[str]) -> None:
    order.number = state.number[:64]
    order.email = state.email.lower()[:254]
    order.postal_code = postal_code_key(state.postal_code)
    order.placed_at = state.placed_at
    order.currency = state.currency[:3]
    order.total = state.total
    _copy_progress(order, state, step_code, milestones)


def _copy_progress(order: OrderRow, state: OrderState, step_code: str, milestones: list[str]) -> None:
    """The columns that carrier scans move (``ORDER_PROGRESS_FIELDS``)."""
    order.stage = state.stage.value
    order.next_step = step_code
    order.milestones = milestones
    order.snapshot = to_snapshot(state, encoded_later=True)  # written by orjson (core.db)
    order.fact_count = state.fact_count
    order.last_event_at = state.last_event_at


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
