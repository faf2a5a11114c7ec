"""One row of an Olist table, read and checked: timestamps (São Paulo local time → UTC), amounts,
zip prefixes, and the customers' and sellers' places. A value that cannot be read raises
:class:`RowError`, and the row is reported and skipped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from aftercart.domain.facts import to_utc

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


class RowError(ValueError):
    """A value in a row cannot be read; the row is reported and skipped."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One row of ``olist_orders_dataset``, read and checked."""

    order_id: str
    customer_id: str
    status: str
    purchased_at: datetime
    approved_at: datetime | None = None
    carrier_at: datetime | None = None
    delivered_at: datetime | None = None
    estimated_delivery: date | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One unit of an order (``olist_order_items_dataset``)."""

    order_id: str
    item_id: str
    product_id: str
    seller_id: str
    price: Decimal
    freight_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One customer review (``olist_order_reviews_dataset``)."""

    review_id: str
    order_id: str
    score: int
    title: str
    comment: str
    created_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A customer's or seller's zip prefix, city and state."""

    zip_prefix: str = ""
    city: str = ""
    state: str = ""


def parse_timestamp(value: str, name: str) -> datetime | None:
    """An Olist timestamp (São Paulo local time) in UTC; ``None`` when empty."""
    text = value.strip()
    if not text:
        return None
    try:
        return to_utc(datetime.fromisoformat(text), assume=SAO_PAULO)
    except ValueError:
        raise RowError(f"{name} is not a timestamp: {text[:40]!r}") from None


def parse_money(value: str, name: str, *, required: bool = True) -> Decimal | None:
    """A non-negative decimal amount; ``None`` when empty and not required."""
    text = value.strip()
    if not text and not required:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError(f"{name} is not a number: {text[:40]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise RowError(f"{name} is not a valid amount: {text[:40]!r}")
    return amount


def zip_prefix(value: str) -> str:
    """Olist zip prefixes are five digits; copies rewritten by pandas lost the leading zeros."""
    text = value.strip()
    return text.zfill(5) if text.isdigit() else text


def required_field(row: Mapping[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise RowError(f"missing {name}")
    return value


def _text(value: str | None) -> str:
    # Olist's own files end lines in review text with CRLF, copies with LF: keep one spelling.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def order_row(row: Mapping[str, str]) -> OrderRow:
    """Read one orders-table row; :class:`RowError` names what is wrong with it."""
    order_id = required_field(row, "order_id")
    purchased = parse_timestamp(row.get("order_purchase_timestamp") or "", "order_purchase_timestamp")
    if purchased is None:
        raise RowError("missing order_purchase_timestamp")
    estimated = parse_timestamp(
        row.get("order_estimated_delivery_date") or "", "order_estimated_delivery_date"
    )
    # The estimate is a calendar date in Brazil; read it there, not after the shift to UTC.
    estimated_date = estimated.astimezone(SAO_PAULO).date() if estimated else None
    return OrderRow(
        order_id=order_id,
        customer_id=(row.get("customer_id") or "").strip(),
        status=(row.get("order_status") or "").strip().lower(),
        purchased_at=purchased,
        approved_at=parse_timestamp(row.get("order_approved_at") or "", "order_approved_at"),
        carrier_at=parse_timestamp(
            row.get("order_delivered_carrier_date") or "", "order_delivered_carrier_date"
        ),
        delivered_at=parse_timestamp(
            row.get("order_delivered_customer_date") or "", "order_delivered_customer_date"
        ),
        estimated_delivery=estimated_date,
    )


def item_row(row: Mapping[str, str]) -> ItemRow:
    """Read one items-table row."""
    return ItemRow(
        order_id=required_field(row, "order_id"),
        item_id=required_field(row, "order_item_id"),
        product_id=(row.get("product_id") or "").strip(),
        seller_id=(row.get("seller_id") or "").strip(),
        price=parse_money(row.get("price") or "", "price"),  # type: ignore[arg-type]
        freight_value=parse_money(row.get("freight_value") or "", "freight_value", required=False),
    )


def review_row(row: Mapping[str, str]) -> ReviewRow:
    """Read one reviews-table row."""
    raw_score = (row.get("review_score") or "").strip()
    if not raw_score.isdigit() or not 1 <= int(raw_score) <= 5:
        raise RowError(f"review_score is not 1-5: {raw_score[:10]!r}")
    created = parse_timestamp(row.get("review_creation_date") or "", "review_creation_date")
    answered = parse_timestamp(row.get("review_answer_timestamp") or "", "review_answer_timestamp")
    if created is None and answered is None:
        raise RowError("missing review_creation_date")
    return ReviewRow(
        review_id=required_field(row, "review_id"),
        order_id=required_field(row, "order_id"),
        score=int(raw_score),
        title=_text(row.get("review_comment_title")),
        comment=_text(row.get("review_comment_message")),
        created_at=created or answered,  # type: ignore[arg-type]
        answered_at=answered,
    )
