"""Reads of exception cases: open cases of orders, the sweep's candidates, the team's queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from aftercart.domain.exceptions import DetectionRules, ExceptionKind
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag
from aftercart.exceptions.models import OrderException
from aftercart.kernel.db import rows_in
from aftercart.orders.models import OrderLine, Shipment


@dataclass(frozen=True, slots=True)
class OpenExceptionRow:
    """An open case, as a sync compares it with what is detected now."""

    id: int
    order_id: int
    kind: str
    subject: str
    shipment_key: str
    detail: str


def open_exceptions_for_orders(order_ids: Sequence[int]) -> dict[int, list[OpenExceptionRow]]:
    """The open cases of each order, one query per chunk (the partial unique index covers it).

    Plain rows, not model instances: every drain asks this for thousands of orders, and the ORM's
    IN-list preparation and instances cost more than the query.
    """
    by_order: dict[int, list[OpenExceptionRow]] = defaultdict(list)
    for row in rows_in(
        OrderException,
        ("id", "order", "kind", "subject", "shipment_key", "detail"),
        "order",
        order_ids,
        null=("resolved_at",),
    ):
        case = OpenExceptionRow(*row)
        by_order[case.order_id].append(case)
    return by_order


def _open(kind: ExceptionKind, subject: object) -> Exists:
    return Exists(
        OrderException.objects.filter(
            order_id=OuterRef("order_id"), kind=kind.value, subject=subject, resolved_at__isnull=True
        )
    )


def sweep_candidates(*, now: datetime, rules: DetectionRules) -> dict[str, set[int]]:
    """Order ids per rule that may have a cause not yet open, by set-based queries only.

    Each bound is in wall-clock time, which business hours never exceed, so the set is a superset of
    what :func:`~aftercart.domain.exceptions.detect` will find; causes already open are excluded so a
    steady state costs nothing. Parcels that carriers report problems on (lost, damaged, returning,
    attempt failed) are not swept: those are facts, and the ingest hook opens them.
    """
    today = now.date()
    moving = [CarrierTag.IN_TRANSIT.value, CarrierTag.OUT_FOR_DELIVERY.value]
    label_only = [CarrierTag.PENDING.value, CarrierTag.INFO_RECEIVED.value]
    stalled = Shipment.objects.filter(
        tag__in=moving, last_checkpoint_at__lt=now - timedelta(hours=rules.min_stall_hours)
    ).exclude(_open(ExceptionKind.STALLED, OuterRef("key")))
    not_picked_up = Shipment.objects.filter(
        tag__in=label_only, shipped_at__lt=now - timedelta(hours=rules.not_picked_up_hours)
    ).exclude(_open(ExceptionKind.NOT_PICKED_UP, OuterRef("key")))
    delayed = (
        Shipment.objects.exclude(tag=CarrierTag.DELIVERED.value)
        .filter(
            Q(first_estimated_delivery__lt=today)
            | Q(estimated_delivery__gt=F("first_estimated_delivery"))
            | Q(subtag=Subtag.EXCEPTION_DELAYED.value)
        )
        .exclude(_open(ExceptionKind.DELAYED, OuterRef("key")))
    )
    # Pickup deadlines live in the snapshot, not in a column: every parcel or line still waiting is a
    # candidate until its expiry is open (a small set: parcels wait days, not months).
    pickup_parcels = Shipment.objects.filter(tag=CarrierTag.AVAILABLE_FOR_PICKUP.value).exclude(
        _open(ExceptionKind.PICKUP_EXPIRED, OuterRef("key"))
    )
    pickup_lines = OrderLine.objects.filter(status=FulfilmentStatus.READY_FOR_PICKUP.value).exclude(
        _open(ExceptionKind.PICKUP_EXPIRED, Concat(Value("line:"), OuterRef("line_id")))
    )
    not_shipped = (
        OrderLine.objects.filter(order__placed_at__lt=now - timedelta(days=rules.handling_sla_days))
        .exclude(
            status__in=[
                FulfilmentStatus.CANCELLED.value,
                FulfilmentStatus.PICKED_UP.value,
                FulfilmentStatus.READY_FOR_PICKUP.value,
                FulfilmentStatus.UNAVAILABLE.value,
            ]
        )
        .filter(quantity__gt=F("shipped_quantity") + F("unavailable_quantity"))
        .exclude(_open(ExceptionKind.NOT_SHIPPED_IN_SLA, Value("")))
    )
    queries: dict[str, QuerySet] = {
        "stalled": stalled,
        "not_picked_up": not_picked_up,
        "delayed": delayed,
        "pickup_parcels": pickup_parcels,
        "pickup_lines": pickup_lines,
        "not_shipped_in_sla": not_shipped,
    }
    return {name: set(qs.values_list("order_id", flat=True).distinct()) for name, qs in queries.items()}


def open_exceptions(
    *,
    kind: str = "",
    carrier: str = "",
    store: str = "",
    min_age: timedelta | None = None,
    now: datetime,
    severity: str = "",
    queue: str = "",
    search: str = "",
    assignee_id: int | None = None,
    unassigned: bool = False,
    snoozed: bool = False,
    newest_first: bool = False,
) -> QuerySet[OrderException]:
    """Open cases for the team's queue, oldest first (``newest_first`` flips it), with store, order
    and assignee in the same query. Snoozed cases are left out until their time comes, unless
    ``snoozed`` asks for them alone. ``search`` matches an order number or id, the customer's
    e-mail or a parcel's tracking number (exactly, ignoring case and a leading "#")."""
    qs = OrderException.objects.filter(resolved_at__isnull=True).select_related("store", "order", "assignee")
    if kind:
        qs = qs.filter(kind=kind)
    if carrier:
        qs = qs.filter(carrier=carrier.strip().lower())
    if store:
        qs = qs.filter(store__slug=store)
    if min_age is not None:
        qs = qs.filter(opened_at__lte=now - min_age)
    if severity:
        qs = qs.filter(severity=severity)
    if queue:
        qs = qs.filter(queue=queue)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    elif unassigned:
        qs = qs.filter(assignee__isnull=True)
    if snoozed:
        qs = qs.filter(snoozed_until__gt=now)
    else:
        qs = qs.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    term = search.strip()
    if term:
        number = term.removeprefix("#")
        parcels = Shipment.objects.filter(tracking_number__iexact=term).values("order_id")
        qs = qs.filter(
            Q(order__number__iexact=number)
            | Q(order__number__iexact=f"#{number}")
            | Q(order__external_id=term)
            | Q(order__email__iexact=term)
            | Q(order_id__in=parcels)
        )
    order = ("-opened_at", "-pk") if newest_first else ("opened_at", "pk")
    return qs.order_by(*order)


@dataclass(frozen=True, slots=True)
class CaseNames:
    """What the page needs to name the subjects of a page of cases: line titles per order and
    parcels per order, read in two queries."""

    line_titles: dict[int, dict[str, str]]
    shipments: dict[int, dict[str, tuple[str, str]]]


def case_names(order_ids: Sequence[int]) -> CaseNames:
    """Line titles and parcels of the given orders (one query each)."""
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for order_id, line_id, title, variant in OrderLine.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "line_id", "title", "variant"
    ):
        titles[order_id][line_id] = f"{title} ({variant})" if title and variant else (title or "")
    parcels: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    for order_id, key, carrier, number in Shipment.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "key", "carrier", "tracking_number"
    ):
        parcels[order_id][key] = (carrier, number)
    return CaseNames(dict(titles), dict(parcels))
