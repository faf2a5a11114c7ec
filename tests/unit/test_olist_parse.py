"""The Olist adapter on small hand-written tables: quoting, BOM, CRLF, gzip, bad rows, the mapping."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aftercart.domain.facts import FactKind
from aftercart.domain.projection.fold import project
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Stage
from aftercart.integrations.olist.parse import (
    Malformed,
    OlistReader,
    find_table,
    iter_rows,
    parse_timestamp,
    zip_prefix,
)

ORDERS_HEADER = (
    '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at",'
    '"order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"'
)
ITEMS_HEADER = (
    '"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"'
)
REVIEWS_HEADER = (
    '"review_id","order_id","review_score","review_comment_title","review_comment_message",'
    '"review_creation_date","review_answer_timestamp"'
)


def write(path: Path, lines: list[str], newline: str = "\n", bom: bool = False, gz: bool = False) -> Path:
    data = ("\ufeff" if bom else "") + newline.join(lines) + newline
    if gz:
        with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
            fh.write(data)
    else:
        path.write_bytes(data.encode("utf-8"))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An Olist folder in the original's quirky format: mixed quoting, CRLF reviews with a
    multi-line message, a BOM on the translation table, products gzipped one level up."""
    sample = tmp_path / "sample"
    sample.mkdir()
    write(
        sample / "olist_orders_dataset.csv",
        [
            ORDERS_HEADER,
            # mixed quoting, as in Olist's own file
            'aaaaaaaa11112222,"c1",delivered,2018-01-20 12:15:57,2018-01-20 12:37:13,'
            "2018-01-25 21:42:52,2018-01-30 11:32:35,2018-02-15 00:00:00",
            '"bbbbbbbb33334444",c2,canceled,2017-08-19 19:08:26,2017-08-19 19:24:32,,,2017-09-11 00:00:00',
            "cccccccc55556666,c3,unavailable,2017-08-20 10:00:00,2017-08-20 10:05:00,,,2017-09-11 00:00:00",
        ],
    )
    write(
        sample / "olist_order_items_dataset.csv",
        [
            ITEMS_HEADER,
            '"aaaaaaaa11112222",1,"p1","s1",2018-01-25 12:00:00,58.90,13.29',
            "aaaaaaaa11112222,2,p2,s2,2018-01-25 12:00:00,10.00,",
            "bbbbbbbb33334444,1,p1,s1,2017-08-25 12:00:00,20.00,5.00",
        ],
    )
    write(
        sample / "olist_order_payments_dataset.csv",
        [
            '"order_id","payment_sequential","payment_type","payment_installments","payment_value"',
            "aaaaaaaa11112222,1,credit_card,8,50.00",
            "aaaaaaaa11112222,2,voucher,1,32.19",
        ],
    )
    write(
        sample / "olist_order_reviews_dataset.csv",
        [
            REVIEWS_HEADER,
            '"r1","aaaaaaaa11112222",4,"Bom","Chegou antes do prazo.\r\nRecomendo!",'
            "2018-01-31 00:00:00,2018-02-01 10:00:00",
            '"r2","bbbbbbbb33334444",1,,,2017-09-01 00:00:00,',
        ],
        newline="\r\n",
    )
    write(
        sample / "olist_customers_dataset.csv",
        [
            "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state",
            "c1,u1,8775,mogi das cruzes,SP",  # pandas copy: the leading zero is gone
            'c2,u2,"01151",sao paulo,SP',
        ],
    )
    write(
        tmp_path / "olist_sellers_dataset.csv",
        ['"seller_id","seller_zip_code_prefix","seller_city","seller_state"', 's1,"13023",campinas,SP'],
    )
    write(
        tmp_path / "olist_products_dataset.csv.gz",
        [
            '"product_id","product_category_name","product_name_lenght"',
            '"p1",beleza_saude,40',
            "p2,cama_mesa_banho,20",
        ],
        gz=True,
    )
    write(
        tmp_path / "product_category_name_translation.csv",
        ["product_category_name,product_category_name_english", "beleza_saude,health_beauty"],
        newline="\r\n",
        bom=True,
    )
    return sample


def read(folder: Path) -> tuple[dict[str, list], list[Malformed]]:
    problems: list[Malformed] = []
    reader = OlistReader.from_directory(folder, problems.append)
    reader.load()
    return {o.order_id: o.facts for o in reader.orders()}, problems


def test_tables_are_found_in_the_folder_then_its_parent(folder: Path) -> None:
    assert find_table(folder, "orders") == folder / "olist_orders_dataset.csv"
    assert find_table(folder, "sellers") == folder.parent / "olist_sellers_dataset.csv"
    assert find_table(folder, "products") == folder.parent / "olist_products_dataset.csv.gz"
    # "olist_orders_dataset" must not pick up "olist_order_items_dataset" and vice versa
    assert find_table(folder, "items") == folder / "olist_order_items_dataset.csv"


def test_a_folder_without_orders_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="olist_orders_dataset"):
        OlistReader.from_directory(tmp_path / "empty", lambda p: None)


