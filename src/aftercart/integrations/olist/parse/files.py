"""Olist's CSV files: where each table is, and reading one with the ``csv`` module (every column as a
string, CRLF, a UTF-8 BOM and ``.csv.gz`` tolerated, malformed records reported and skipped)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

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


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row that could not be imported: where it is and why. The import skips it."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


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
