"""Journey preview: stored facts replayed through the live policy, and the report built from them."""

from __future__ import annotations

from datetime import timedelta

from aftercart.domain.journey_replay.journey import (
    OrderHistory,
    OrderJourney,
    Outcome,
    SilentGap,
    SimulationSettings,
    outcome_of,
)
from aftercart.domain.journey_replay.replay import replay_customer
from aftercart.domain.journey_replay.report import JourneyReport
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.domain.vocabulary import Stage
from tests.unit.test_projection import T0, fact

DAY = 24 * 60
MIN = timedelta(minutes=1)
EMAIL_ONLY = {m: {Channel.EMAIL} for m in Milestone}
BOTH = {m: {Channel.EMAIL, Channel.SMS} for m in Milestone}


def placed(order="o1", minutes=0, email="ana@example.com", **extra):
    return fact(
        "order.placed",
        minutes,
        f"{order}:placed",
        order=order,
        number=f"#{order}",
        email=email,
        timezone="UTC",
        lines=[{"line_id": "L1", "title": "Lamp"}],
        **extra,
    )


def shipped(order="o1", minutes=0):
    return fact(
        "shipment.created",
        minutes,
        f"{order}:ship",
        order=order,
        shipment_id=f"{order}-S1",
        carrier="UPS",
        tracking_number=f"1Z{order}",
        lines=[{"line_id": "L1", "quantity": 1}],
    )


def scan(order, minutes, tag):
    return fact(
        "tracking.event",
        minutes,
        f"{order}:scan:{minutes}:{tag}",
        order=order,
        tracking=f"1Z{order}",
        shipment_id=f"{order}-S1",
        tag=tag,
    )


def history(order, *facts, number=None):
    return OrderHistory(
        order_id=int(order.removeprefix("o")), number=number or f"#{order}", order_ref=order, facts=facts
    )


def settings(channels=EMAIL_ONLY, since=T0 - timedelta(days=1), days=30, **extra):
    return SimulationSettings(channels=channels, since=since, as_of=T0 + timedelta(days=days), **extra)


def by_milestone(journey: OrderJourney):
    return {(m.milestone.value, m.channel.value): m for m in journey.messages}


def delivered_in_six_days(order="o1", email="ana@example.com"):
    return history(
        order,
        placed(order, email=email),
        shipped(order, 2 * DAY),
        scan(order, 2 * DAY, "in_transit"),
        scan(order, 6 * DAY, "delivered"),
    )


def test_one_order_is_told_each_milestone_and_its_silence_in_transit_is_found() -> None:
    [journey] = replay_customer([delivered_in_six_days()], settings())

    messages = by_milestone(journey)
    assert {k: (m.outcome, m.sent_at) for k, m in messages.items()} == {
        ("order_confirmed", "email"): (Outcome.SENT, T0 + 15 * MIN),
        # reached together with "shipped": already contradicted, never sent
        ("preparing", "email"): (Outcome.STALE, None),
        ("shipped", "email"): (Outcome.SENT, T0 + timedelta(days=2) + 15 * MIN),
        ("delivered", "email"): (Outcome.SENT, T0 + timedelta(days=6) + 15 * MIN),
    }
    # From the "shipped" e-mail to delivery: 3 days 23 h 45 min in transit without news.
    [gap] = journey.gaps
    assert (gap.stage, gap.since, gap.until, gap.ongoing) == (
        Stage.IN_TRANSIT,
        T0 + timedelta(days=2) + 15 * MIN,
        T0 + timedelta(days=6),
        False,
    )
    assert (gap.untold_milestones, gap.facts) == (0, 0)
    assert journey.final_stage is Stage.POST_DELIVERY

    # A scan in the silence that is no milestone: news arrived, nothing was told.
    scanned = delivered_in_six_days()
    scanned = history("o1", *scanned.facts, scan("o1", 4 * DAY, "in_transit"))
    [journey] = replay_customer([scanned], settings())
    assert [(g.stage, g.facts, g.untold_milestones) for g in journey.gaps] == [(Stage.IN_TRANSIT, 1, 0)]

    # A longer threshold finds nothing.
    [journey] = replay_customer([delivered_in_six_days()], settings(silent_after=timedelta(days=4)))
    assert journey.gaps == []


