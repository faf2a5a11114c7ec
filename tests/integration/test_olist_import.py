"""``aftercart import olist``: the real Olist sample into the ledger, re-runs, bad rows."""

from __future__ import annotations

import csv
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from aftercart.orders.models import Fact, Order
from aftercart.stores.models import Store
from tests.conftest import shared_path

pytestmark = pytest.mark.django_db


def run_import(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("aftercart_import", "olist", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def distinct_order_ids(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["order_id"] for row in csv.DictReader(fh)}


@pytest.mark.shared_data
def test_coherent_sample_imports_every_order_once() -> None:
    """The whole 11,079-order sample (about 10 s on SQLite), spot checks, then a second run."""
    folder = shared_path("olist", "coherent_sample_15k_orders")
    expected = distinct_order_ids(folder / "olist_orders_dataset.csv")
    assert len(expected) == 11_079

    started = time.monotonic()
    out, _ = run_import(str(folder))
    assert time.monotonic() - started < 90, "the import must stay well under two minutes"

    store = Store.objects.get(slug="olist")
    assert (store.country, store.timezone, store.default_locale) == ("BR", "America/Sao_Paulo", "pt-br")
    orders = Order.objects.filter(store=store)
    assert orders.count() == len(expected)
    assert set(orders.values_list("external_id", flat=True)) == expected
    facts = Fact.objects.filter(store=store).count()
    assert facts > 3 * len(expected)
    assert f"facts accepted   {facts:>10,}" in out
    assert "malformed rows            0" in out

    # delivered, one item, one seller (first row of the orders file)
    delivered = orders.get(external_id="261e71d2349c713eafa9f3df5972b95d")
    assert (delivered.number, delivered.stage, delivered.next_step) == (
        "261E71D2",
        "post_delivery",
        "delivered",
    )
    assert delivered.placed_at == datetime(2018, 1, 20, 14, 15, 57, tzinfo=UTC)  # São Paulo 12:15:57, UTC-2
    assert (delivered.total, delivered.currency, delivered.postal_code) == (Decimal("172.62"), "BRL", "30840")
    [line] = delivered.lines.all()
    assert (line.line_id, line.unit_price, line.shipped_quantity) == ("1", Decimal("157.77"), 1)
    [shipment] = delivered.shipments.all()
    assert (shipment.carrier, shipment.tag) == ("correios", "delivered")
    assert shipment.estimated_delivery == date(2018, 2, 15)
    assert shipment.delivered_at == datetime(2018, 1, 30, 13, 32, 35, tzinfo=UTC)

    # three sellers, three parcels
    split = orders.get(external_id="24c6142a989e2c7774a57791c8cd449d")
    assert split.shipments.count() == 3 and split.lines.count() == 3
    assert split.stage == "post_delivery"

    # cancelled before it shipped, two items
    cancelled = orders.get(external_id="552e0a8dae101e32155120202f427b71")
    assert (cancelled.stage, cancelled.next_step) == ("cancelled", "cancelled")
    assert set(cancelled.lines.values_list("status", flat=True)) == {"cancelled"}
    assert cancelled.lines.count() == 2

    # every order status lands somewhere sensible
    assert orders.filter(next_step="item_unavailable").count() == 81  # Olist's "unavailable"
    assert orders.filter(stage="cancelled").count() == 65  # "canceled" minus 11 already handed over

    started = time.monotonic()
    out, _ = run_import(str(folder))
    assert Fact.objects.filter(store=store).count() == facts
    assert "facts accepted            0" in out
    assert f"duplicates       {facts:>10,}" in out
    assert orders.count() == len(expected)


@pytest.mark.shared_data
def test_head_samples_in_the_original_format_import() -> None:
    """Olist's own quoting, CRLF and multi-line reviews; the slices do not join, so most orders
    arrive without lines (and with their delivery, as a parcel without lines)."""
    folder = shared_path("olist", "head_samples")
    expected = distinct_order_ids(folder / "olist_orders_dataset__head_sample.csv")
    out, err = run_import(str(folder), "--store", "olist-raw", "--batch-size", "700")
    store = Store.objects.get(slug="olist-raw")
    orders = Order.objects.filter(store=store)
    assert orders.count() == len(expected)
    assert orders.filter(lines__isnull=True).exists()
    assert orders.filter(next_step="delivered").count() > 3_900
    assert "olist_sellers_dataset.csv" in out  # found in the parent folder
    malformed = int(out.split("malformed rows")[1].split()[0].replace(",", ""))
    assert malformed == err.count("malformed row skipped")
    # a review whose message spans lines in the file arrives whole
    comments = Fact.objects.filter(store=store, kind="feedback.received").values_list("payload", flat=True)
    assert any("\n" in p["comment"] for p in comments)


def test_malformed_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "olist_orders_dataset.csv").write_text(
        "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
        "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
        "o1,c1,delivered,2018-01-20 12:15:57,2018-01-20 12:37:13,2018-01-25 21:42:52,"
        "2018-01-30 11:32:35,2018-02-15 00:00:00\n"
        "o2,c2,delivered,2018-13-45 99:00:00,,,,\n"
        "o3,c3,processing,2018-01-21 09:00:00,2018-01-21 09:30:00,,,2018-02-15 00:00:00\n"
    )
    (folder / "olist_order_items_dataset.csv").write_text(
        "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
        "o1,1,p1,s1,2018-01-25 12:00:00,58.90,13.29\n"
        "o3,1,p1,s1,2018-01-25 12:00:00,12.00,1.00\n"
        "o3,2,p2,s1,2018-01-25 12:00:00,twelve,1.00\n"
    )
    out, err = run_import(str(folder), "--store", "broken")

    orders = Order.objects.filter(store__slug="broken")
    assert sorted(orders.values_list("external_id", flat=True)) == ["o1", "o3"]
    assert "olist_orders_dataset.csv:3: order_purchase_timestamp is not a timestamp" in out
    assert "olist_orders_dataset.csv:3:" in err
    assert "olist_order_items_dataset.csv:4: price is not a number" in out
    assert "malformed rows            2" in out
    o3 = orders.get(external_id="o3")
    # Still being picked years after it was placed: long past the handling SLA.
    assert (o3.next_step, list(o3.lines.values_list("line_id", "status"))) == (
        "late_to_ship",
        [("1", "picking")],
    )


def test_a_folder_without_orders_is_an_error(tmp_path: Path) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="olist_orders_dataset"):
        run_import(str(tmp_path))
