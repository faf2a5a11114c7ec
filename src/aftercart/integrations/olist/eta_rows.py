"""Olist CSVs → :class:`~aftercart.domain.eta.backtest.OrderRecord` rows for the ETA backtest.

Finds the tables like ``aftercart import olist`` does (:func:`~.parse.find_table`: the folder, then
its parent) and reads them with the same tolerant CSV reader, but keeps only what the delivery
model needs: the order's timestamps, the customer's state (destination), the seller's state
(origin) and the seller itself (its handling time). :class:`~.parse.OlistReader` builds facts and
holds reviews and payments, which the backtest does not need.

Timestamps stay *naive São Paulo wall-clock time*, as Olist writes them: every date the backtest
compares (purchase, handoff, delivery, estimate) is a São Paulo calendar date, so converting to UTC
and back would only cost time. An order with several sellers is attributed to the seller with the
most items (the first of them on a tie): Olist hands one parcel per seller to Correios, but records
one handoff and one delivery time per order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from aftercart.domain.eta.backtest import OrderRecord
from aftercart.domain.eta.geography import GeoArea
from aftercart.integrations.olist.parse import (
    CARRIER,
    TABLE_PREFIXES,
    Malformed,
    find_table,
    iter_rows,
    zip_prefix,
)

COUNTRY = "BR"


def _local(value: str) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def _day(value: str) -> date | None:
    moment = _local(value)
    return moment.date() if moment else None


def read_orders(directory: Path, report: Callable[[Malformed], None] | None = None) -> list[OrderRecord]:
    """Every readable order of the Olist folder ``directory`` (missing tables looked for in its
    parent). Raises ``FileNotFoundError`` when there is no orders table. Rows that cannot be read
    are passed to ``report`` and skipped."""
    problems = report or (lambda _m: None)
    orders_path = find_table(directory, "orders")
    if orders_path is None:
        raise FileNotFoundError(f"no {TABLE_PREFIXES['orders']}*.csv in {directory} or {directory.parent}")

    sellers: dict[str, tuple[str, str]] = {}
    path = find_table(directory, "sellers")
    if path is not None:
        for _, row in iter_rows(path, problems):
            seller = (row.get("seller_id") or "").strip()
            if seller:
                sellers[seller] = (
                    (row.get("seller_state") or "").strip().upper(),
                    zip_prefix(row.get("seller_zip_code_prefix") or ""),
                )

    customers: dict[str, str] = {}
    path = find_table(directory, "customers")
    if path is not None:
        for _, row in iter_rows(path, problems):
            customer = (row.get("customer_id") or "").strip()
            if customer:
                customers[customer] = (row.get("customer_state") or "").strip().upper()

    items: dict[str, Counter[str]] = {}
    limits: dict[str, date] = {}
    path = find_table(directory, "items")
    if path is not None:
        for _, row in iter_rows(path, problems):
            order_id = (row.get("order_id") or "").strip()
            seller = (row.get("seller_id") or "").strip()
            if order_id and seller:
                items.setdefault(order_id, Counter())[seller] += 1
            limit = _day(row.get("shipping_limit_date") or "")
            if order_id and limit is not None and (order_id not in limits or limit > limits[order_id]):
                limits[order_id] = limit

    out: list[OrderRecord] = []
    name = orders_path.name
    for line, row in iter_rows(orders_path, problems):
        order_id = (row.get("order_id") or "").strip()
        purchased = _local(row.get("order_purchase_timestamp") or "")
        if not order_id or purchased is None:
            problems(Malformed(name, line, "missing order_id or order_purchase_timestamp"))
            continue
        counts = items.get(order_id)
        seller = counts.most_common(1)[0][0] if counts else ""
        seller_state = sellers.get(seller, ("", ""))[0]
        out.append(
            OrderRecord(
                order_id=order_id,
                purchased_at=purchased,
                origin=GeoArea(COUNTRY, seller_state),
                destination=GeoArea(COUNTRY, customers.get((row.get("customer_id") or "").strip(), "")),
                status=(row.get("order_status") or "").strip().lower(),
                handed_over_at=_local(row.get("order_delivered_carrier_date") or ""),
                delivered_at=_local(row.get("order_delivered_customer_date") or ""),
                estimated=_day(row.get("order_estimated_delivery_date") or ""),
                location=seller,
                ship_by=limits.get(order_id),
                carrier=CARRIER,
            )
        )
    return out