def test_the_frequency_cap_sees_the_same_customers_other_orders() -> None:
    first = history("o1", placed("o1"))
    second = history("o2", placed("o2", minutes=60))

    together = replay_customer([first, second], settings())
    assert by_milestone(together[0])[("order_confirmed", "email")].outcome is Outcome.SENT
    assert by_milestone(together[1])[("order_confirmed", "email")].outcome is Outcome.FREQUENCY_CAP

    # Replayed as different customers, each is told.
    assert by_milestone(replay_customer([second], settings())[0])[("order_confirmed", "email")].outcome is (
        Outcome.SENT
    )


def test_a_newer_milestone_inside_the_window_replaces_the_pending_message() -> None:
    order = history(
        "o1",
        placed("o1"),
        shipped("o1", 3 * DAY),
        scan("o1", 3 * DAY, "in_transit"),
        scan("o1", 3 * DAY + 5, "delivered"),
    )
    [journey] = replay_customer([order], settings())
    messages = by_milestone(journey)
    assert messages[("shipped", "email")].outcome is Outcome.REPLACED
    # The window opened with "shipped": the replacement keeps its send time.
    assert messages[("delivered", "email")].sent_at == T0 + timedelta(days=3) + 15 * MIN


def test_a_message_the_state_has_moved_past_when_due_is_not_sent() -> None:
    order = history(
        "o1", placed("o1"), shipped("o1", 0), scan("o1", 0, "in_transit"), scan("o1", 5, "delivered")
    )
    # Only "shipped" is enabled: nothing replaces it, the worker finds it stale when it falls due.
    [journey] = replay_customer([order], settings(channels={Milestone.SHIPPED: {Channel.EMAIL}}))
    [message] = journey.messages
    assert (message.milestone, message.outcome, message.sent_at) == (
        Milestone.SHIPPED,
        Outcome.STALE_AT_SEND,
        None,
    )


def test_no_address_is_suppressed_unless_reachability_is_assumed() -> None:
    order = history("o1", placed("o1", email=""))
    [journey] = replay_customer([order], settings())
    assert by_milestone(journey)[("order_confirmed", "email")].outcome is Outcome.NO_CONTACT

    [journey] = replay_customer([order], settings(assume_reachable=True))
    message = by_milestone(journey)[("order_confirmed", "email")]
    assert (message.outcome, message.address) == (Outcome.SENT, "order-1@reachable.invalid")


def test_sms_in_quiet_hours_is_held_until_morning_then_sent() -> None:
    # 23:00 UTC, customer in UTC: e-mail at 23:15, SMS at 08:00 the next day.
    order = history("o1", placed("o1", minutes=14 * 60, phone="+15555550100", sms_consent=True))
    [journey] = replay_customer([order], settings(channels=BOTH))
    messages = by_milestone(journey)
    assert messages[("order_confirmed", "email")].sent_at == T0 + timedelta(hours=14, minutes=15)
    sms = messages[("order_confirmed", "sms")]
    assert (sms.outcome, sms.held, sms.sent_at) == (
        Outcome.SENT,
        True,
        T0 + timedelta(days=1) - timedelta(hours=1),
    )


def test_pickup_expiring_comes_from_the_sweep_rule_at_its_time() -> None:
    deadline = T0 + timedelta(days=4)
    order = history(
        "o1",
        placed("o1"),
        fact(
            "pickup.ready",
            DAY,
            "o1:ready",
            lines=[{"line_id": "L1"}],
            location={"name": "Shop"},
            deadline=deadline.isoformat(),
        ),
    )
    [journey] = replay_customer([order], settings(days=10))
    expiring = by_milestone(journey)[("pickup_expiring", "email")]
    # The sweep's warning is 24 h before the deadline; critical: goes at once.
    assert (expiring.outcome, expiring.sent_at, expiring.critical) == (
        Outcome.SENT,
        deadline - timedelta(hours=24),
        True,
    )


