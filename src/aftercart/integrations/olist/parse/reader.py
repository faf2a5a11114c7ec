"""Reading one Olist folder: the lookup tables held in memory by id, the orders table streamed, one
order's facts at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aftercart.domain.facts import Fact
from aftercart.integrations.olist.parse.facts import build_order_facts
from aftercart.integrations.olist.parse.files import TABLE_PREFIXES, Malformed, iter_rows, locate_tables
from aftercart.integrations.olist.parse.rows import (
    ItemRow,
    Place,
    ReviewRow,
    RowError,
    item_row,
    order_row,
    parse_money,
    required_field,
    review_row,
    zip_prefix,
)


@dataclass(frozen=True, slots=True)
class OlistOrder:
    """The facts of one Olist order; ``line`` is where its row starts in the orders file."""

    order_id: str
    line: int
    facts: list[Fact]


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
                return required_field(row, "order_id"), parse_money(
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
