"""Olist's public e-commerce dataset (CSV tables as Olist publishes them) → canonical facts.

Pure: no Django. :class:`OlistReader` finds the tables in a folder, reads them with the ``csv``
module (every column as a string: zip prefixes keep their leading zeros, mixed quoting and
multi-line quoted review text parse as written, CRLF and a UTF-8 BOM are tolerated, ``.csv.gz``
is read compressed) and yields the facts of one order at a time.

Memory: the small per-order tables (items, payments, reviews) are held in dicts keyed by
``order_id``, and customers, sellers and product categories by their ids, because Olist spreads an
order over several files in no useful order. The orders table — the one that drives the import —
is streamed, and the caller decides how many orders' facts to keep before recording them.

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

Olist timestamps are São Paulo local time and are converted to UTC.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from aftercart.domain.facts import Fact, FactKind, to_utc

SOURCE = "olist"
CARRIER = "correios"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

#: Table → file name prefix, as Olist names its files (Kaggle and GitHub copies alike).
TABLE_PREFIXES: dict[str, str] = {
    "orders": "olist_orders_dataset",
    "items": "olist_order_items_dataset",
    "payments": "olist_order_payments_dataset",
    "reviews": "olist_order_reviews_dataset",
    "customers": "olist_customers_dataset",
    "sellers": "olist_sellers_dataset",
    "products": "olist_products_dataset",
    "categories": "product_category_name_translation",
}

#: Order statuses that say how far the merchant got with lines that have not shipped.
_PREPARING_STATUS = {"processing": "picking", "invoiced": "packed"}


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row that could not be imported: where it is and why. The import skips it."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class OlistOrder:
    """The facts of one Olist order; ``line`` is where its row starts in the orders file."""

    order_id: str
    line: int
    facts: list[Fact]


class RowError(ValueError):
    """A value in a row cannot be read; the row is reported and skipped."""


# --- rows ----------------------------------------------------------------------------------------


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


def _required(row: Mapping[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise RowError(f"missing {name}")
    return value


def _text(value: str | None) -> str:
    # Olist's own files end lines in review text with CRLF, copies with LF: keep one spelling.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def order_row(row: Mapping[str, str]) -> OrderRow:
    """Read one orders-table row; :class:`RowError` names what is wrong with it."""
    order_id = _required(row, "order_id")
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
        order_id=_required(row, "order_id"),
        item_id=_required(row, "order_item_id"),
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
        review_id=_required(row, "review_id"),
        order_id=_required(row, "order_id"),
        score=int(raw_score),
        title=_text(row.get("review_comment_title")),
        comment=_text(row.get("review_comment_message")),
        created_at=created or answered,  # type: ignore[arg-type]
        answered_at=answered,
    )


# --- facts ---------------------------------------------------------------------------------------


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


# --- files ---------------------------------------------------------------------------------------


def find_table(directory: Path, table: str) -> Path | None:
    """The file of ``table`` in ``directory``, else in its parent (where Olist's complete small
    tables sit next to the sample folders). Plain CSV is preferred to gzip when both exist."""
    prefix = TABLE_PREFIXES[table]
    for folder in (directory, directory.parent):
        candidates = sorted(
            p
            for p in folder.glob(f"{prefix}*")
            if p.is_file() and (p.name.endswith(".csv") or p.name.endswith(".csv.gz"))
        )
        if candidates:
            return min(candidates, key=lambda p: (p.name.endswith(".gz"), p.name))
    return None


def locate_tables(directory: Path) -> dict[str, Path]:
    """Every Olist table found for ``directory`` (see :func:`find_table`); missing ones are absent."""
    found = {table: find_table(directory, table) for table in TABLE_PREFIXES}
    return {table: path for table, path in found.items() if path is not None}


def open_text(path: Path) -> TextIO:
    """A CSV file as text: gzip by name, BOM stripped, undecodable bytes replaced (never fatal)."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def count_lines(path: Path) -> int:
    """Physical lines in a file (a cheap total for a progress bar; quoted newlines count too)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    count, last = 0, b"\n"
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def iter_rows(
    path: Path,
    report: Callable[[Malformed], None],
    advance: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` for each record of a CSV file, columns by header name, values as
    strings. Records with the wrong number of fields are reported, not yielded.

    The line number is where the record starts, so a multi-line review points at its first line.
    """
    name = path.name
    with open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            return
        except csv.Error as exc:
            report(Malformed(name, 1, f"unreadable header: {exc}"))
            return
        done = reader.line_num
        if advance:
            advance(done)
        while True:
            start = done + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                report(Malformed(name, start, f"unreadable CSV: {exc}"))
                values = None
            if advance:
                advance(reader.line_num - done)
            done = reader.line_num
            if values is None or not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                report(Malformed(name, start, f"expected {len(header)} fields, found {len(values)}"))
                continue
            yield start, dict(zip(header, values, strict=True))


