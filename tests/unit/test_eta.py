"""The delivery-window model: business days, no look-ahead, backoff, calibration, carrier trust."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftercart.benchmarks.eta import synthetic_deliveries
from aftercart.domain.eta.backtest import OrderRecord, backtest, backtest_config, replay
from aftercart.domain.eta.business_days import BusinessCalendar
from aftercart.domain.eta.config import EtaConfig
from aftercart.domain.eta.geography import GeoArea
from aftercart.domain.eta.model import EtaModel
from aftercart.domain.eta.shipments import Delivery, EtaShipment
from aftercart.domain.eta.windows import WindowStage

SP, RJ, PR, AM = GeoArea("BR", "SP"), GeoArea("BR", "RJ"), GeoArea("BR", "PR"), GeoArea("BR", "AM")
T0 = datetime(2018, 3, 5, 10, 0)  # a Monday


def ship(
    ordered: datetime,
    *,
    origin: GeoArea = SP,
    dest: GeoArea = RJ,
    handed: datetime | None = None,
    estimate: date | None = None,
    location: str = "s1",
) -> EtaShipment:
    return EtaShipment(
        ordered_at=ordered,
        origin=origin,
        destination=dest,
        carrier="correios",
        location=location,
        handed_over_at=handed,
        carrier_estimate=estimate,
    )


def delivered(ordered: datetime, handling: float, transit: float, **kw: object) -> Delivery:
    handed = ordered + timedelta(days=handling)
    return Delivery(ship(ordered, handed=handed, **kw), handed + timedelta(days=transit))  # type: ignore[arg-type]


def records(deliveries: list[Delivery], prefix: str = "o") -> list[OrderRecord]:
    return [
        OrderRecord(
            order_id=f"{prefix}{i}",
            purchased_at=d.shipment.ordered_at,
            origin=d.shipment.origin,
            destination=d.shipment.destination,
            handed_over_at=d.shipment.handed_over_at,
            delivered_at=d.delivered_at,
            estimated=d.shipment.carrier_estimate,
            location=d.shipment.location,
            carrier=d.shipment.carrier,
            ship_by=d.shipment.ship_by,
        )
        for i, d in enumerate(deliveries)
    ]


# --- business days ----------------------------------------------------------------------------------


def test_calendar_skips_weekends_and_brazilian_holidays() -> None:
    cal = BusinessCalendar("BR")
    good_friday = date(2018, 3, 30)
    assert not cal.is_business_day(good_friday)
    assert not cal.is_business_day(date(2018, 3, 31))  # Saturday
    # Thursday + 1 business day skips Good Friday and the weekend.
    assert cal.add(date(2018, 3, 29), 1) == date(2018, 4, 2)
    # A Saturday counts as the next business day (Monday), in both directions.
    assert cal.ordinal(date(2018, 3, 31)) == cal.ordinal(date(2018, 4, 2))
    assert cal.day(cal.ordinal(date(2018, 4, 2))) == date(2018, 4, 2)
    # Outside the precomputed span the table grows instead of failing.
    assert cal.add(date(2040, 1, 2), 5) == date(2040, 1, 9)


def test_unknown_country_has_weekends_only() -> None:
    cal = BusinessCalendar("XX")
    assert cal.add(date(2018, 3, 29), 1) == date(2018, 3, 30)


# --- windows ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted() -> EtaModel:
    return EtaModel().fit(synthetic_deliveries(4000, seed=3, start=datetime(2017, 1, 1), days=420))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offset=st.integers(min_value=0, max_value=60 * 24),
    dest=st.sampled_from(["SP", "RJ", "AM", "RS", "BA", "XX"]),
    handed_after=st.one_of(st.none(), st.integers(min_value=0, max_value=10 * 24)),
    checkpoint_after=st.integers(min_value=0, max_value=30 * 24),
    estimate_days=st.one_of(st.none(), st.integers(min_value=-5, max_value=60)),
)
def test_window_is_ordered_and_never_in_the_past(
    fitted: EtaModel,
    offset: int,
    dest: str,
    handed_after: int | None,
    checkpoint_after: int,
    estimate_days: int | None,
) -> None:
    ordered = datetime(2018, 3, 1) + timedelta(hours=offset)
    handed = ordered + timedelta(hours=handed_after) if handed_after is not None else None
    estimate = (ordered + timedelta(days=estimate_days)).date() if estimate_days is not None else None
    s = ship(ordered, dest=GeoArea("BR", dest), handed=handed, estimate=estimate)
    at = (handed or ordered) + timedelta(hours=checkpoint_after)
    w = fitted.predict(s, at=at)
    assert w.earliest <= w.latest
    assert w.latest >= at.date()
    assert w.explanation.startswith("95% of similar deliveries arrive by")


def test_checkpoint_moves_the_window_later_when_the_parcel_is_late(fitted: EtaModel) -> None:
    handed = datetime(2018, 3, 5, 12)
    s = ship(datetime(2018, 3, 2, 9), dest=AM, handed=handed)
    at_handoff = fitted.predict(s, at=handed)
    assert at_handoff.stage is WindowStage.HANDOFF
    late = handed + timedelta(days=40)
    again = fitted.predict(s, at=late)
    assert again.stage is WindowStage.CHECKPOINT
    assert again.latest > at_handoff.latest
    assert again.earliest >= late.date()


def test_weekday_and_time_of_order_matter() -> None:
    history = [delivered(T0 - timedelta(days=60 - i // 10), 1, 3) for i in range(400)]
    model = EtaModel().fit(history)
    monday = model.predict(ship(T0 + timedelta(days=7)), at=T0 + timedelta(days=7))
    friday_night = T0 + timedelta(days=4, hours=11)  # Friday 21:00, after the cutoff
    friday = model.predict(ship(friday_night), at=friday_night)
    # Same business-day promise, more calendar days when it starts before a weekend.
    assert (friday.latest - friday_night.date()).days > (monday.latest - (T0 + timedelta(days=7)).date()).days
    assert friday.latest.weekday() < 5 and monday.latest.weekday() < 5


# --- no look-ahead ---------------------------------------------------------------------------------


def _windows(orders: list[OrderRecord], since: date) -> dict[str, tuple[object, ...]]:
    out = {}
    for scored in replay(orders, since=since, config=backtest_config(0.95)):
        h = scored.handoff
        out[scored.order.order_id] = (
            scored.promise.earliest,
            scored.promise.latest,
            h.earliest if h else None,
            h.latest if h else None,
        )
    return out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), extra=st.integers(min_value=1, max_value=60))
def test_future_deliveries_never_change_a_prediction(seed: int, extra: int) -> None:
    base = records(synthetic_deliveries(120, seed=seed, start=datetime(2017, 10, 1), days=120))
    last_prediction = max(max(o.purchased_at, o.handed_over_at or o.purchased_at) for o in base)
    # Orders completed after every prediction above — some of them bought or handed over long before.
    pool = synthetic_deliveries(400, seed=seed + 1, start=datetime(2017, 9, 1), days=200)
    future = [d for d in records(pool, "f") if d.delivered_at and d.delivered_at > last_prediction][:extra]
    since = date(2017, 11, 15)
    before = _windows(base, since)
    after = _windows(base + future, since)
    assert before, "the scenario must score something"
    assert {k: after[k] for k in before} == before


def test_fit_ignores_deliveries_completed_after_until() -> None:
    history = synthetic_deliveries(600, seed=5, start=datetime(2017, 6, 1), days=200)
    cut = datetime(2017, 11, 1)
    pool = synthetic_deliveries(300, seed=6, start=datetime(2017, 10, 1), days=60, slow=3.0)
    future = [d for d in pool if d.delivered_at >= cut]  # some ordered long before the cut
    assert future and min(d.shipment.ordered_at for d in future) < cut
    s = ship(datetime(2017, 11, 1, 9), dest=RJ)
    a = EtaModel().fit(history, until=cut).predict(s, at=cut)
    b = EtaModel().fit(history + future, until=cut).predict(s, at=cut)
    assert a == b


# --- backoff and explanations ------------------------------------------------------------------------


def test_backoff_names_the_level_and_the_count() -> None:
    at = T0 + timedelta(days=100)
    busy = [delivered(at - timedelta(days=2, hours=i), 1, 4, dest=RJ) for i in range(412)]
    thin = [delivered(at - timedelta(days=2, hours=i), 1, 12, origin=PR, dest=AM) for i in range(5)]
    model = EtaModel(EtaConfig(warmup_days=0)).fit(busy + thin)

    lane = model.predict(ship(at, dest=RJ), at=at)
    transit = next(b for b in lane.basis if b.part == "transit")
    assert (transit.level, transit.label) == ("lane", "from SP to RJ")
    assert 405 <= transit.count <= 412  # recency-weighted: two days old, half-life 240 days
    assert f"based on {transit.count:,} recent deliveries from SP to RJ (lane)" in lane.explanation

    sparse = model.predict(ship(at, origin=PR, dest=AM), at=at)
    transit = next(b for b in sparse.basis if b.part == "transit")
    assert transit.level == "carrier"  # PR→AM, "to AM" and North-South are all thinner than 30
    assert transit.count >= 400
    assert f"{transit.count:,} recent deliveries with correios (carrier)" in sparse.explanation
    # ...but the few PR→AM deliveries still pull the promise later than the carrier's typical one.
    assert (sparse.latest - at.date()).days > (lane.latest - at.date()).days


def test_an_empty_model_still_answers_and_says_so() -> None:
    w = EtaModel().predict(ship(T0), at=T0)
    assert w.earliest <= w.latest
    assert "no history yet" in w.explanation


# --- calibration ---------------------------------------------------------------------------------------


def _stream(model: EtaModel, start: datetime, days: int, transit: float, n: int) -> datetime:
    rng = random.Random(n)
    last = start
    for i in range(n):
        ordered = start + timedelta(days=days * i / n)
        d = delivered(ordered, 1, transit * rng.uniform(0.7, 1.3))
        model.observe(d)
        last = d.delivered_at
    return last


def test_calibration_raises_the_level_when_deliveries_run_late() -> None:
    model = EtaModel(EtaConfig(warmup_days=0))
    steady_end = _stream(model, T0, 120, 3, 600)  # a long, steady history: ~3 days in transit
    steady = model.predict(ship(steady_end), at=steady_end)
    # A month in which everything takes three times as long (the histograms, with their long
    # memory, barely move): the calibrated level must climb towards covering them.
    late_end = _stream(model, steady_end, 30, 9, 300)
    late = model.predict(ship(late_end), at=late_end)
    assert late.level > steady.level + 0.05
    assert (late.latest - late_end.date()).days > (steady.latest - steady_end.date()).days


def test_calibration_lowers_the_level_when_the_model_is_too_cautious() -> None:
    model = EtaModel(EtaConfig(warmup_days=0))
    end = _stream(model, T0, 120, 9, 600)
    slow = model.predict(ship(end), at=end)
    end = _stream(model, end, 30, 2, 300)  # suddenly fast
    fast = model.predict(ship(end), at=end)
    assert fast.level < slow.level - 0.05


def test_realised_coverage_lands_near_the_target_share() -> None:
    orders = records(synthetic_deliveries(3000, seed=21, start=datetime(2017, 1, 1), days=300))
    for share in (0.8, 0.95):
        result = backtest(orders, since=date(2017, 6, 1), config=backtest_config(share))
        assert result.orders > 1000
        assert abs(result.promise_on_time - share) < 0.03, (share, result.promise_on_time)
        assert abs(result.handoff_on_time - share) < 0.03, (share, result.handoff_on_time)


# --- the carrier's estimate -----------------------------------------------------------------------------


def _with_estimates(deliveries: list[Delivery], *, informative: bool, seed: int) -> list[Delivery]:
    """Carrier estimates that are the actual delivery date, or a random date unrelated to it."""
    rng = random.Random(seed)
    out = []
    for d in deliveries:
        if informative:
            guess = d.delivered_at.date()
        else:
            guess = d.shipment.ordered_at.date() + timedelta(days=rng.randint(3, 45))
        out.append(Delivery(dataclasses.replace(d.shipment, carrier_estimate=guess), d.delivered_at))
    return out


def test_trust_follows_how_good_the_carrier_estimate_is() -> None:
    history = synthetic_deliveries(3000, seed=8, start=datetime(2017, 1, 1), days=200)
    at = datetime(2017, 6, 1)  # well inside the stream (its last deliveries trickle in one by one)
    exact = EtaModel().fit(_with_estimates(history, informative=True, seed=1), until=at)
    noisy = EtaModel().fit(_with_estimates(history, informative=False, seed=2), until=at)
    assert exact.trust("correios", WindowStage.PROMISE) >= 0.75
    assert noisy.trust("correios", WindowStage.PROMISE) <= 0.25
    assert EtaModel().trust("correios", WindowStage.PROMISE) == 1.0  # nothing learned yet


def test_young_history_ends_on_the_carrier_estimate() -> None:
    model = EtaModel().fit([delivered(T0 + timedelta(hours=i), 1, 2) for i in range(50)])
    at = T0 + timedelta(days=10)
    w = model.predict(ship(at, estimate=date(2018, 4, 2)), at=at)
    assert w.latest == date(2018, 4, 2)
    assert "carrier's estimate" in w.explanation


def test_matched_share_follows_the_estimate_hit_rate() -> None:
    history = synthetic_deliveries(3000, seed=9, start=datetime(2017, 1, 1), days=200)
    # Estimates kept about 80% of the time: the matched target sits near 80% + margin.
    rng = random.Random(4)
    marked = [
        Delivery(
            dataclasses.replace(
                d.shipment,
                carrier_estimate=d.delivered_at.date() + timedelta(days=3 if rng.random() < 0.8 else -3),
            ),
            d.delivered_at,
        )
        for d in history
    ]
    at = datetime(2017, 6, 1)
    model = EtaModel(backtest_config(None)).fit(marked, until=at)
    share = model.share(ship(at, estimate=at.date()), at)
    assert 0.76 <= share <= 0.86
