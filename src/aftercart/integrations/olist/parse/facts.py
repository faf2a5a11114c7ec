"""One Olist order's rows → canonical facts.

Mapping (one Olist order → facts; idempotency keys derive from Olist ids, so importing the same
files again yields only duplicates):

* ``order.placed`` at ``order_purchase_timestamp``: one line per ``order_item_id`` (Olist repeats
  an item id per unit, so every line has quantity 1), total = sum of ``payment_value``;
* ``line.status confirmed`` per line at ``order_approved_at``;
* per seller, ``shipment.created`` at ``order_delivered_carrier_date`` (Olist hands each seller's
  parcel to Correios) plus a ``tracking.event in_transit.accepted`` at the same moment, and a
  ``tracking.event delivered`` at ``order_delivered_customer_date``;
* status ``canceled`` → ``order.cancelled``; ``unavailable`` → ``line.status unavailable``;
  ``processing`` / ``invoiced`` → ``line.status picking`` / ``packed``;
* each review → ``feedback.received``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.domain.facts import Fact, FactKind
from aftercart.integrations.olist.parse.rows import ItemRow, OrderRow, Place, ReviewRow

SOURCE = "olist"
CARRIER = "correios"

#: Order statuses that say how far the merchant got with lines that have not shipped.
_PREPARING_STATUS = {"processing": "picking", "invoiced": "packed"}


def order_number(order_id: str) -> str:
    """What a customer would quote: Olist ids are 32 hex digits, the first 8 are distinctive."""
    return order_id[:8].upper() if len(order_id) > 8 else order_id


def _fact(kind: FactKind, at: datetime, key: str, order_id: str, payload: dict[str, Any]) -> Fact:
    return Fact(
        kind=kind,
        occurred_at=at,
        idempotency_key=f"olist:{order_id}:{key}",
        source=SOURCE,
        order_ref=order_id,
        payload=payload,
    )


def build_order_facts(
    order: OrderRow,
    *,
    items: Sequence[ItemRow] = (),
    payments: Sequence[Decimal] = (),
    reviews: Sequence[ReviewRow] = (),
    customer: Place | None = None,
    sellers: Mapping[str, Place] | None = None,
    titles: Mapping[str, str] | None = None,
) -> list[Fact]:
    """Every fact of one Olist order (see the module docstring for the mapping)."""
    oid = order.order_id
    sellers = sellers or {}
    titles = titles or {}
    items = sorted(items, key=lambda i: (int(i.item_id) if i.item_id.isdigit() else 0, i.item_id))
    lines = []
    for item in items:
        line: dict[str, Any] = {
            "line_id": item.item_id,
            "product_id": item.product_id,
            "title": titles.get(item.product_id, ""),
            "quantity": 1,
            "unit_price": str(item.price),
            "seller_id": item.seller_id,
        }
        if item.freight_value is not None:
            line["freight_value"] = str(item.freight_value)
        lines.append(line)
    placed: dict[str, Any] = {
        "number": order_number(oid),
        "country": "BR",
        "currency": "BRL",
        "locale": "pt-br",
        "timezone": "America/Sao_Paulo",
        "lines": lines,
        "olist_status": order.status,
    }
    if payments:
        placed["total"] = str(sum(payments, Decimal(0)).quantize(Decimal("0.01")))
    if customer:
        placed.update(
            postal_code=customer.zip_prefix, customer_city=customer.city, customer_state=customer.state
        )
    facts = [_fact(FactKind.ORDER_PLACED, order.purchased_at, "placed", oid, placed)]

    if order.approved_at:
        for item in items:
            facts.append(
                _fact(
                    FactKind.LINE_STATUS,
                    order.approved_at,
                    f"line:{item.item_id}:confirmed",
                    oid,
                    {"line_id": item.item_id, "status": "confirmed"},
                )
            )

    facts.extend(_shipment_facts(order, items, sellers))

    latest = max(
        t for t in (order.purchased_at, order.approved_at, order.carrier_at, order.delivered_at) if t
    )
    if order.status == "canceled":
        facts.append(_fact(FactKind.ORDER_CANCELLED, latest, "cancelled", oid, {"reason": "canceled"}))
    elif order.status == "unavailable":
        # Olist drops the items of most unavailable orders; its item ids start at 1, so a line "1"
        # keeps the one thing we know — something could not be supplied — visible.
        for line_id in [i.item_id for i in items] or ["1"]:
            facts.append(
                _fact(
                    FactKind.LINE_STATUS,
                    latest,
                    f"line:{line_id}:unavailable",
                    oid,
                    {"line_id": line_id, "status": "unavailable"},
                )
            )
    elif order.status in _PREPARING_STATUS and not order.carrier_at:
        status = _PREPARING_STATUS[order.status]
        for item in items:
            facts.append(
                _fact(
                    FactKind.LINE_STATUS,
                    latest,
                    f"line:{item.item_id}:{status}",
                    oid,
                    {"line_id": item.item_id, "status": status},
                )
            )

    for review in reviews:
        payload: dict[str, Any] = {
            "score": review.score,
            "title": review.title,
            "comment": review.comment,
            "feedback_id": review.review_id,
        }
        if review.answered_at:
            payload["answered_at"] = review.answered_at.isoformat()
        facts.append(
            _fact(FactKind.FEEDBACK_RECEIVED, review.created_at, f"review:{review.review_id}", oid, payload)
        )
    return facts


def _shipment_facts(order: OrderRow, items: Sequence[ItemRow], sellers: Mapping[str, Place]) -> list[Fact]:
    """One parcel per seller: Olist is a marketplace and each seller ships its own items."""
    handed_over = order.carrier_at
    if handed_over is None and order.delivered_at is None:
        return []
    by_seller: dict[str, list[str]] = {}
    for item in items:
        by_seller.setdefault(item.seller_id, []).append(item.item_id)
    if not by_seller:
        # Orders whose items are not in the files (head samples) still have a delivery to show.
        by_seller = {"": []}
    facts = []
    oid = order.order_id
    for seller_id, line_ids in by_seller.items():
        shipment_id = f"{oid}:{seller_id or 'parcel'}"
        place = sellers.get(seller_id) or Place()
        created: dict[str, Any] = {
            "shipment_id": shipment_id,
            "carrier": CARRIER,
            "lines": [{"line_id": line_id, "quantity": 1} for line_id in line_ids],
            "seller_id": seller_id,
            "seller_zip_code_prefix": place.zip_prefix,
            "seller_city": place.city,
            "seller_state": place.state,
        }
        if order.estimated_delivery:
            created["estimated_delivery"] = order.estimated_delivery.isoformat()
        key = f"shipment:{seller_id or 'parcel'}"
        if handed_over is not None:
            facts.append(_fact(FactKind.SHIPMENT_CREATED, handed_over, key, oid, created))
            accepted = {"shipment_id": shipment_id, "carrier": CARRIER, "tag": "in_transit"}
            accepted["subtag"] = "in_transit.accepted"
            facts.append(_fact(FactKind.TRACKING_EVENT, handed_over, f"{key}:accepted", oid, accepted))
        else:
            # Delivered with no hand-over time (a few Olist rows): the parcel existed by then.
            created["handover_unknown"] = True
            facts.append(_fact(FactKind.SHIPMENT_CREATED, order.delivered_at, key, oid, created))  # type: ignore[arg-type]
        if order.delivered_at is not None:
            delivered = {
                "shipment_id": shipment_id,
                "carrier": CARRIER,
                "tag": "delivered",
                "subtag": "delivered",
            }
            facts.append(
                _fact(FactKind.TRACKING_EVENT, order.delivered_at, f"{key}:delivered", oid, delivered)
            )
    return facts