@dataclass
class OlistReader:
    """Reads one Olist folder: :meth:`load` the lookup tables, then stream :meth:`orders`.

    ``report`` receives every malformed row (file, line, reason); the row is skipped.
    """

    tables: Mapping[str, Path]
    report: Callable[[Malformed], None]
    items: dict[str, list[ItemRow]] = field(default_factory=lambda: defaultdict(list))
    payments: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))
    reviews: dict[str, list[ReviewRow]] = field(default_factory=lambda: defaultdict(list))
    customers: dict[str, Place] = field(default_factory=dict)
    sellers: dict[str, Place] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, directory: Path, report: Callable[[Malformed], None]) -> OlistReader:
        """A reader for a folder; raises ``FileNotFoundError`` when it holds no orders table."""
        tables = locate_tables(directory)
        if "orders" not in tables:
            raise FileNotFoundError(
                f"no {TABLE_PREFIXES['orders']}*.csv in {directory} or {directory.parent}"
            )
        return cls(tables=tables, report=report)

    @property
    def lookup_tables(self) -> list[str]:
        """The lookup tables present, in the order :meth:`load` reads them."""
        order = ("items", "payments", "reviews", "customers", "sellers", "categories", "products")
        return [t for t in order if t in self.tables]

    def _rows(
        self, table: str, advance: Callable[[int], None] | None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        path = self.tables[table]
        return iter_rows(path, self.report, advance)

    def _checked(
        self, table: str, advance: Callable[[int], None] | None, read: Callable[[Mapping[str, str]], Any]
    ) -> Iterator[Any]:
        name = self.tables[table].name
        for line, row in self._rows(table, advance):
            try:
                yield read(row)
            except RowError as exc:
                self.report(Malformed(name, line, str(exc)))

    def load(self, advance: Callable[[int], None] | None = None) -> None:
        """Read every lookup table present; ``advance(n)`` is called with lines read."""
        if "items" in self.tables:
            for item in self._checked("items", advance, item_row):
                self.items[item.order_id].append(item)
        if "payments" in self.tables:

            def payment(row: Mapping[str, str]) -> tuple[str, Decimal]:
                return _required(row, "order_id"), parse_money(
                    row.get("payment_value") or "", "payment_value"
                )  # type: ignore[return-value]

            for order_id, value in self._checked("payments", advance, payment):
                self.payments[order_id].append(value)
        if "reviews" in self.tables:
            for review in self._checked("reviews", advance, review_row):
                self.reviews[review.order_id].append(review)
        if "customers" in self.tables:
            for line, row in self._rows("customers", advance):
                customer_id = (row.get("customer_id") or "").strip()
                if not customer_id:
                    self.report(Malformed(self.tables["customers"].name, line, "missing customer_id"))
                    continue
                self.customers[customer_id] = Place(
                    zip_prefix(row.get("customer_zip_code_prefix") or ""),
                    (row.get("customer_city") or "").strip(),
                    (row.get("customer_state") or "").strip(),
                )
        if "sellers" in self.tables:
            for _, row in self._rows("sellers", advance):
                seller_id = (row.get("seller_id") or "").strip()
                if seller_id:
                    self.sellers[seller_id] = Place(
                        zip_prefix(row.get("seller_zip_code_prefix") or ""),
                        (row.get("seller_city") or "").strip(),
                        (row.get("seller_state") or "").strip(),
                    )
        english: dict[str, str] = {}
        if "categories" in self.tables:
            for _, row in self._rows("categories", advance):
                name = (row.get("product_category_name") or "").strip()
                if name:
                    english[name] = (row.get("product_category_name_english") or "").strip()
        if "products" in self.tables:
            # Only the products some item names: the full catalogue is three times the sample.
            wanted = {item.product_id for rows in self.items.values() for item in rows}
            for _, row in self._rows("products", advance):
                product_id = (row.get("product_id") or "").strip()
                category = (row.get("product_category_name") or "").strip()
                if product_id in wanted and category:
                    self.titles[product_id] = (english.get(category) or category).replace("_", " ")

    def orders(self, advance: Callable[[int], None] | None = None) -> Iterator[OlistOrder]:
        """The facts of each order in the orders table, one order at a time."""
        name = self.tables["orders"].name
        for line, row in self._rows("orders", advance):
            try:
                order = order_row(row)
            except RowError as exc:
                self.report(Malformed(name, line, str(exc)))
                continue
            facts = build_order_facts(
                order,
                items=self.items.get(order.order_id, ()),
                payments=self.payments.get(order.order_id, ()),
                reviews=self.reviews.get(order.order_id, ()),
                customer=self.customers.get(order.customer_id),
                sellers=self.sellers,
                titles=self.titles,
            )
            yield OlistOrder(order.order_id, line, facts)
