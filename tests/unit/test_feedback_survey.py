"""Survey scales and figures, computed by hand."""

from __future__ import annotations

import pytest

from aftercart.domain.feedback.survey import (
    Scale,
    Thresholds,
    distribution,
    satisfied,
    summarise,
    unhappy,
    valid_score,
)


def test_scales_and_thresholds():
    assert [valid_score(Scale.CSAT, s) for s in (0, 1, 5, 6)] == [False, True, True, False]
    assert valid_score(Scale.NPS, 0) and valid_score(Scale.NPS, 10) and not valid_score(Scale.NPS, 11)
    assert not valid_score(Scale.CSAT, True) and not valid_score(Scale.CSAT, "4")
    assert [satisfied(Scale.CSAT, s) for s in (3, 4, 5)] == [False, True, True]
    assert [satisfied(Scale.NPS, s) for s in (8, 9)] == [False, True]
    assert [unhappy(Scale.CSAT, s) for s in (1, 2, 3)] == [True, True, False]
    assert [unhappy(Scale.NPS, s) for s in (6, 7)] == [True, False]
    assert satisfied(Scale.CSAT, 4, Thresholds(csat_satisfied=5)) is False


def test_summary_by_hand():
    # CSAT 5, 4, 2, 1: mean 3, satisfied 2 of 4. NPS 10, 9, 8, 3, 0: promoters 2, detractors 2 → 0.
    answers = [(Scale.CSAT, s) for s in (5, 4, 2, 1)] + [(Scale.NPS, s) for s in (10, 9, 8, 3, 0)]
    s = summarise(answers)
    assert s.csat_mean == 3.0 and s.csat_satisfied == 0.5 and s.csat_answers == 4
    assert (s.promoters, s.passives, s.detractors, s.nps) == (2, 1, 2, 0.0)
    assert summarise([(Scale.NPS, 10), (Scale.NPS, 6), (Scale.NPS, 9)]).nps == pytest.approx(100 / 3)
    assert summarise([]).csat_mean is None and summarise([]).nps is None


def test_distribution_most_frequent_first():
    assert distribution(["b", "a", "b", "c", "a", "b"]) == [("b", 3, 0.5), ("a", 2, 2 / 6), ("c", 1, 1 / 6)]