def test_delivered_order_maps_to_placed_confirmed_shipped_delivered_reviewed(folder: Path) -> None:
    orders, problems = read(folder)
    assert problems == []
    facts = orders["aaaaaaaa11112222"]
    placed = next(f for f in facts if f.kind is FactKind.ORDER_PLACED)
    # São Paulo was UTC-2 (summer time) in January 2018
    assert placed.occurred_at == datetime(2018, 1, 20, 14, 15, 57, tzinfo=UTC)
    assert placed.idempotency_key == "olist:aaaaaaaa11112222:placed"
    p = placed.payload
    assert p["number"] == "AAAAAAAA"
    assert (p["postal_code"], p["customer_city"], p["customer_state"]) == ("08775", "mogi das cruzes", "SP")
    assert (p["country"], p["currency"], p["total"]) == ("BR", "BRL", "82.19")
    assert [(ln["line_id"], ln["title"], ln["unit_price"]) for ln in p["lines"]] == [
        ("1", "health beauty", "58.90"),
        ("2", "cama mesa banho", "10.00"),  # no translation: the Portuguese name
    ]
    assert p["lines"][0]["freight_value"] == "13.29" and p["lines"][0]["seller_id"] == "s1"

    state = project(facts)
    assert state.stage is Stage.POST_DELIVERY
    assert {ln.status for ln in state.lines.values()} == {FulfilmentStatus.CONFIRMED}
    assert sorted(state.shipments) == ["aaaaaaaa11112222:s1", "aaaaaaaa11112222:s2"]
    s1 = state.shipments["aaaaaaaa11112222:s1"]
    assert (s1.carrier, s1.tag, s1.lines) == ("correios", CarrierTag.DELIVERED, {"1": 1})
    assert s1.estimated_delivery == date(2018, 2, 15)
    created = next(f for f in facts if f.kind is FactKind.SHIPMENT_CREATED and f.payload["seller_id"] == "s1")
    assert (created.payload["seller_zip_code_prefix"], created.payload["seller_state"]) == ("13023", "SP")

    review = next(f for f in facts if f.kind is FactKind.FEEDBACK_RECEIVED)
    assert review.payload["score"] == 4
    assert review.payload["comment"] == "Chegou antes do prazo.\nRecomendo!"  # multi-line, CRLF unified
    assert review.payload["feedback_id"] == "r1"


def test_cancelled_and_unavailable_orders(folder: Path) -> None:
    orders, _ = read(folder)
    cancelled = project(orders["bbbbbbbb33334444"])
    assert cancelled.stage is Stage.CANCELLED
    assert cancelled.cancelled_at == datetime(2017, 8, 19, 22, 24, 32, tzinfo=UTC)  # latest known time
    assert cancelled.postal_code == "01151"
    assert "total" not in next(iter(orders["bbbbbbbb33334444"])).payload  # no payments in the files

    unavailable = project(orders["cccccccc55556666"])
    # Olist drops the items of unavailable orders: one placeholder line says something is missing.
    assert [(ln.line_id, ln.status) for ln in unavailable.lines.values()] == [
        ("1", FulfilmentStatus.UNAVAILABLE)
    ]
    assert unavailable.stage is Stage.EXCEPTION


def test_keys_are_stable_across_reads(folder: Path) -> None:
    first, _ = read(folder)
    second, _ = read(folder)
    keys = [f.idempotency_key for facts in first.values() for f in facts]
    assert keys == [f.idempotency_key for facts in second.values() for f in facts]
    assert len(keys) == len(set(keys))


def test_malformed_rows_are_reported_with_file_and_line_and_skipped(folder: Path) -> None:
    orders_file = folder / "olist_orders_dataset.csv"
    lines = orders_file.read_text().splitlines()
    lines[2] = lines[2].replace("2017-08-19 19:08:26", "19/08/2017 7pm")  # line 3: bad timestamp
    lines.append(",c9,delivered,2017-08-20 10:00:00,,,,")  # line 5: no order_id
    lines.append("dddd,c9,delivered")  # line 6: too few fields
    write(orders_file, lines)
    items_file = folder / "olist_order_items_dataset.csv"
    write(items_file, [*items_file.read_text().splitlines(), "aaaaaaaa11112222,3,p3,s1,,abc,1.00"])

    orders, problems = read(folder)
    assert sorted(orders) == ["aaaaaaaa11112222", "cccccccc55556666"]
    found = {(p.file, p.line): p.reason for p in problems}
    assert "order_purchase_timestamp" in found[("olist_orders_dataset.csv", 3)]
    assert found[("olist_orders_dataset.csv", 5)] == "missing order_id"
    assert "fields" in found[("olist_orders_dataset.csv", 6)]
    assert "price" in found[("olist_order_items_dataset.csv", 5)]
    assert str(problems[0]).startswith("olist_order_items_dataset.csv:5: price")
    # the bad item is skipped, its order keeps the good lines
    assert len(orders["aaaaaaaa11112222"][0].payload["lines"]) == 2


def test_line_numbers_point_at_the_start_of_multi_line_records(tmp_path: Path) -> None:
    path = write(
        tmp_path / "olist_order_reviews_dataset.csv",
        [REVIEWS_HEADER, '"r1","o1",5,,"one\r\ntwo\r\nthree",2018-01-01 00:00:00,', '"r2","o2",x,,,,'],
        newline="\r\n",
    )
    problems: list[Malformed] = []
    rows = list(iter_rows(path, problems.append))
    assert [line for line, _ in rows] == [2, 5]
    assert rows[0][1]["review_comment_message"] == "one\r\ntwo\r\nthree"


def test_helpers() -> None:
    assert zip_prefix("8775") == "08775" and zip_prefix("01151") == "01151" and zip_prefix("") == ""
    assert parse_timestamp("", "x") is None
    # July: São Paulo is UTC-3 (no daylight saving since 2019, none in winter before either)
    assert parse_timestamp("2018-07-24 20:41:37", "x") == datetime(2018, 7, 24, 23, 41, 37, tzinfo=UTC)
