"""plan_messages(): never stale, never contradictory, consolidated, capped — but critical news always goes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.messaging import (
    DEFAULT_POLICY,
    Action,
    Channel,
    MessagingPolicy,
    QuietHours,
    Recent,
    capped,
    dedupe_key,
    plan_messages,
    retry_delay,
    stale_reason,
)
from aftercart.domain.milestones import CRITICAL, Milestone, Reached, reached
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from tests.unit.test_projection import T0, fact

EMAIL_ONLY = {m: {Channel.EMAIL} for m in Milestone}
BOTH = {m: {Channel.EMAIL, Channel.SMS} for m in Milestone}
WINDOW = DEFAULT_POLICY.consolidation_window


def placed(minutes=0, email="ana@example.com", **extra):
    return fact(
        "order.placed",
        minutes,
        "placed",
        number="#1001",
        email=email,
        lines=[{"line_id": "L1", "title": "Lamp"}, {"line_id": "L2", "title": "Bulb"}],
        **extra,
    )


def ship(sid, minutes, lines=("L1", "L2"), tracking=None):
    return fact(
        "shipment.created",
        minutes,
        f"ship-{sid}",
        shipment_id=sid,
        carrier="UPS",
        tracking_number=tracking or f"1Z{sid}",
        lines=[{"line_id": ln, "quantity": 1} for ln in lines],
    )


def scan(sid, minutes, tag, subtag=None, tracking=None):
    return fact(
        "tracking.event",
        minutes,
        f"scan-{sid}-{minutes}-{tag}",
        order=None,
        tracking=tracking or f"1Z{sid}",
        tag=tag,
        subtag=subtag,
    )


def state_of(*facts) -> OrderState:
    return project(facts, "o1")


def plan(state, new, now, recent=(), channels=EMAIL_ONLY, policy=DEFAULT_POLICY, tz="UTC"):
    return plan_messages(
        reached=new,
        state=state,
        now=now,
        channels=channels,
        recent=recent,
        policy=policy,
        order_key="7",
        store_timezone=tz,
    )


def going(decisions):
    return [d for d in decisions if d.goes]


def pending(decision):
    """What the outbox would report back about a decision still waiting to go."""
    return Recent(
        channel=decision.channel,
        milestone=decision.milestone,
        at=decision.send_at,
        critical=decision.critical,
        replaceable=True,
        dedupe_key=decision.dedupe_key,
    )


# --- examples ------------------------------------------------------------------------------------


def test_order_confirmation_waits_for_the_consolidation_window():
    state = state_of(placed())
    [d] = plan(state, reached(state), T0)
    assert (d.action, d.milestone, d.send_at) == (Action.SEND, Milestone.ORDER_CONFIRMED, T0 + WINDOW)
    assert d.dedupe_key == "7:email:order_confirmed"


def test_shipped_then_delivered_within_the_window_sends_only_delivered():
    first_state = state_of(placed(), ship("S1", 30))
    first = plan(first_state, [Reached(Milestone.SHIPPED, "S1")], T0 + timedelta(minutes=30))
    [shipped] = going(first)
    later = T0 + timedelta(minutes=40)
    state = state_of(placed(), ship("S1", 30), scan("S1", 39, "delivered"))
    second = plan(state, [Reached(Milestone.DELIVERED, "S1")], later, recent=[pending(shipped)])
    [delivered] = going(second)
    assert delivered.milestone is Milestone.DELIVERED
    assert delivered.supersedes == (shipped.dedupe_key,), "the pending shipped message is withdrawn"
    assert delivered.send_at == shipped.send_at, "the window opened with the first milestone"


def test_shipped_and_delivered_reported_together_never_says_shipped():
    state = state_of(placed(), ship("S1", 30), scan("S1", 31, "in_transit"), scan("S1", 50, "delivered"))
    decisions = plan(state, reached(state), T0 + timedelta(minutes=51))
    by = {d.milestone: d for d in decisions}
    assert by[Milestone.SHIPPED].action is Action.SUPPRESS
    assert by[Milestone.SHIPPED].reason == "superseded by delivered"
    assert by[Milestone.PREPARING].reason == "superseded by shipped"
    assert [d.milestone for d in going(decisions)] == [Milestone.DELIVERED]
    assert by[Milestone.ORDER_CONFIRMED].reason == "consolidated into delivered:S1"


def test_split_shipments_in_one_batch_make_one_message():
    state = state_of(placed(), ship("A", 30, lines=("L1",)), ship("B", 31, lines=("L2",)))
    new = [Reached(Milestone.SHIPPED, "B"), Reached(Milestone.SHIPPED, "A")]
    decisions = plan(state, new, T0 + timedelta(minutes=31))
    [lead] = going(decisions)
    assert lead.key == "shipped:A"
    [other] = [d for d in decisions if not d.goes]
    assert other.reason == "consolidated into shipped:A"


def test_split_shipments_a_minute_apart_make_one_message():
    one = state_of(placed(), ship("A", 30, lines=("L1",)))
    [first] = going(plan(one, [Reached(Milestone.SHIPPED, "A")], T0 + timedelta(minutes=30)))
    both = state_of(placed(), ship("A", 30, lines=("L1",)), ship("B", 31, lines=("L2",)))
    decisions = plan(
        both, [Reached(Milestone.SHIPPED, "B")], T0 + timedelta(minutes=31), recent=[pending(first)]
    )
    [second] = going(decisions)
    assert second.supersedes == (first.dedupe_key,)
    assert second.send_at == first.send_at


def test_lost_parcel_goes_at_once_even_within_the_frequency_cap():
    now = T0 + timedelta(hours=5)
    sent_two_hours_ago = Recent(Channel.EMAIL, Milestone.SHIPPED, now - timedelta(hours=2), critical=False)
    state = state_of(placed(), ship("S1", 30), scan("S1", 299, "exception", "exception.lost"))
    [d] = plan(
        state, [Reached(Milestone.EXCEPTION, "S1", "exception.lost")], now, recent=[sent_two_hours_ago]
    )
    assert (d.action, d.send_at, d.critical) == (Action.SEND, now, True)


def test_frequency_cap_suppresses_routine_news_with_its_reason():
    now = T0 + timedelta(hours=5)
    sent = Recent(Channel.EMAIL, Milestone.ORDER_CONFIRMED, now - timedelta(hours=2), critical=False)
    state = state_of(placed(), ship("S1", 30), scan("S1", 290, "out_for_delivery"))
    [d] = plan(state, [Reached(Milestone.OUT_FOR_DELIVERY, "S1")], now, recent=[sent])
    assert (d.action, d.reason) == (Action.SUPPRESS, "frequency cap (16h)")
    much_later = now + timedelta(hours=17)
    [d] = plan(
        state, [Reached(Milestone.OUT_FOR_DELIVERY, "S1")], much_later - timedelta(hours=1), recent=[sent]
    )
    assert d.goes, "outside the cap it goes"


def test_a_critical_message_pending_is_not_withdrawn_for_routine_news():
    now = T0 + timedelta(hours=1)
    critical = Recent(Channel.EMAIL, Milestone.DELAYED, now, critical=True, replaceable=True, dedupe_key="k")
    state = state_of(placed(), ship("S1", 30), scan("S1", 59, "out_for_delivery"))
    [d] = plan(state, [Reached(Milestone.OUT_FOR_DELIVERY, "S1")], now, recent=[critical])
    assert d.goes and d.supersedes == ()


def test_no_email_address_is_recorded_as_suppressed():
    state = state_of(placed(email=""))
    [d] = plan(state, reached(state), T0)
    assert (d.action, d.reason) == (Action.SUPPRESS, "no e-mail address")


def test_history_is_not_news():
    state = state_of(placed(), ship("S1", 30), scan("S1", 60, "delivered"))
    decisions = plan(state, reached(state), T0 + timedelta(days=30))
    assert not going(decisions)
    assert all(d.reason.startswith("historical") for d in decisions)


def test_sms_in_quiet_hours_is_held_until_morning_in_the_customers_zone():
    madrid = ZoneInfo("Europe/Madrid")
    now = datetime(2026, 3, 2, 22, 30, tzinfo=madrid).astimezone(UTC)  # 22:30 in Madrid
    state = state_of(placed(phone="+34600000000", timezone="Europe/Madrid", sms_consent=True))
    state.last_event_at = now
    decisions = plan(state, [Reached(Milestone.CANCELLED)], now, channels=BOTH)
    by = {d.channel: d for d in decisions}
    assert by[Channel.EMAIL].action is Action.SEND and by[Channel.EMAIL].send_at == now
    sms = by[Channel.SMS]
    assert sms.action is Action.HOLD, "critical SMS waits for morning too; it is held, not dropped"
    assert sms.send_at == datetime(2026, 3, 3, 8, 0, tzinfo=madrid)
    assert sms.reason == "quiet hours until 08:00 Europe/Madrid"


def test_quiet_hours_use_the_store_zone_when_the_order_has_none():
    now = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 21:30 UTC = 08:30 next day in Auckland
    state = state_of(placed(phone="+6421000000", sms_consent=True))
    state.last_event_at = now
    sms_only = {Milestone.CANCELLED: {Channel.SMS}}
    [sms] = plan(state, [Reached(Milestone.CANCELLED)], now, channels=sms_only, tz="Pacific/Auckland")
    assert sms.action is Action.SEND
    [held] = plan(state, [Reached(Milestone.CANCELLED)], now, channels=sms_only, tz="Europe/Paris")
    assert held.action is Action.HOLD


def test_quiet_hours_wrap_midnight():
    quiet = QuietHours(time(21), time(8))
    assert quiet.contains(time(23, 59)) and quiet.contains(time(0, 0)) and quiet.contains(time(7, 59))
    assert not quiet.contains(time(8, 0)) and not quiet.contains(time(20, 59))
    utc = ZoneInfo("UTC")
    assert quiet.release(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), utc) == datetime(
        2026, 3, 2, 8, 0, tzinfo=UTC
    )
    assert quiet.release(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), utc) is None


def test_stale_rules():
    delivered = state_of(
        placed(), ship("S1", 30), scan("S1", 40, "out_for_delivery"), scan("S1", 50, "delivered")
    )
    assert stale_reason(Milestone.SHIPPED, "S1", delivered) == "superseded by delivered"
    assert stale_reason(Milestone.OUT_FOR_DELIVERY, "S1", delivered) == "superseded by delivered"
    assert stale_reason(Milestone.DELIVERED, "S1", delivered) == ""
    out = state_of(placed(), ship("S1", 30), scan("S1", 40, "out_for_delivery"))
    assert stale_reason(Milestone.SHIPPED, "S1", out) == "superseded by out_for_delivery"
    assert stale_reason(Milestone.SHIPPED, "gone", out) == "superseded: shipment renamed"
    cancelled = state_of(placed(), fact("order.cancelled", 5, "c"))
    assert stale_reason(Milestone.ORDER_CONFIRMED, "", cancelled) == "superseded by cancelled"


def test_long_dedupe_keys_are_shortened_but_stay_distinct():
    a = dedupe_key("1", Channel.EMAIL, Reached(Milestone.DELAYED, "X" * 300, "2026-03-09"))
    b = dedupe_key("1", Channel.EMAIL, Reached(Milestone.DELAYED, "X" * 300, "2026-03-10"))
    assert len(a) <= 200 and len(b) <= 200 and a != b


def test_retry_delay_is_full_jitter_exponential_backoff():
    base, cap = timedelta(seconds=60), timedelta(hours=6)
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(cap.total_seconds(), 60 * 2 ** (attempt - 1))
        delays = [retry_delay(attempt, base=base, cap=cap, rand=rng).total_seconds() for _ in range(200)]
        assert all(1 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2, "spread over the whole range (full jitter)"


# --- properties ----------------------------------------------------------------------------------

TAGS = [
    ("in_transit", None),
    ("out_for_delivery", None),
    ("attempt_fail", "attempt_fail.addressee_unavailable"),
    ("delivered", None),
    ("exception", "exception.lost"),
    ("exception", "exception.delayed"),
    ("available_for_pickup", None),
]


@st.composite
def journeys(draw):
    """A realistic order: placed, maybe lines progressing, 0–2 parcels with random scans; the
    milestones it has reached, a subset of them new, and some recent messages to this customer."""
    facts = [
        placed(
            email=draw(st.sampled_from(["ana@example.com", ""])),
            phone="+4479000000",
            sms_consent=draw(st.booleans()),
        )
    ]
    if draw(st.booleans()):
        facts.append(fact("line.status", 5, "alloc", line_id="L1", status="allocated"))
    if draw(st.booleans()):
        facts.append(fact("line.status", 6, "unav", line_id="L2", status="unavailable"))
    for sid in draw(st.sampled_from([(), ("A",), ("A", "B")])):
        facts.append(ship(sid, 30, lines=("L1",) if sid == "A" else ("L2",)))
        for i, (tag, subtag) in enumerate(draw(st.lists(st.sampled_from(TAGS), max_size=4))):
            facts.append(scan(sid, 40 + i * 7, tag, subtag))
    if draw(st.booleans()):
        facts.append(fact("order.cancelled", 200, "cancel"))
    state = project(facts, "o1")
    all_reached = reached(state)
    new = draw(st.lists(st.sampled_from(all_reached), unique_by=lambda r: r.key)) if all_reached else []
    now = T0 + timedelta(minutes=draw(st.integers(200, 600)))
    recent = draw(
        st.lists(
            st.builds(
                Recent,
                channel=st.sampled_from(list(Channel)),
                milestone=st.sampled_from(list(Milestone)),
                at=st.integers(-30 * 60, 30).map(lambda m: now + timedelta(minutes=m)),
                critical=st.booleans(),
                replaceable=st.booleans(),
                dedupe_key=st.sampled_from(["k1", "k2", "k3"]),
            ),
            max_size=4,
        )
    )
    channels = draw(st.sampled_from([EMAIL_ONLY, BOTH]))
    tz = draw(st.sampled_from(["UTC", "Europe/Madrid", "America/Sao_Paulo", "Pacific/Auckland", "Bad/Zone"]))
    return state, new, now, recent, channels, tz


@settings(max_examples=300, deadline=None)
@given(journeys())
def test_critical_milestones_are_never_capped(journey):
    state, new, now, recent, channels, tz = journey
    decisions = plan(state, new, now, recent, channels, tz=tz)
    for d in decisions:
        if d.reason.startswith("frequency cap"):
            assert not d.critical
    # Critical news that is still true, for a customer we can reach, always makes a message.
    for channel in {c for r in new for c in channels[r.milestone]}:
        live_critical = [
            r for r in new if r.milestone in CRITICAL and not stale_reason(r.milestone, r.subject, state)
        ]
        # SMS reaches only a customer who agreed to texts.
        reachable = state.email if channel is Channel.EMAIL else state.phone and state.sms_consent
        if live_critical and reachable:
            assert any(d.goes and d.critical and d.channel is channel for d in decisions)


@settings(max_examples=300, deadline=None)
@given(journeys())
def test_at_most_one_routine_message_per_customer_and_channel_per_cap(journey):
    state, new, now, recent, channels, tz = journey
    decisions = plan(state, new, now, recent, channels, tz=tz)
    for channel in Channel:
        routine = [
            d for d in decisions if d.goes and capped(d.milestone, d.critical) and d.channel is channel
        ]
        assert len(routine) <= 1
        cap = DEFAULT_POLICY.frequency_cap[channel]
        for d in routine:
            for r in recent:
                if r.channel is channel and capped(r.milestone, r.critical) and not r.replaceable:
                    assert abs(r.at - d.send_at) >= cap
    # Everything planned is decided once: one decision per new milestone and enabled channel.
    assert len(decisions) == sum(len(channels[r.milestone]) for r in new)
    assert len({d.dedupe_key for d in decisions}) == len(decisions)


@settings(max_examples=300, deadline=None)
@given(journeys())
def test_never_shipped_for_a_delivered_parcel(journey):
    state, new, now, recent, channels, tz = journey
    for d in plan(state, new, now, recent, channels, tz=tz):
        if d.goes and d.subject in state.shipments and state.shipments[d.subject].is_delivered:
            assert d.milestone is Milestone.DELIVERED
        if d.goes:
            assert not stale_reason(d.milestone, d.subject, state)
            assert d.send_at is not None and d.send_at >= now


@settings(max_examples=200, deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_same_inputs_same_decisions_whatever_their_order(journey, rnd):
    state, new, now, recent, channels, tz = journey
    first = plan(state, new, now, recent, channels, tz=tz)
    shuffled_new, shuffled_recent = list(new), list(recent)
    rnd.shuffle(shuffled_new)
    rnd.shuffle(shuffled_recent)
    assert plan(state, shuffled_new, now, shuffled_recent, channels, tz=tz) == first


def test_policy_is_configurable():
    policy = MessagingPolicy(consolidation_window=timedelta(0), frequency_cap={})
    state = state_of(placed())
    [d] = plan(state, reached(state), T0, policy=policy)
    assert d.send_at == T0


# --- event channels (Klaviyo, Iterable, webhook) ------------------------------------------------

EVENTS = {m: {Channel.EMAIL, Channel.KLAVIYO, Channel.ITERABLE, Channel.WEBHOOK} for m in Milestone}


def test_event_channels_send_every_milestone_at_once_unconsolidated():
    state = state_of(placed(), ship("A", 30, lines=("L1",)), ship("B", 31, lines=("L2",)))
    now = T0 + timedelta(minutes=31)
    decisions = plan(state, reached(state), now, channels=EVENTS)
    [email] = going(d for d in decisions if d.channel is Channel.EMAIL)
    for channel in (Channel.KLAVIYO, Channel.ITERABLE, Channel.WEBHOOK):
        mine = going(d for d in decisions if d.channel is channel)
        assert {d.key for d in mine} == {"order_confirmed", "shipped:A", "shipped:B"}, channel
        assert all(d.send_at == now and d.supersedes == () and d.reason == "" for d in mine)
    assert email.send_at == now + WINDOW, "e-mail still consolidates and waits"


def test_event_channels_never_send_stale_or_historical_milestones():
    state = state_of(placed(), ship("S1", 30), scan("S1", 50, "delivered"))
    decisions = plan(state, reached(state), T0 + timedelta(minutes=51), channels=EVENTS)
    webhook = {d.milestone: d for d in decisions if d.channel is Channel.WEBHOOK}
    assert webhook[Milestone.SHIPPED].reason == "superseded by delivered"
    assert webhook[Milestone.DELIVERED].goes
    old = plan(state, reached(state), T0 + timedelta(days=4), channels=EVENTS)
    assert not going(old) and all(d.reason.startswith("historical") for d in old)


def test_event_channels_ignore_quiet_hours_caps_and_pending_messages():
    night = T0.replace(hour=23)
    state = state_of(placed(minutes=14 * 60))
    recent = [
        Recent(
            channel=Channel.KLAVIYO,
            milestone=Milestone.SHIPPED,
            at=night - timedelta(hours=1),
            critical=False,
        ),
        Recent(
            channel=Channel.KLAVIYO,
            milestone=Milestone.PREPARING,
            at=night,
            critical=False,
            replaceable=True,
            dedupe_key="7:klaviyo:preparing",
        ),
    ]
    [d] = plan(
        state, reached(state), night, recent=recent, channels={Milestone.ORDER_CONFIRMED: {Channel.KLAVIYO}}
    )
    assert (d.action, d.send_at, d.supersedes) == (Action.SEND, night, ())


def test_event_channel_contacts():
    no_email = state_of(placed(email="", phone="+34600111222"))
    decisions = plan(no_email, reached(no_email), T0, channels=EVENTS)
    by = {d.channel: d for d in decisions}
    assert by[Channel.WEBHOOK].goes, "the store's endpoint needs no customer address"
    assert by[Channel.KLAVIYO].goes, "a Klaviyo profile can be found by phone"
    assert by[Channel.ITERABLE].reason == "no e-mail address"
    assert by[Channel.KLAVIYO].dedupe_key == "7:klaviyo:order_confirmed"


def test_a_time_driven_reminder_is_not_mistaken_for_history():
    from aftercart.domain.messaging import TIME_DRIVEN, plan_messages
    from aftercart.domain.milestones import Milestone, Reached
    from aftercart.domain.projection.state import OrderState

    assert Milestone.PICKUP_EXPIRING in TIME_DRIVEN
    old = datetime(2026, 3, 1, tzinfo=UTC)
    state = OrderState(order_ref="o", email="a@example.com", last_event_at=old)
    now = old + timedelta(days=5)
    channels = {m: {Channel.EMAIL} for m in Milestone}
    reminder = plan_messages(
        reached=[Reached(Milestone.PICKUP_EXPIRING, "line:L1")], state=state, now=now, channels=channels
    )
    backfill = plan_messages(
        reached=[Reached(Milestone.SHIPPED, "S1")], state=state, now=now, channels=channels
    )
    assert reminder[0].goes and reminder[0].critical
    assert not backfill[0].goes and backfill[0].reason.startswith("historical")


def test_sms_needs_explicit_consent_and_an_opt_out_beats_the_orders_consent():
    from aftercart.domain.messaging import ContactChoices

    without = state_of(placed(phone="+34600111222"))
    [sms] = plan(without, reached(without), T0, channels={Milestone.ORDER_CONFIRMED: {Channel.SMS}})
    assert (sms.goes, sms.reason) == (False, "no SMS consent")

    consented = state_of(placed(phone="+34600111222", sms_consent=True))
    sms_only = {Milestone.ORDER_CONFIRMED: {Channel.SMS}}
    [sms] = plan(consented, reached(consented), T0, channels=sms_only)
    assert sms.goes
    stopped = plan_messages(
        reached=reached(consented),
        state=consented,
        now=T0,
        channels=sms_only,
        order_key="7",
        choices={Channel.SMS: ContactChoices(opted_in=False)},
    )
    assert [(d.goes, d.reason) for d in stopped] == [(False, "opted out of sms")]
    started = plan_messages(
        reached=reached(without),
        state=without,
        now=T0,
        channels=sms_only,
        order_key="7",
        choices={Channel.SMS: ContactChoices(opted_in=True)},
    )
    assert started[0].goes, "START or the preference page is consent too"


def test_a_muted_milestone_is_suppressed_and_the_next_one_leads():
    from aftercart.domain.messaging import ContactChoices

    state = state_of(placed(), fact("line.status", 5, "alloc", line_id="L1", status="allocated"))
    new = [Reached(Milestone.ORDER_CONFIRMED), Reached(Milestone.PREPARING)]
    decisions = plan_messages(
        reached=new,
        state=state,
        now=T0,
        channels=EMAIL_ONLY,
        order_key="7",
        choices={Channel.EMAIL: ContactChoices(opted_in=None, muted=frozenset({Milestone.PREPARING}))},
    )
    by = {d.milestone: d for d in decisions}
    assert by[Milestone.PREPARING].reason == "opted out of preparing on email"
    assert by[Milestone.ORDER_CONFIRMED].goes, "what the customer did not mute still goes"
