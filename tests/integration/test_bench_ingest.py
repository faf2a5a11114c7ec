"""``aftercart bench ingest``: the stream has the promised shape and a small run ends in the right state.

No timing assertions: the figures depend on the machine. What is asserted would break if the
benchmark measured the wrong thing (no re-sends, no late events, a batch touching few orders) or
if the write path lost, doubled or misapplied facts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from io import StringIO
from itertools import islice
from types import GeneratorType

import pytest
from django.core.management import CommandError, call_command

from aftercart.benchmarks.ingest import (
    DELIVERY_LAG,
    REPORT_KEYS,
    IngestConfig,
    StreamStats,
    batch_clock,
    check_state,
    run_ingest,
    tracking_events,
)
from aftercart.orders.models import Fact, Shipment
from aftercart.stores.models import Store

SMALL = IngestConfig(events=3000, batch=500, active=100)


def test_stream_is_lazy_and_has_resends_late_events_and_whole_journeys() -> None:
    stats = StreamStats()
    stream = tracking_events(SMALL, stats)
    assert isinstance(stream, GeneratorType), "events are made one at a time, never held all at once"
    events = list(stream)
    assert len(events) == SMALL.events == stats.emitted
    assert stats.duplicates == 30, "1% re-sent"
    assert 0.04 * SMALL.events <= stats.out_of_order <= 0.06 * SMALL.events, "about 5% late"

    seen: set[str] = set()
    resent = 0
    latest: dict[str, str] = {}
    late = 0
    per_parcel: Counter[str] = Counter()
    for event in events:
        body = json.dumps(event, sort_keys=True)
        if body in seen:
            resent += 1  # an exact copy of an earlier event
            continue
        seen.add(body)
        number, at = event["tracking_number"], event["occurred_at"]
        per_parcel[number] += 1
        if number in latest and at < latest[number]:
            late += 1  # sent after a later checkpoint of the same parcel
        latest[number] = max(at, latest.get(number, at))
    assert resent == stats.duplicates
    assert late == stats.out_of_order
    delivered = {n for n in stats.delivered}
    assert delivered and len(delivered) < len(per_parcel), "some parcels finish, some are mid-journey"
    assert all(10 <= per_parcel[n] <= 20 for n in delivered), "a whole journey is 10–20 checkpoints"
    tags = Counter(e["tag"] for e in events)
    assert tags["attempt_fail"] and tags["exception"] and tags["out_for_delivery"]
    assert list(tracking_events(SMALL)) == events, "a seed gives the same stream"


def test_a_batch_touches_many_parcels_when_many_are_moving() -> None:
    def parcels_per_batch(active: int) -> float:
        config = IngestConfig(events=4000, batch=1000, active=active)
        batches: defaultdict[int, set[str]] = defaultdict(set)
        for i, event in enumerate(tracking_events(config)):
            batches[i // config.batch].add(event["tracking_number"])
        return sum(len(b) for b in batches.values()) / len(batches)

    assert parcels_per_batch(2000) > 600  # a firehose: most events of a batch are different orders
    assert parcels_per_batch(200) < 300  # a small window: each order gets ~5 events per batch


def test_each_batch_is_recorded_just_after_its_newest_event() -> None:
    """A live feed's clock: otherwise weeks of simulated journeys would all look years overdue."""
    batch = list(islice(tracking_events(SMALL), 1000))
    newest = max(datetime.fromisoformat(e["occurred_at"]) for e in batch)
    assert batch_clock(batch) == newest + DELIVERY_LAG
    assert timedelta(0) < DELIVERY_LAG <= timedelta(minutes=10)


