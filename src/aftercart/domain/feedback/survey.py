"""Survey scores: the two scales, who counts as satisfied or unhappy, and the summary figures.

* **CSAT** — "How satisfied are you with your order?" 1 (very unsatisfied) to 5 (very satisfied).
  The CSAT figure is the share of answers of 4 or 5 (the usual definition), beside the mean.
* **NPS** — "How likely are you to recommend us?" 0 to 10. Promoters answer 9–10, detractors 0–6;
  the NPS is the share of promoters minus the share of detractors, in points (−100..100).

Who is asked for a public review and who is handed to a person is the store's to set
(:class:`Thresholds`); the defaults follow the scales' conventions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Scale(StrEnum):
    """Which question a survey asks."""

    CSAT = "csat"
    NPS = "nps"


#: Lowest and highest score of each scale.
RANGE: dict[Scale, tuple[int, int]] = {Scale.CSAT: (1, 5), Scale.NPS: (0, 10)}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Who is satisfied (asked for a review) and who is unhappy (a person follows up)."""

    csat_satisfied: int = 4
    nps_satisfied: int = 9
    csat_unhappy: int = 2
    nps_unhappy: int = 6


DEFAULT_THRESHOLDS = Thresholds()


def valid_score(scale: Scale, score: object) -> bool:
    """Whether ``score`` is a whole number on ``scale``."""
    low, high = RANGE[scale]
    return isinstance(score, int) and not isinstance(score, bool) and low <= score <= high


def satisfied(scale: Scale, score: int, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether the answer is happy enough to ask for a public review."""
    limit = thresholds.csat_satisfied if scale is Scale.CSAT else thresholds.nps_satisfied
    return score >= limit


def unhappy(scale: Scale, score: int, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether the answer needs a person (CSAT ≤ 2, NPS detractor by default)."""
    limit = thresholds.csat_unhappy if scale is Scale.CSAT else thresholds.nps_unhappy
    return score <= limit


def choices(scale: Scale) -> list[int]:
    """The scores offered, lowest first."""
    low, high = RANGE[scale]
    return list(range(low, high + 1))


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of a set of answers (``None``: no answer of that scale)."""

    csat_answers: int
    csat_mean: float | None
    #: Share (0..1) of CSAT answers of 4 or 5.
    csat_satisfied: float | None
    nps_answers: int
    #: Promoters minus detractors, in points (−100..100).
    nps: float | None
    promoters: int
    passives: int
    detractors: int


def summarise(answers: Iterable[tuple[Scale, int]]) -> Summary:
    """CSAT and NPS figures of ``(scale, score)`` answers."""
    csat: list[int] = []
    nps: list[int] = []
    for scale, score in answers:
        (csat if scale is Scale.CSAT else nps).append(score)
    promoters = sum(1 for s in nps if s >= 9)
    detractors = sum(1 for s in nps if s <= 6)
    return Summary(
        csat_answers=len(csat),
        csat_mean=sum(csat) / len(csat) if csat else None,
        csat_satisfied=sum(1 for s in csat if s >= 4) / len(csat) if csat else None,
        nps_answers=len(nps),
        nps=100.0 * (promoters - detractors) / len(nps) if nps else None,
        promoters=promoters,
        passives=len(nps) - promoters - detractors,
        detractors=detractors,
    )


def distribution(labels: Sequence[str]) -> list[tuple[str, int, float]]:
    """``(label, count, share)`` of each label, most frequent first (ties by name)."""
    counts = Counter(labels)
    total = sum(counts.values())
    return [(k, n, n / total) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
