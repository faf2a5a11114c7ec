"""Writes of exception cases: bring the open cases of orders in line with what :func:`detect` says.

Both the ingest hook (every re-projected order) and the sweep (orders time may have turned into a
problem) call :func:`exceptions_sync_many`, so a cause opens the same way whichever path sees it
first, and the conditional unique constraint makes the loser of a race a no-op.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from aftercart.domain.exceptions import (
    QUEUE,
    RECORDED,
    SEVERITY,
    DetectionRules,
    ExceptionKind,
    OpenCause,
    detect,
)
from aftercart.domain.next_step import next_step
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.snapshot import from_snapshot
from aftercart.domain.projection.state import OrderState
from aftercart.exceptions import selectors
from aftercart.exceptions.models import OrderException
from aftercart.kernel.db import chunks, update_rows_where
from aftercart.orders.models import Order
from aftercart.orders.selectors import facts_for_orders
from aftercart.stores.detection_rules import rules_for, rules_for_stores
from aftercart.stores.models import Store


@dataclass
class SyncResult:
    """What a sync did. ``opened`` are the new rows (what the notification engine should hear of)."""

    opened: list[OrderException] = field(default_factory=list)
    resolved: list[selectors.OpenExceptionRow] = field(default_factory=list)
    updated: int = 0


def exceptions_sync(
    *, order: Order, state: OrderState, now: datetime, rules: DetectionRules | None = None
) -> SyncResult:
    """Open and resolve one order's cases so they match what is detected at ``now``."""
    fixed = rules
    return exceptions_sync_many(
        items=[(order, state)], now=now, rules=(lambda store_id: fixed) if fixed else None
    )


def exceptions_sync_many(
    *,
    items: Sequence[tuple[Order, OrderState]],
    now: datetime,
    rules: Callable[[int], DetectionRules | None] | None = None,
) -> SyncResult:
    """Sync the cases of many orders: one read of their open cases, one insert, one update per kind
    of change. ``rules(store_id)`` gives each store's rules (default: settings and store country).

    Runs inside the caller's transaction when there is one (the ledger's), so cases commit with the
    facts that opened or resolved them.
    """
    result = SyncResult()
    if not items:
        return result
    rules_of = _rules_lookup({o.store_id for o, _ in items}, rules)
    detected: dict[int, dict[tuple[str, str], OpenCause]] = {}
    for order, state in items:
        found = detect(state, now, rules_of(order.store_id))
        detected[order.pk] = {c.key: c for c in found}
    open_rows = selectors.open_exceptions_for_orders(list(detected))
    states = {order.pk: (order, state) for order, state in items}
    new_rows: list[OrderException] = []
    to_resolve: dict[str, list[selectors.OpenExceptionRow]] = defaultdict(list)
    detail_changes: list[tuple[str, int]] = []
    for order_id, causes in detected.items():
        order, state = states[order_id]
        existing = {(row.kind, row.subject): row for row in open_rows.get(order_id, ())}
        for key, cause in causes.items():
            row = existing.get(key)
            if row is None:
                new_rows.append(_new_row(order, state, cause, now))
            elif row.detail != cause.detail[:200]:
                detail_changes.append((cause.detail[:200], row.id))
        for key, row in existing.items():
            if key not in causes and row.kind not in _RECORDED:
                to_resolve[_resolution(row, state)].append(row)
    if new_rows:
        # ignore_conflicts: a concurrent sync of the same order already opened the cause; the
        # conditional unique index keeps it to one row, and losing the race is not an error.
        OrderException.objects.bulk_create(new_rows, ignore_conflicts=True)
        result.opened = new_rows
    for resolution, rows in to_resolve.items():
        ids = [r.id for r in rows]
        for chunk in chunks(ids):
            OrderException.objects.filter(pk__in=chunk, resolved_at__isnull=True).update(
                resolved_at=now, resolution=resolution
            )
        result.resolved += rows
    if detail_changes:
        update_rows_where(OrderException, ("detail",), ("id",), detail_changes)
        result.updated = len(detail_changes)
    return result


_RECORDED = frozenset(kind.value for kind in RECORDED)


def exception_record_open(
    *, store_id: int, order_id: int, kind: ExceptionKind, subject: str, detail: str, now: datetime
) -> bool:
    """Open a case another app knows the cause of (a :data:`~aftercart.domain.exceptions.RECORDED`
    kind), in the caller's transaction; whether it was opened. Already open: its detail is brought
    up to date instead (one open case per cause)."""
    assert kind in RECORDED, f"{kind} is detected from the order's state, not recorded"
    updated = OrderException.objects.filter(
        order_id=order_id, kind=kind.value, subject=subject[:160], resolved_at__isnull=True
    ).update(detail=detail[:200])
    if updated:
        return False
    OrderException.objects.bulk_create(
        [
            OrderException(
                store_id=store_id,
                order_id=order_id,
                kind=kind.value,
                subject=subject[:160],
                severity=SEVERITY[kind].value,
                queue=QUEUE[kind].value,
                detail=detail[:200],
                opened_at=now,
            )
        ],
        ignore_conflicts=True,  # a concurrent writer opened it: one open case per cause
    )
    return True


def exception_record_resolve(
    *, order_id: int, kind: ExceptionKind, subject: str, resolution: str, now: datetime
) -> int:
    """Resolve the open case of a recorded kind (the app that opened it says it is over); how many."""
    return OrderException.objects.filter(
        order_id=order_id, kind=kind.value, subject=subject[:160], resolved_at__isnull=True
    ).update(resolved_at=now, resolution=resolution[:64])