@pytest.mark.django_db
def test_small_run_stores_every_fact_once_and_delivers_what_was_delivered() -> None:
    report = run_ingest(SMALL)
    assert report.ok, report.problems

    data = report.to_json()
    assert list(data)[: len(REPORT_KEYS)] == list(REPORT_KEYS)
    for key in ("end_to_end_events_per_s", "floor_events_per_s", "ratio", "peak_rss_mb", "seconds"):
        assert data[key] > 0, key
    assert (data["events"], data["batch"], data["active"]) == (3000, 500, 100)
    assert data["database"].split()[0] in ("sqlite", "postgresql")
    json.dumps(data)  # the command prints it as is

    # Checked here against the database directly, not only through the benchmark's own check.
    store = Store.objects.get(slug="bench-1")
    real = Fact.objects.filter(store=store, kind="tracking.event", source="api")
    assert real.count() == SMALL.events - report.duplicates
    assert real.filter(order__isnull=True).count() == 0
    # The floor stored the same rows: the real facts' keys (prefixed), re-sends left out.
    floor_keys = set(
        Fact.objects.filter(store=store, source="floor").values_list("idempotency_key", flat=True)
    )
    assert floor_keys == {f"floor:{key}" for key in real.values_list("idempotency_key", flat=True)}
    got_delivered_event = set(real.filter(payload__tag="delivered").values_list("tracking_number", flat=True))
    delivered = set(
        Shipment.objects.filter(store=store, tag="delivered").values_list("tracking_number", flat=True)
    )
    assert got_delivered_event and delivered == got_delivered_event
    assert Shipment.objects.filter(store=store).exclude(tag="delivered").exists()
    assert report.shipments == Shipment.objects.filter(store=store).count()


@pytest.mark.django_db
def test_the_check_reports_a_wrong_final_state() -> None:
    config = IngestConfig(events=600, batch=200, active=20)
    stats = StreamStats()
    report = run_ingest(config)
    assert report.ok, report.problems
    store = Store.objects.get(slug="bench-1")
    list(tracking_events(config, stats))  # the same stream again, for its statistics
    shipment = Shipment.objects.filter(store=store, tag="delivered").first()
    assert shipment is not None
    Shipment.objects.filter(pk=shipment.pk).update(tag="in_transit")
    Fact.objects.filter(store=store, source="floor").delete()
    Fact.objects.filter(store=store, kind="tracking.event").order_by("pk").first().delete()  # type: ignore[union-attr]

    problems, _ = check_state(store, config, stats, stats.duplicates, 0, report.shipments)
    text = "\n".join(problems)
    assert "tracking facts stored" in text
    assert "got their delivered event but are not delivered" in text
    assert "fact_count differs" in text


def test_command_prints_one_json_object_from_its_own_database() -> None:
    out = StringIO()
    call_command("aftercart_bench", "ingest", "--events", "1500", "--active", "50", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(REPORT_KEYS) <= data.keys()
    assert data["ok"] is True and data["events"] == 1500 and data["database"].startswith("sqlite")
    assert data["end_to_end_events_per_s"] > 0 and data["floor_events_per_s"] > 0


def _result(**changes: object) -> dict[str, object]:
    result: dict[str, object] = dict.fromkeys(REPORT_KEYS, 1)
    result.update(
        database="sqlite 3",
        shipments=1,
        orders_per_batch=1.0,
        parse_seconds=0.1,
        record_seconds=0.9,
        cpu_seconds=1.0,
        cpus=1,
        planner_receivers=[],
        ok=True,
        problems=[],
    )
    result.update(changes)
    return result


def test_a_wrong_final_state_fails_the_command_after_printing_the_figures(monkeypatch) -> None:
    from aftercart.commands.management.commands import aftercart_bench

    wrong = _result(ok=False, problems=["3 shipments got their delivered event but are not delivered"])
    monkeypatch.setattr(aftercart_bench, "run_child", lambda argv, url, var_dir: wrong)
    out = StringIO()
    with pytest.raises(CommandError, match=r"WRONG(.|\n)*3 shipments"):
        call_command("aftercart_bench", "ingest", "--events", "10", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is False

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("aftercart_bench", "ingest", "--events", "10", stdout=out)
    assert "end to end / floor" in out.getvalue() and "target" in out.getvalue()