def test_an_order_never_finished_stays_silent_to_the_end_of_history() -> None:
    order = history("o1", placed("o1"), shipped("o1", DAY), scan("o1", DAY, "in_transit"))
    [journey] = replay_customer([order], settings(days=20))
    [gap] = journey.gaps
    assert (gap.stage, gap.ongoing, gap.until) == (Stage.IN_TRANSIT, True, T0 + timedelta(days=20))
    assert round(gap.days, 2) == round(19 - 15 / DAY, 2)


def test_report_counts_messages_reasons_and_silences_exactly() -> None:
    report = JourneyReport(
        since=T0 - timedelta(days=1), as_of=T0 + timedelta(days=30), silent_days=3, examples=1
    )
    report.add(replay_customer([delivered_in_six_days("o1"), delivered_in_six_days("o2")], settings()))
    report.add(replay_customer([history("o3", placed("o3", email=""))], settings()))

    data = report.as_json()
    assert (data["orders"], data["customers"]) == (3, 2)
    # o1: confirmed, shipped, delivered; o2 (same customer, same times): every routine message
    # capped, but "delivered" closes its journey and is never capped.
    assert data["messages"]["by_channel"] == {
        "email": {
            "sent": 4,
            "per_order": 1.333,
            "by_milestone": {"delivered": 2, "order_confirmed": 1, "shipped": 1},
        }
    }
    assert data["suppressed"]["by_reason"] == {"frequency_cap": 2, "no_contact": 1, "stale": 2}
    assert data["suppressed"]["by_reason_milestone"]["stale"] == {"preparing": 2}
    assert data["messages"]["orders_with_customer_message"] == 2
    silent = data["silent"]
    # o1: 3.99 days in transit after "shipped". o2 heard nothing: silent from purchase; 2 days
    # waiting for shipment, so the threshold passed in transit (6 days in all). o3 has no address:
    # silent from purchase to the end of history, waiting for shipment.
    assert (silent["orders"], silent["by_stage"], silent["ongoing"]) == (
        3,
        {"confirmation": 1, "in_transit": 2},
        1,
    )
    assert [g["number"] for g in silent["longest"]] == ["#o3"]  # one example asked for
    assert silent["examples_by_stage"] == {"confirmation": ["#o3"], "in_transit": ["#o2", "#o1"]}
    assert silent["median_days"] == 6  # of 3, 6 and 30 whole days
    recommendations = report.recommendations()
    assert any(
        line.startswith(
            "2 orders (67%) waited more than 3 days on their way without a message (e.g. #o2, #o1)"
        )
        for line in recommendations
    )
    assert any(
        line.startswith("1 order (33%) waited more than 3 days before shipping without a message (e.g. #o3)")
        for line in recommendations
    )
    assert any(
        line.startswith("2 routine messages were dropped by the frequency cap") for line in recommendations
    )
    # o1's silence had no fact at all, o2's had the hand-over: half of them saw no news.
    assert any(
        "; for 1 of them the carrier reported nothing in that time" in line for line in recommendations
    )
    assert (silent["on_the_way_without_news"], silent["on_the_way_scans_only"]) == (1, 0)
    assert any(
        line.startswith("1 order still open and silent at the end of history (e.g. #o3)")
        for line in recommendations
    )


def test_report_leaves_out_what_was_decided_before_since() -> None:
    since = T0 + timedelta(days=1)
    report = JourneyReport(since=since, as_of=T0 + timedelta(days=30), silent_days=3)
    report.add(replay_customer([delivered_in_six_days()], settings(since=since)))
    assert report.as_json()["messages"]["by_channel"]["email"]["by_milestone"] == {
        "delivered": 1,
        "shipped": 1,
    }


def test_reasons_are_categorised_and_unknown_ones_do_not_break_the_report() -> None:
    assert outcome_of("historical: last event more than 3d ago") is Outcome.HISTORICAL
    assert outcome_of("superseded by delivered") is Outcome.STALE
    assert outcome_of("no e-mail address") is Outcome.NO_CONTACT
    assert outcome_of("no SMS consent") is Outcome.NO_CONSENT
    assert outcome_of("opted out of sms") is Outcome.NO_CONSENT
    assert outcome_of("consolidated into shipped:S1") is Outcome.CONSOLIDATED
    assert outcome_of("frequency cap (16h)") is Outcome.FREQUENCY_CAP
    assert outcome_of("a rule from the future") is Outcome.OTHER


