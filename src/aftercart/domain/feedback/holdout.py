"""Holdout groups: who does not get a journey or placement, and what the difference was.

Assignment (:func:`assigned_to_holdout`): SHA-256 of ``experiment NUL customer_key``, its first 8 bytes
read as a number ``u`` in [0, 1); the customer is held out when ``u < share``. So

- the same customer in the same experiment always gets the same answer (no state to store), and
  different experiments draw independently (the experiment name salts the hash);
- in expectation exactly ``share`` of customers are held out (SHA-256 output is uniform for our
  purposes), and raising ``share`` only adds customers: whoever is held out at 5 % is still held out
  at 10 %, so widening a holdout never moves people back into the treated group.

Difference (:func:`difference`): treated mean minus held-out mean with Welch's confidence interval —
``d ± t(q, ν) · √(s²_t/n_t + s²_h/n_h)`` with the Welch–Satterthwaite degrees of freedom ``ν`` and
the Student-t quantile computed exactly (regularised incomplete beta, no SciPy). It does not assume
equal variances or equal group sizes, and for 0/1 outcomes (repeat purchase) it is the usual
unpooled interval for a difference of proportions with a t instead of a z quantile.

Edge cases, by design:

- an empty group: the difference is unknown — ``difference``, ``low`` and ``high`` are NaN
  (``Estimate.defined`` is False);
- a group of one: its variance cannot be estimated — the difference is given, the interval is
  (-inf, +inf);
- both groups constant (zero variance, n ≥ 2): the interval is the single point ``d``. With 0/1
  outcomes this happens when no one in either group converted: read it as "no evidence yet",
  not as certainty;
- one group constant: Welch's formula holds (ν comes from the other group).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass


def assigned_to_holdout(*, customer_key: str, experiment: str, share: float) -> bool:
    """Whether this customer is in the experiment's holdout group: deterministic per customer and
    experiment, a ``share`` (0..1) of customers in expectation."""
    if not 0.0 <= share <= 1.0:  # also refuses NaN
        raise ValueError(f"share must be between 0 and 1, not {share!r}")
    return holdout_draw(customer_key=customer_key, experiment=experiment) < share


def holdout_draw(*, customer_key: str, experiment: str) -> float:
    """The customer's uniform draw in [0, 1) for this experiment (held out when below the share)."""
    digest = hashlib.sha256(f"{experiment}\x00{customer_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class Estimate:
    """Treated mean minus held-out mean, with its confidence interval."""

    difference: float
    low: float
    high: float
    n_treated: int
    n_held_out: int

    @property
    def defined(self) -> bool:
        """Whether both groups had data (otherwise every figure is NaN)."""
        return not math.isnan(self.difference)

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero."""
        return self.defined and (self.low > 0 or self.high < 0)


def difference(treated: Sequence[float], held_out: Sequence[float], *, confidence: float = 0.95) -> Estimate:
    """The difference of means between the groups (per-customer values: contacts per order,
    CSAT, repeat purchase 0/1, revenue), with Welch's confidence interval (see the module doc)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    nt, nh = len(treated), len(held_out)
    if nt == 0 or nh == 0:
        return Estimate(math.nan, math.nan, math.nan, nt, nh)
    mt, mh = math.fsum(treated) / nt, math.fsum(held_out) / nh
    d = mt - mh
    if nt < 2 or nh < 2:
        return Estimate(d, -math.inf, math.inf, nt, nh)
    at = _variance(treated, mt) / nt
    ah = _variance(held_out, mh) / nh
    se = math.sqrt(at + ah)
    if se == 0.0:
        return Estimate(d, d, d, nt, nh)
    # Welch–Satterthwaite, written with shares of the variance so tiny variances cannot underflow.
    rt, rh = at / (at + ah), ah / (at + ah)
    nu = 1.0 / (rt * rt / (nt - 1) + rh * rh / (nh - 1))
    half = t_quantile(0.5 + confidence / 2, nu) * se
    return Estimate(d, d - half, d + half, nt, nh)


def _variance(values: Sequence[float], mean: float) -> float:
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def t_cdf(x: float, df: float) -> float:
    """P(T ≤ x) for Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(df):
        return 0.5 * math.erfc(-x / math.sqrt(2))
    tail = 0.5 * _regularised_beta(df / 2, 0.5, df / (df + x * x))
    return 1.0 - tail if x > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def _regularised_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), by its continued fraction (Lentz's method)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _regularised_beta(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return math.exp(log_front) * h / a
