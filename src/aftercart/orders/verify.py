"""Do the cached projections say what the facts say? Every order is refolded from its facts in
memory (nothing written) and compared with its stored order, line and shipment rows: what
``aftercart backup verify`` runs against a restored database, and what anyone may run against the
live one (``aftercart rebuild`` then repairs what it finds).

The next step and the milestones are left out: they depend on the clock as well as the facts (a
parcel with no news becomes "stalled" by time passing), and the sweep refreshes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from aftercart.domain.addresses import postal_code_key
from aftercart.domain.facts import Fact
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.snapshot import to_snapshot
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.db import chunks, json_dumps
from aftercart.orders.ledger_sql import FACT_READ_FIELDS, fact_of
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order, OrderLine, PendingProjection, Shipment

_ORDER_COLUMNS = ("number", "email", "postal_code", "placed_at", "currency", "total", "stage", "fact_count")


@dataclass(frozen=True)
class Mismatch:
    """One stored value that is not what the facts give: ``what`` names the column (``stage``,
    ``snapshot``, ``shipment S1 tag`` ...)."""

    store_id: int
    order_id: str
    what: str
    stored: Any
    rebuilt: Any

    def __str__(self) -> str:
        return f"store {self.store_id} order {self.order_id}: {self.what} is {self.stored!r}, facts say {self.rebuilt!r}"


@dataclass
class VerifyReport:
    """How many orders were compared (``pending``: behind their facts by design, left to the
    drain) and every mismatch found."""

    orders: int = 0
    pending: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.mismatches


def _expected(state: OrderState) -> dict[str, Any]:
    # What ``services._copy_order`` writes for this state.
    return {
        "number": state.number[:64],
        "email": state.email.lower()[:254],
        "postal_code": postal_code_key(state.postal_code),
        "placed_at": state.placed_at,
        "currency": state.currency[:3],
        "total": state.total,
        "stage": state.stage.value,
        "fact_count": state.fact_count,
    }


def _facts(ids: list[int], using: str) -> dict[int, list[Fact]]:
    by_order: dict[int, list[Fact]] = defaultdict(list)
    for order_id, kind, at, key, source, ref, tracking, payload in (
        FactRow.objects.using(using).filter(order_id__in=ids).values_list(*FACT_READ_FIELDS).iterator()
    ):
        by_order[order_id].append(fact_of(kind, at, key, source, ref, tracking, payload))
    return by_order


def projections_verify(*, using: str = "default", batch: int = 500) -> VerifyReport:
    """Refold every order of the database ``using`` from its facts and compare (see the module)."""
    report = VerifyReport()
    pending = set(PendingProjection.objects.using(using).values_list("order_id", flat=True))
    ids = list(Order.objects.using(using).order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, batch):
        report.mismatches.extend(_verify_chunk(list(chunk), using, pending, report))
    return report


def _verify_chunk(ids: list[int], using: str, pending: set[int], report: VerifyReport) -> Iterator[Mismatch]:
    facts = _facts(ids, using)
    lines: dict[int, dict[str, tuple]] = defaultdict(dict)
    for order_id, line_id, status, shipped in (
        OrderLine.objects.using(using).filter(order_id__in=ids).values_list("order_id", "line_id", "status", "shipped_quantity")
    ):  # fmt: skip
        lines[order_id][line_id] = (status, shipped)
    parcels: dict[int, dict[str, tuple]] = defaultdict(dict)
    for order_id, key, tag, subtag, tracking in (
        Shipment.objects.using(using).filter(order_id__in=ids).values_list("order_id", "key", "tag", "subtag", "tracking_number")
    ):  # fmt: skip
        parcels[order_id][key] = (tag, subtag, tracking)
    for order in Order.objects.using(using).filter(pk__in=ids).order_by("pk"):
        if order.pk in pending:
            report.pending += 1
            continue
        report.orders += 1
        state = project(facts.get(order.pk, ()), order.external_id, checkpoints=False)

        def differs(what: str, stored: Any, rebuilt: Any, order: Order = order) -> Iterator[Mismatch]:
            if stored != rebuilt:
                yield Mismatch(order.store_id, order.external_id, what, stored, rebuilt)

        for name, value in _expected(state).items():
            yield from differs(name, getattr(order, name), value)
        snapshot = orjson.loads(json_dumps(to_snapshot(state, encoded_later=True)))
        yield from differs("snapshot", order.snapshot, snapshot)
        expected_lines = {k: (ln.status.value, ln.shipped_quantity) for k, ln in state.lines.items()}
        yield from differs("lines", lines.get(order.pk, {}), expected_lines)
        expected_parcels = {
            k: (s.tag.value, s.subtag.value, s.tracking_number) for k, s in state.shipments.items()
        }
        yield from differs("shipments", parcels.get(order.pk, {}), expected_parcels)
