"""``aftercart journeys simulate``: orders ingested through the real ledger, replayed without a send."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aftercart.domain.milestones import Milestone
from aftercart.notifications.models import ChannelConfig, DeliveryAttempt, Message
from aftercart.orders.models import Fact, Order
from aftercart.orders.services import facts_record
from aftercart.stores.services import store_create
from tests.unit.test_journeys import delivered_in_six_days, history, placed

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingested(store):
    """o1 and o2 of one customer (same times), o3 without an address: recorded as a backfill is."""
    orders = [delivered_in_six_days("o1"), delivered_in_six_days("o2"), history("o3", placed("o3", email=""))]
    facts_record(store=store, facts=[f for h in orders for f in h.facts], notify=False)
    return store


def simulate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("aftercart_journeys", "simulate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot_of_writes() -> tuple:
    return (
        Message.objects.count(),
        DeliveryAttempt.objects.count(),
        Fact.objects.count(),
        sorted(Order.objects.values_list("pk", "fact_count", "stage", "updated_at")),
    )


def test_json_report_has_the_exact_numbers_and_nothing_is_written(ingested) -> None:
    before = snapshot_of_writes()
    assert before[0] == 0  # a backfill plans nothing

    out, _ = simulate("--since", "2026-03-01", "--json")
    assert snapshot_of_writes() == before

    data = json.loads(out)
    assert (data["store"], data["orders"], data["customers"], data["assume_reachable"]) == (
        "acme",
        3,
        2,
        False,
    )
    assert data["as_of"] == "2026-03-08T09:00:00+00:00"  # the newest stored fact
    assert data["messages"]["sent"] == 4
    assert data["messages"]["by_channel"] == {
        "email": {
            "sent": 4,
            "per_order": 1.333,
            "by_milestone": {"delivered": 2, "order_confirmed": 1, "shipped": 1},
        }
    }
    # o2 shares o1's address and times: each routine message falls inside o1's 16 h cap; its
    # "delivered" closes its journey and is never capped.
    assert data["suppressed"] == {
        "total": 5,
        "by_reason": {"frequency_cap": 2, "no_contact": 1, "stale": 2},
        "by_reason_milestone": {
            "frequency_cap": {"order_confirmed": 1, "shipped": 1},
            "no_contact": {"order_confirmed": 1},
            "stale": {"preparing": 2},
        },
        "by_channel": {"email": {"frequency_cap": 2, "no_contact": 1, "stale": 2}},
    }
    silent = data["silent"]
    assert (silent["orders"], silent["by_stage"], silent["ongoing"], silent["median_days"]) == (
        3,
        {"confirmation": 1, "in_transit": 2},
        1,
        6,
    )
    assert [(g["number"], g["stage"], g["days"], g["ongoing"]) for g in silent["longest"]] == [
        ("#o2", "in_transit", 6.0, False),
        ("#o3", "confirmation", 6.0, True),
        ("#o1", "in_transit", 4.0, False),
    ]
    assert any("2 orders (67%) waited more than 3 days on their way" in r for r in data["recommendations"])


def test_assume_reachable_gives_orders_without_an_address_a_stand_in(ingested) -> None:
    data = json.loads(simulate("--since", "2026-03-01", "--json", "--assume-reachable")[0])
    assert data["assume_reachable"] is True
    assert data["messages"]["by_channel"]["email"]["by_milestone"]["order_confirmed"] == 2
    assert "no_contact" not in data["suppressed"]["by_reason"]


def test_until_stops_history_and_silent_days_moves_the_threshold(ingested) -> None:
    # Up to 5 March: nothing delivered yet, the "shipped" e-mail went on the 4th.
    data = json.loads(simulate("--since", "2026-03-01", "--until", "2026-03-05", "--json")[0])
    assert data["as_of"] == "2026-03-05T00:00:00+00:00"
    assert data["messages"]["by_channel"]["email"]["by_milestone"] == {"order_confirmed": 1, "shipped": 1}
    assert data["silent"]["orders"] == 0  # o3 has waited 2 days 15 hours: under 3 days

    data = json.loads(simulate("--since", "2026-03-01", "--silent-days", "5", "--json")[0])
    assert [g["number"] for g in data["silent"]["longest"]] == ["#o2", "#o3"]


def test_the_stores_channels_are_the_live_planners(ingested) -> None:
    # A journey that texts every milestone (SMS's default journey texts fewer).
    every = [m.value for m in Milestone]
    ChannelConfig.objects.create(store=ingested, channel="sms", settings={}, milestones=every)
    data = json.loads(simulate("--since", "2026-03-01", "--json")[0])
    # Every milestone goes to SMS too: 3 reachable milestones of o1 and of o2 and o3's confirmation
    # have no phone number to go to; "preparing" was stale first.
    assert data["suppressed"]["by_channel"]["sms"] == {"no_contact": 7, "stale": 2}
    assert "sms" not in data["messages"]["by_channel"]


def test_human_report_names_orders_and_recommends(ingested) -> None:
    out, err = simulate("--since", "2026-03-01")
    assert "Journey preview of store acme: 3 orders (2 customers)" in out
    assert "Nothing was sent." in out
    assert "order_confirmed" in out and "frequency_cap" in out
    assert "#o2" in out and "#o3" in out and "still silent" in out
    assert "Missed promises nobody explained: 0 orders" in out
    assert "Recommendations" in out and "waited more than 3 days on their way" in out
    assert err == ""  # no progress bar when not on a terminal


def test_store_must_be_chosen_when_there_are_several(ingested) -> None:
    store_create(slug="other", name="Other")
    with pytest.raises(CommandError, match="Choose a store with --store SLUG"):
        simulate("--since", "2026-03-01")
    with pytest.raises(CommandError, match="No store 'nope'"):
        simulate("--since", "2026-03-01", "--store", "nope")
    data = json.loads(simulate("--since", "2026-03-01", "--store", "other", "--json")[0])
    assert data["orders"] == 0


def test_an_address_with_too_many_orders_is_replayed_in_groups(ingested, monkeypatch) -> None:
    # A placeholder address shared by thousands of orders must not be held in memory at once.
    monkeypatch.setattr("aftercart.notifications.journey_replay.MAX_CUSTOMER_ORDERS", 1)
    data = json.loads(simulate("--since", "2026-03-01", "--json")[0])
    assert data["customers"] == 3
    assert "frequency_cap" not in data["suppressed"]["by_reason"]  # o1 and o2 no longer share a cap


def test_customers_stored_choices_are_applied(ingested) -> None:
    from aftercart.domain.messaging import Channel
    from aftercart.domain.milestones import Milestone
    from aftercart.notifications.services import preference_set

    # The address as the order typed it ("ana@example.com") is found under its normalised key.
    preference_set(
        store_id=ingested.pk,
        channel=Channel.EMAIL,
        address="ana@example.com",
        opted_in=False,
        source="preference_page",
        milestone=Milestone.SHIPPED,
    )
    data = json.loads(simulate("--since", "2026-03-01", "--json")[0])
    assert data["messages"]["by_channel"]["email"]["by_milestone"] == {"delivered": 2, "order_confirmed": 1}
    assert data["suppressed"]["by_reason_milestone"]["no_consent"] == {"shipped": 2}

    preference_set(
        store_id=ingested.pk,
        channel=Channel.EMAIL,
        address="ana@example.com",
        opted_in=False,
        source="one_click",
    )
    data = json.loads(simulate("--since", "2026-03-01", "--json")[0])
    assert data["messages"]["sent"] == 0
    assert data["suppressed"]["by_reason"]["no_consent"] == 6  # confirmed, shipped, delivered × o1 and o2