def _rules_lookup(
    store_ids: set[int], rules: Callable[[int], DetectionRules | None] | None
) -> Callable[[int], DetectionRules]:
    if rules is not None:
        fixed = rules

        def given(store_id: int) -> DetectionRules:
            return fixed(store_id) or rules_for("")

        return given
    countries = dict(Store.objects.filter(pk__in=store_ids).values_list("pk", "country"))
    # Once per store, not per order: rules_for reads and freezes the settings on every call.
    by_store = {store_id: rules_for(countries.get(store_id, "")) for store_id in store_ids}
    return lambda store_id: by_store.get(store_id) or rules_for(countries.get(store_id, ""))


def _new_row(order: Order, state: OrderState, cause: OpenCause, now: datetime) -> OrderException:
    shipment = state.shipments.get(cause.subject) if cause.subject else None
    return OrderException(
        store_id=order.store_id,
        order_id=order.pk,
        kind=cause.kind.value,
        subject=cause.subject[:160],
        shipment_key=shipment.key[:160] if shipment else "",
        carrier=(shipment.carrier.lower()[:64] if shipment else ""),
        severity=cause.severity.value,
        queue=cause.queue.value,
        detail=cause.detail[:200],
        opened_at=now,
    )


def _resolution(row: selectors.OpenExceptionRow, state: OrderState) -> str:
    """Why the facts closed a case, in words the queue shows."""
    if row.shipment_key:
        shipment = state.shipments.get(row.shipment_key)
        if shipment is None:
            return "shipment gone"
        if shipment.is_delivered:
            return "delivered"
        return f"carrier: {shipment.tag.value}"
    if state.cancelled_at is not None:
        return "order cancelled"
    return "cleared"


@dataclass
class SweepResult:
    """What a sweep found and did, and how long selection and syncing took."""

    candidates: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    resolved: int = 0
    select_seconds: float = 0.0
    sync_seconds: float = 0.0
    newly_opened: list[OrderException] = field(default_factory=list)
    #: Orders whose cached next-step code time changed (a parcel now stalled, an order now late).
    next_steps_changed: int = 0


def exceptions_sweep(*, now: datetime, batch: int = 5000, rules: DetectionRules | None = None) -> SweepResult:
    """Find orders that time alone may have turned into a problem, and sync only those.

    Candidates come from set-based queries on the cached ``Shipment``/``OrderLine``/``Order``
    columns (wall-clock bounds, a superset of what business hours allow), minus causes already open;
    then each batch of candidate orders is locked, its state read from the snapshot (no fact
    history), and synced, in one transaction per batch.
    """
    rules = rules or rules_for("")
    result = SweepResult()
    started = time.perf_counter()
    by_rule = selectors.sweep_candidates(now=now, rules=rules)
    result.select_seconds = time.perf_counter() - started
    result.by_rule = {name: len(ids) for name, ids in by_rule.items()}
    ids = sorted(set().union(*by_rule.values()))
    result.candidates = len(ids)
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            states = _states(ids[start : start + batch])
            synced = exceptions_sync_many(items=states, now=now)
            if synced.opened:
                from aftercart.exceptions.notify import notify_opened

                notify_opened(synced.opened, {order.pk: (order, state) for order, state in states}, now)
            result.next_steps_changed += _next_steps_refresh(states, now)
        result.opened += len(synced.opened)
        result.resolved += len(synced.resolved)
        result.newly_opened += synced.opened
    result.sync_seconds = time.perf_counter() - started
    return result


def _next_steps_refresh(states: Sequence[tuple[Order, OrderState]], now: datetime) -> int:
    """Bring the cached ``Order.next_step`` code of swept orders up to date: time alone changes it
    (a parcel the carrier stopped scanning, an order past its handling SLA), and the API's order
    list and filters read the column. One UPDATE per code that changed; returns how many orders."""
    rules = rules_for_stores({order.store_id for order, _ in states})
    changed: dict[str, list[int]] = defaultdict(list)
    for order, state in states:
        code = next_step(state, now, rules.get(order.store_id) or rules_for("")).code.value
        if code != order.next_step:
            changed[code].append(order.pk)
    for code, ids in changed.items():
        for chunk in chunks(ids):
            Order.objects.filter(pk__in=chunk).update(next_step=code)
    return sum(len(ids) for ids in changed.values())


def _states(order_ids: Sequence[int]) -> list[tuple[Order, OrderState]]:
    """The candidates' states, locked against a concurrent ingest of the same orders (which would
    otherwise sync from an older state after us)."""
    out: list[tuple[Order, OrderState]] = []
    missing: list[Order] = []
    for chunk in chunks(order_ids):
        rows = (
            Order.objects.filter(pk__in=chunk)
            .select_for_update()
            .only("id", "store_id", "external_id", "snapshot", "next_step")
            .order_by("pk")
        )
        for order in rows:
            if order.snapshot:
                out.append((order, from_snapshot(order.snapshot)))
            else:
                missing.append(order)
    if missing:  # never projected with snapshots (old rows): fold their facts
        history = facts_for_orders([o.pk for o in missing])
        out += [(o, project(history.get(o.pk, ()), o.external_id)) for o in missing]
    return out
