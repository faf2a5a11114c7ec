"""Olist's public e-commerce dataset (CSV tables as Olist publishes them) → canonical facts.

Pure: no Django. :class:`OlistReader` finds the tables in a folder, reads them with the ``csv``
module (every column as a string: zip prefixes keep their leading zeros, mixed quoting and
multi-line quoted review text parse as written, CRLF and a UTF-8 BOM are tolerated, ``.csv.gz``
is read compressed) and yields the facts of one order at a time.

Memory: the small per-order tables (items, payments, reviews) are held in dicts keyed by
``order_id``, and customers, sellers and product categories by their ids, because Olist spreads an
order over several files in no useful order. The orders table — the one that drives the import —
is streamed, and the caller decides how many orders' facts to keep before recording them.

The package: :mod:`.files` finds and reads the CSV files, :mod:`.rows` reads and checks one row of
a table (and the places of customers and sellers), :mod:`.facts` maps one order's rows to facts,
:mod:`.reader` ties them together (:class:`OlistReader`).

Olist timestamps are São Paulo local time and are converted to UTC.
"""

from aftercart.integrations.olist.parse.facts import CARRIER, SOURCE, build_order_facts, order_number
from aftercart.integrations.olist.parse.files import (
    TABLE_PREFIXES,
    Malformed,
    count_lines,
    find_table,
    iter_rows,
    locate_tables,
    open_text,
)
from aftercart.integrations.olist.parse.reader import OlistOrder, OlistReader
from aftercart.integrations.olist.parse.rows import (
    SAO_PAULO,
    ItemRow,
    OrderRow,
    Place,
    ReviewRow,
    RowError,
    item_row,
    order_row,
    parse_money,
    parse_timestamp,
    review_row,
    zip_prefix,
)

__all__ = [
    "CARRIER",
    "SAO_PAULO",
    "SOURCE",
    "TABLE_PREFIXES",
    "ItemRow",
    "Malformed",
    "OlistOrder",
    "OlistReader",
    "OrderRow",
    "Place",
    "ReviewRow",
    "RowError",
    "build_order_facts",
    "count_lines",
    "find_table",
    "item_row",
    "iter_rows",
    "locate_tables",
    "open_text",
    "order_number",
    "order_row",
    "parse_money",
    "parse_timestamp",
    "review_row",
    "zip_prefix",
]
