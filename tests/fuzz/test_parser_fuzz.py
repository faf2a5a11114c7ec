"""Every parser fuzzed (issue 11): free JSON and mutated real payloads; the only exception allowed
is the adapter's own clean rejection. Seeds come from tests/fixtures and, marked ``shared_data``,
from ../shared/data (read in place, never copied). Budget and profile: :mod:`tests.fuzz.mutations`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from aftercart.domain.facts import Fact
from aftercart.integrations.aftership import AfterShipPayloadError
from aftercart.integrations.aftership import parse_webhook as aftership_parse
from aftercart.integrations.canonical.schemas import EventIn, OrderIn, OrderUpdateIn, event_fact
from aftercart.integrations.carriers import PARSERS, ParsedTracking
from aftercart.integrations.easypost import parse_payload as easypost_parse
from aftercart.integrations.olist.parse import RowError, build_order_facts, item_row, order_row, review_row
from aftercart.integrations.shopify import ShopifyError, parse_rest, parse_webhook
from aftercart.integrations.shopify.inventory import parse_inventory_level, parse_product
from aftercart.integrations.shopify.parse import TOPICS
from tests.conftest import SHARED_DATA
from tests.fuzz.mutations import FUZZ, json_values, load_json_files, mutated, mutated_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AFTERSHIP_SEEDS = load_json_files(FIXTURES / "aftership")
shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"../shared/data is absent (fresh clone): {SHARED_DATA} not found"
)


def _facts(facts: object) -> None:
    assert isinstance(facts, list) and all(isinstance(f, Fact) for f in facts)


# --- canonical JSON (the REST API's own models) ------------------------------------------------

EVENTS = TypeAdapter(EventIn)
CANONICAL_SEEDS = [
    {"kind": "tracking.event", "tracking_number": "1Z999", "carrier": "ups", "tag": "InTransit",
     "subtag": "InTransit_001", "occurred_at": "2026-03-02T15:00:00Z", "estimated_delivery": "2026-03-05"},
    {"kind": "shipment.created", "order_id": "1001", "shipment_id": "S1", "carrier": "UPS",
     "tracking_number": "1Z999", "lines": [{"line_id": "L1", "quantity": 2}], "occurred_at": "2026-03-02T15:00:00+01:00"},
    {"kind": "line.status", "order_id": "1001", "line_id": "L1", "status": "unavailable", "substitute": "Blue",
     "occurred_at": "2026-03-02T15:00:00Z"},
    {"kind": "pickup.ready", "order_id": "1001", "lines": [{"line_id": "L1"}], "location": {"name": "Shop"},
     "deadline": "2026-03-09T18:00:00Z", "occurred_at": "2026-03-02T15:00:00Z"},
    {"kind": "pickup.collected", "order_id": "1001", "shipment_id": "S1", "occurred_at": "2026-03-02T15:00:00Z"},
    {"kind": "order.cancelled", "order_id": "1001", "reason": "fraud", "occurred_at": "2026-03-02T15:00:00Z"},
]  # fmt: skip
ORDER_SEED = {
    "order_id": "1001", "number": "#1001", "placed_at": "2026-03-02T09:00:00Z", "email": "a@b.example",
    "total": "144.99", "sms_consent": True, "lines": [{"line_id": "L1", "quantity": 1, "unit_price": "120.00"}],
}  # fmt: skip


@FUZZ
@given(mutated(CANONICAL_SEEDS) | json_values)
@example({**CANONICAL_SEEDS[1], "lines": [{"line_id": "L1", "quantity": 17059667085856558895071232}]})
@example({**CANONICAL_SEEDS[0], "occurred_at": 0})
def test_canonical_events_are_facts_or_a_validation_error(body):
    try:
        event = EVENTS.validate_python(body)
    except ValidationError:
        return
    fact = event_fact(event)
    json.dumps(fact.payload)  # what the ledger writes must be JSON (a bound on every number)
    assert all(abs(v) < 2**63 for v in _ints(fact.payload))


def _ints(value: object):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ints(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ints(item)


@FUZZ
@given(mutated([ORDER_SEED]) | json_values)
def test_canonical_orders_validate_or_refuse_cleanly(body):
    for model in (OrderIn, OrderUpdateIn):
        with contextlib.suppress(ValidationError):
            model.model_validate(body)


# --- AfterShip ---------------------------------------------------------------------------------


@FUZZ
@given(mutated(AFTERSHIP_SEEDS) | json_values)
def test_aftership_parses_or_raises_its_payload_error(body):
    with contextlib.suppress(AfterShipPayloadError):
        _facts(aftership_parse(body))


# --- Shopify (webhooks, REST, inventory) -------------------------------------------------------


def _shopify_seeds() -> list:
    return load_json_files(SHARED_DATA / "shopify") if SHARED_DATA.is_dir() else []


SHOPIFY_SEEDS = _shopify_seeds()
SHOPIFY_RESOURCES = [
    v for s in SHOPIFY_SEEDS if isinstance(s, dict) for v in s.values() if isinstance(v, dict)
]


@shared_data
@pytest.mark.shared_data
@FUZZ
@given(st.sampled_from(sorted(TOPICS)), mutated(SHOPIFY_RESOURCES or [{}]) | json_values)
def test_shopify_webhooks_parse_or_raise_a_shopify_error(topic, body):
    with contextlib.suppress(ShopifyError):
        _facts(parse_webhook(topic, body))


@shared_data
@pytest.mark.shared_data
@FUZZ
@given(mutated(SHOPIFY_SEEDS or [{}]) | json_values)
def test_shopify_rest_bodies_parse_or_raise_a_shopify_error(body):
    with contextlib.suppress(ShopifyError):
        _facts(parse_rest(body))


PRODUCT_SEED = {
    "id": 632910392, "updated_at": "2026-03-02T09:00:00-05:00",
    "variants": [{"id": 1, "title": "Pink", "sku": "IPOD-P", "inventory_item_id": 808950810,
                  "inventory_management": "shopify", "inventory_quantity": 10}],
}  # fmt: skip
LEVEL_SEED = {"inventory_item_id": 808950810, "location_id": 655441491, "available": 3,
              "updated_at": "2026-03-02T09:00:00-05:00"}  # fmt: skip


@FUZZ
@given(mutated([PRODUCT_SEED, LEVEL_SEED]) | json_values)
def test_shopify_inventory_parses_or_raises_a_shopify_error(body):
    for parse in (parse_product, parse_inventory_level):
        with contextlib.suppress(ShopifyError):
            parse(body)


# --- EasyPost: never raises (what is not a Tracker gives no facts) -------------------------------


def _easypost_seeds() -> list:
    return load_json_files(SHARED_DATA / "easypost") if SHARED_DATA.is_dir() else []


@shared_data
@pytest.mark.shared_data
@FUZZ
@given(mutated(_easypost_seeds() or [{}]) | json_values)
@example({"object": "Tracker", "tracking_code": "9400100000000000000000", "tracking_details": [None]})
@example({"object": "Tracker", "tracking_code": "9400100000000000000000", "tracking_details": True})
@example(
    {
        "object": "Tracker",
        "tracking_code": "9400100000000000000000",
        "tracking_details": [{"datetime": "2026-01-01T00:00:00Z", "tracking_location": 7}],
    }
)
def test_easypost_never_raises(body):
    _facts(easypost_parse(body))


# --- carriers: each parser answers errors in its result, never by raising ----------------------


def _carrier_seeds(slug: str) -> list[str]:
    folder = SHARED_DATA / "carrier_tracking" / "karrio" / slug
    return sorted(p.read_text(encoding="utf-8") for p in folder.glob("*.*") if p.suffix in (".json", ".xml"))


@shared_data
@pytest.mark.shared_data
@pytest.mark.parametrize("slug", sorted(PARSERS))
def test_each_carrier_parser_returns_its_errors_never_raises(slug):
    seeds = _carrier_seeds(slug)
    assert seeds, f"no seed responses for {slug}"
    as_json = [json.loads(s) for s in seeds if not s.lstrip().startswith("<")]
    texts = mutated_text(seeds)
    if as_json:
        texts = texts | mutated(as_json).map(json.dumps)

    @FUZZ
    @given(texts | st.binary(max_size=64))
    # Crashes the fuzzer found (AttributeError/TypeError on a field of the wrong type), kept.
    @example('{"trackResponse": {"shipment": [true]}}')
    @example(
        '{"trackResponse": {"shipment": [{"package": [{"activity": [{"status": "X"}]}]}]}, "response": []}'
    )
    @example('{"Fault": {"detail": {"Errors": []}}}')
    @example('{"errors": [null], "output": {"completeTrackResults": true}}')
    @example(
        '{"output": {"completeTrackResults": [{"trackResults": [{"scanEvents": [null]}, {"error": 1}]}]}}'
    )
    @example('{"output": {"alerts": [null], "completeTrackResults": []}}')
    @example(
        '[{"trackingNumber": "9400", "trackingEvents": [null]}, {"trackingNumber": "9400", "trackingEvents": true}]'
    )
    @example('{"error": {"errors": [null, 1]}}')
    @example(b'<?xml version="1.0" encoding="UTV-8"?><a/>')  # atheris: LookupError from expat
    @example(b'<?xml version="1.0" encoding="UTF-7"?><a/>')  # atheris: ValueError from expat
    def fuzz(raw):
        parsed = PARSERS[slug](raw)
        assert isinstance(parsed, ParsedTracking)
        _facts(parsed.facts)

    fuzz()


# --- Olist CSV rows ------------------------------------------------------------------------------

ORDER_ROW = {
    "order_id": "e481f51cbdc54678b7cc49136f2d6af7", "customer_id": "9ef432eb6251297304e76186b10a928d",
    "order_status": "delivered", "order_purchase_timestamp": "2017-10-02 10:56:33",
    "order_approved_at": "2017-10-02 11:07:15", "order_delivered_carrier_date": "2017-10-04 19:55:00",
    "order_delivered_customer_date": "2017-10-10 21:25:13", "order_estimated_delivery_date": "2017-10-18 00:00:00",
}  # fmt: skip
ITEM_ROW = {
    "order_id": ORDER_ROW["order_id"], "order_item_id": "1", "product_id": "87285b34884572647811a353c7ac498a",
    "seller_id": "3504c0cb71d7fa48d967e0e4c94d59d9", "shipping_limit_date": "2017-10-06 11:07:15",
    "price": "29.99", "freight_value": "8.72",
}  # fmt: skip
REVIEW_ROW = {
    "review_id": "a54f0611adc9ed256b57ede6b6eb5114", "order_id": ORDER_ROW["order_id"], "review_score": "4",
    "review_comment_title": "", "review_comment_message": "Não testei o produto ainda",
    "review_creation_date": "2017-10-11 00:00:00", "review_answer_timestamp": "2017-10-12 03:43:48",
}  # fmt: skip
#: A CSV row is a dict of strings (or None for a short row): mutate values as text.
csv_rows = st.sampled_from([ORDER_ROW, ITEM_ROW, REVIEW_ROW]).flatmap(
    lambda row: st.fixed_dictionaries(
        {
            k: st.one_of(st.just(v), mutated_text([v or " "]), st.text(max_size=24), st.none())
            for k, v in row.items()
        }
    )
)


@FUZZ
@given(csv_rows, csv_rows, csv_rows)
def test_olist_rows_read_or_raise_a_row_error_and_build_facts(order, item, review):
    try:
        parsed_order = order_row({**ORDER_ROW, **{k: v for k, v in order.items() if k in ORDER_ROW}})
        items = [item_row({**ITEM_ROW, **{k: v for k, v in item.items() if k in ITEM_ROW}})]
        reviews = [review_row({**REVIEW_ROW, **{k: v for k, v in review.items() if k in REVIEW_ROW}})]
    except RowError:
        return
    _facts(build_order_facts(parsed_order, items=items, reviews=reviews))


@shared_data
@pytest.mark.shared_data
def test_olist_real_rows_are_seeds_that_parse():
    """The real head samples read cleanly (the fuzzers' seeds above are copied from their shape)."""
    folder = SHARED_DATA / "olist" / "head_samples"
    with (folder / "olist_orders_dataset__head_sample.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert rows and all(order_row(r).order_id for r in rows[:50])
