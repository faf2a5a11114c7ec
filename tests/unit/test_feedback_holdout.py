"""Holdout statistics: deterministic assignment with the set share, and an honest interval."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.feedback.holdout import (
    Estimate,
    assigned_to_holdout,
    difference,
    holdout_draw,
    t_cdf,
    t_quantile,
)

keys = st.text(min_size=1, max_size=40)
shares = st.floats(min_value=0.0, max_value=1.0)


@given(customer=keys, experiment=keys, share=shares)
def test_assignment_is_deterministic_per_customer_and_experiment(
    customer: str, experiment: str, share: float
) -> None:
    first = assigned_to_holdout(customer_key=customer, experiment=experiment, share=share)
    assert all(
        assigned_to_holdout(customer_key=customer, experiment=experiment, share=share) == first
        for _ in range(3)
    )


@given(customer=keys, experiment=keys, low=shares, high=shares)
def test_widening_the_share_only_adds_customers(
    customer: str, experiment: str, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    if assigned_to_holdout(customer_key=customer, experiment=experiment, share=low):
        assert assigned_to_holdout(customer_key=customer, experiment=experiment, share=high)


@given(customer=keys, experiment=keys)
def test_share_zero_holds_out_no_one_and_one_everyone(customer: str, experiment: str) -> None:
    assert not assigned_to_holdout(customer_key=customer, experiment=experiment, share=0.0)
    assert assigned_to_holdout(customer_key=customer, experiment=experiment, share=1.0)


@pytest.mark.parametrize("share", [0.05, 0.1, 0.5])
def test_share_held_out_within_a_binomial_bound(share: float) -> None:
    n = 20_000
    held = sum(
        assigned_to_holdout(customer_key=f"customer-{i}", experiment="welcome", share=share) for i in range(n)
    )
    sd = math.sqrt(n * share * (1 - share))
    # Five standard deviations: a hash that is uniform fails this with probability below 1e-6.
    assert abs(held - n * share) < 5 * sd


def test_experiments_draw_independently() -> None:
    n = 20_000
    a = [assigned_to_holdout(customer_key=f"c{i}", experiment="journey-a", share=0.5) for i in range(n)]
    b = [assigned_to_holdout(customer_key=f"c{i}", experiment="journey-b", share=0.5) for i in range(n)]
    both = sum(x and y for x, y in zip(a, b, strict=True))
    # Independent halves overlap on a quarter of customers; sd of that count is sqrt(n * 1/4 * 3/4).
    assert abs(both - n / 4) < 5 * math.sqrt(n * 0.25 * 0.75)


def test_draw_is_in_the_unit_interval() -> None:
    draws = [holdout_draw(customer_key=str(i), experiment="x") for i in range(1000)]
    assert all(0.0 <= d < 1.0 for d in draws)


@pytest.mark.parametrize("share", [-0.1, 1.5, math.nan])
def test_share_out_of_range_is_refused(share: float) -> None:
    with pytest.raises(ValueError):
        assigned_to_holdout(customer_key="c", experiment="x", share=share)


def test_t_quantiles_match_tables() -> None:
    # Printed tables of Student's t: two-sided 95 % and 99 %.
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=1e-3)
    assert t_quantile(0.995, 30) == pytest.approx(2.750, abs=1e-3)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.95996, abs=1e-4)
    assert t_quantile(0.025, 10) == pytest.approx(-2.228, abs=1e-3)
    assert t_cdf(0.0, 7.5) == pytest.approx(0.5)


def test_welch_interval_matches_a_worked_example() -> None:
    treated = [19.1, 21.3, 18.4, 22.0, 20.5, 19.9, 23.1, 18.8]
    held_out = [17.2, 18.9, 16.5, 19.4, 17.8]
    est = difference(treated, held_out)
    mt, mh = sum(treated) / 8, sum(held_out) / 5
    vt = sum((x - mt) ** 2 for x in treated) / 7
    vh = sum((x - mh) ** 2 for x in held_out) / 4
    se = math.sqrt(vt / 8 + vh / 5)
    nu = (vt / 8 + vh / 5) ** 2 / ((vt / 8) ** 2 / 7 + (vh / 5) ** 2 / 4)
    assert est.difference == pytest.approx(mt - mh)
    assert est.high - est.difference == pytest.approx(t_quantile(0.975, nu) * se)
    assert est.difference - est.low == pytest.approx(est.high - est.difference)
    assert (est.n_treated, est.n_held_out) == (8, 5)
    assert est.significant


def _coverage(draw, *, effect: float, simulations: int = 400, seed: int = 17) -> float:
    rng = random.Random(seed)
    covered = 0
    for _ in range(simulations):
        treated, held_out = draw(rng)
        est = difference(treated, held_out, confidence=0.95)
        covered += est.low <= effect <= est.high
    return covered / simulations


def _binomial_band(p: float, n: int, sds: float = 4.0) -> tuple[float, float]:
    sd = math.sqrt(p * (1 - p) / n)
    return p - sds * sd, p + sds * sd


def test_interval_covers_a_known_effect_95_percent_of_the_time_unequal_variances() -> None:
    # Treated mean 1.3, held-out mean 1.0: effect 0.3; unequal spreads and group sizes (Welch's case).
    def draw(rng: random.Random) -> tuple[list[float], list[float]]:
        return [rng.gauss(1.3, 2.0) for _ in range(25)], [rng.gauss(1.0, 0.5) for _ in range(12)]

    low, high = _binomial_band(0.95, 400)
    assert low <= _coverage(draw, effect=0.3) <= high


def test_interval_covers_a_known_effect_for_zero_one_outcomes() -> None:
    # Repeat purchase 0/1: 30 % treated against 22 % held out.
    def draw(rng: random.Random) -> tuple[list[float], list[float]]:
        return (
            [float(rng.random() < 0.30) for _ in range(300)],
            [float(rng.random() < 0.22) for _ in range(150)],
        )

    low, high = _binomial_band(0.95, 400)
    assert low <= _coverage(draw, effect=0.08) <= high


def test_a_90_percent_interval_is_narrower_and_covers_less() -> None:
    rng = random.Random(5)
    treated = [rng.gauss(0, 1) for _ in range(40)]
    held_out = [rng.gauss(0, 1) for _ in range(40)]
    wide, narrow = (
        difference(treated, held_out, confidence=0.95),
        difference(treated, held_out, confidence=0.9),
    )
    assert wide.low < narrow.low < narrow.high < wide.high


def test_empty_group_gives_an_undefined_estimate() -> None:
    for est in (difference([], [1.0, 2.0]), difference([1.0], []), difference([], [])):
        assert isinstance(est, Estimate)
        assert not est.defined and not est.significant
        assert math.isnan(est.difference) and math.isnan(est.low) and math.isnan(est.high)
    assert difference([], [1.0, 2.0]).n_held_out == 2


def test_group_of_one_has_an_unbounded_interval() -> None:
    est = difference([3.0], [1.0, 2.0, 3.0])
    assert est.difference == pytest.approx(1.0)
    assert (est.low, est.high) == (-math.inf, math.inf)
    assert not est.significant


def test_zero_variance_in_both_groups_is_a_point() -> None:
    est = difference([1.0, 1.0, 1.0], [0.0, 0.0])
    assert (est.difference, est.low, est.high) == (1.0, 1.0, 1.0)
    none_converted = difference([0.0] * 50, [0.0] * 50)
    assert (none_converted.difference, none_converted.low, none_converted.high) == (0.0, 0.0, 0.0)
    assert not none_converted.significant


def test_zero_variance_in_one_group_uses_the_other() -> None:
    est = difference([0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0])
    # se = sqrt(var(held_out)/4) with var = 5/3; nu = 3 (the held-out group's n - 1).
    se = math.sqrt((5 / 3) / 4)
    assert est.difference == pytest.approx(-2.5)
    assert est.high - est.difference == pytest.approx(t_quantile(0.975, 3) * se)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.2])
def test_confidence_out_of_range_is_refused(confidence: float) -> None:
    with pytest.raises(ValueError):
        difference([1.0, 2.0], [1.0, 2.0], confidence=confidence)


@given(
    treated=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=30),
    held_out=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=30),
)
def test_interval_contains_the_difference_and_is_symmetric(
    treated: list[float], held_out: list[float]
) -> None:
    est = difference(treated, held_out)
    assert est.low <= est.difference <= est.high
    assert est.high - est.difference == pytest.approx(est.difference - est.low, rel=1e-6, abs=1e-6)
    swapped = difference(held_out, treated)
    assert swapped.difference == pytest.approx(-est.difference, rel=1e-9, abs=1e-6)