def test_median_of_the_day_histogram() -> None:
    report = JourneyReport(since=T0, as_of=T0, silent_days=3)
    for days in (4, 5, 9):
        gap = SilentGap(number=f"#{days}", stage=Stage.IN_TRANSIT, since=T0, until=T0 + timedelta(days=days))
        report.add([OrderJourney(order_id=days, number=f"#{days}", gaps=[gap])])
    assert report.median_silent_days() == 5
    assert [g.number for g in report.longest_gaps] == ["#9", "#5", "#4"]


def late(order, *extra):
    """Promised for 4 March, delivered on the 6th."""
    ship = fact(
        "shipment.created",
        0,
        f"{order}:ship",
        order=order,
        shipment_id=f"{order}-S1",
        carrier="UPS",
        tracking_number=f"1Z{order}",
        estimated_delivery="2026-03-04",
        lines=[{"line_id": "L1", "quantity": 1}],
    )
    return history(order, placed(order), ship, *extra, scan(order, 4 * DAY, "delivered"))


def test_a_missed_promise_nobody_explained_is_reported() -> None:
    [journey] = replay_customer([late("o1")], settings())
    assert journey.late_unwarned

    carrier_said_so = fact(
        "tracking.event",
        DAY,
        "o1:delay",
        tracking="1Zo1",
        shipment_id="o1-S1",
        tag="exception",
        subtag="exception.delayed",
    )
    [journey] = replay_customer([late("o1", carrier_said_so)], settings())
    assert by_milestone(journey)[("delayed", "email")].outcome is Outcome.SENT
    assert not journey.late_unwarned

    # On time: nothing to report.
    [journey] = replay_customer([delivered_in_six_days()], settings())
    assert not journey.late_unwarned

    report = JourneyReport(since=T0 - timedelta(days=1), as_of=T0 + timedelta(days=30), silent_days=3)
    report.add(replay_customer([late("o1")], settings()))
    assert report.as_json()["late_unwarned"] == {"orders": 1, "share": 1.0, "examples": ["#o1"]}
    assert any(
        line.startswith("1 order (100%) arrived after the promised date") for line in report.recommendations()
    )


def test_a_customer_with_hundreds_of_orders_is_capped_correctly_over_time() -> None:
    # An order every 10 hours: each confirmation comes 10 h after the previous one, inside the
    # 16 h e-mail cap unless the previous one was itself capped. Long enough to exercise pruning.
    orders = [history(f"o{i}", placed(f"o{i}", minutes=i * 600)) for i in range(1, 301)]
    journeys = replay_customer(orders, settings(days=200))
    outcomes = [by_milestone(j)[("order_confirmed", "email")].outcome for j in journeys]
    assert outcomes == [Outcome.SENT, Outcome.FREQUENCY_CAP] * 150


def test_in_transit_advice_follows_what_the_silences_held() -> None:
    scanned = history("o1", *delivered_in_six_days().facts, scan("o1", 4 * DAY, "in_transit"))
    report = JourneyReport(since=T0 - timedelta(days=1), as_of=T0 + timedelta(days=30), silent_days=3)
    report.add(replay_customer([scanned], settings()))
    [line] = [r for r in report.recommendations() if "on their way" in r]
    assert "; carrier scans arrived for 1 of them but none was a milestone" in line

    report = JourneyReport(since=T0 - timedelta(days=1), as_of=T0 + timedelta(days=30), silent_days=3)
    report.add(replay_customer([delivered_in_six_days()], settings()))
    [line] = [r for r in report.recommendations() if "on their way" in r]
    assert "; for 1 of them the carrier reported nothing in that time" in line


def test_the_customers_choices_reach_the_policy() -> None:
    from aftercart.domain.messaging import ContactChoices

    asked = []

    def opted_out(channel, address, country):
        asked.append((channel, address))
        return ContactChoices(opted_in=False)

    [journey] = replay_customer([delivered_in_six_days()], settings(choices=opted_out))
    assert {m.outcome for m in journey.messages} == {Outcome.NO_CONSENT, Outcome.STALE}
    assert set(asked) == {(Channel.EMAIL, "ana@example.com")}
