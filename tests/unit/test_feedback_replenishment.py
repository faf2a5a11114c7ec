"""The replenishment learner: hand-computed fixtures, then the UCI Online Retail sample."""

from __future__ import annotations

import csv
import itertools
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.feedback.replenishment import Interval, Purchase, learn_intervals, reminder_due
from tests.conftest import shared_path


def _p(customer: str, product: str, day: int) -> Purchase:
    return Purchase(customer, product, date(2026, 1, 1) + timedelta(days=day))


def test_median_of_consecutive_intervals_by_hand():
    purchases = [
        # Coffee: ana 0, 30, 58 (30, 28); ben 5, 36 (31); cy 1, 29, 29 (same day twice: 28); dee 2, 400 (398).
        _p("ana", "coffee", 0), _p("ana", "coffee", 30), _p("ana", "coffee", 58),
        _p("ben", "coffee", 5), _p("ben", "coffee", 36),
        _p("cy", "coffee", 1), _p("cy", "coffee", 29), _p("cy", "coffee", 29),
        _p("dee", "coffee", 2), _p("dee", "coffee", 400),
        # Filters: two customers only.
        _p("ana", "filters", 0), _p("ana", "filters", 90), _p("ben", "filters", 0), _p("ben", "filters", 80),
    ]  # fmt: skip
    learned = learn_intervals(purchases, min_intervals=4, min_customers=3)
    # Intervals 30, 28, 31, 28, 398 → median 30.
    assert learned == {"coffee": Interval("coffee", 30.0, 5, 4)}
    assert learn_intervals(purchases, min_intervals=6, min_customers=3) == {}
    assert learn_intervals(purchases, min_intervals=2, min_customers=2)["filters"].days == 85.0
    # An interval longer than max_days is not a repeat purchase.
    assert learn_intervals(purchases, min_intervals=4, min_customers=3, max_days=365)["coffee"].support == 4


def test_no_customer_or_product_no_interval():
    assert (
        learn_intervals(
            [_p("", "x", 0), _p("", "x", 5), _p("a", "", 0), _p("a", "", 9)], min_intervals=1, min_customers=1
        )
        == {}
    )


def test_reminder_due_before_running_out_never_before_onboarding():
    bought = datetime(2026, 1, 1, tzinfo=UTC)
    interval = Interval("coffee", 30.0, 10, 5)
    assert reminder_due(last_purchase=bought, interval=interval, lead_days=3) == bought + timedelta(days=27)
    later = bought + timedelta(days=40)
    assert reminder_due(last_purchase=bought, interval=interval, not_before=later) == later
    short = Interval("gum", 1.0, 10, 5)
    assert reminder_due(last_purchase=bought, interval=short, lead_days=3) == bought


@given(
    st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from("xyz"), st.integers(0, 200)), max_size=60)
)
def test_learned_intervals_lie_within_the_observed_gaps(rows):
    purchases = [_p(c, p, d) for c, p, d in rows]
    for product, interval in learn_intervals(purchases, min_intervals=1, min_customers=1).items():
        days = sorted({d for c, p, d in rows if p == product})
        assert 1 <= interval.days <= days[-1] - days[0]
        assert interval.customers <= interval.support


def _online_retail() -> list[Purchase]:
    path = shared_path("online_retail", "online_retail_head_8000rows.csv")
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["InvoiceNo"].startswith("C") or not row["CustomerID"]:
                continue  # cancellations and returns are not purchases; anonymous rows have no customer
            customer = str(int(float(row["CustomerID"])))
            out.append(
                Purchase(customer, row["StockCode"], datetime.fromisoformat(row["InvoiceDate"]).date())
            )
    return out


def test_online_retail_intervals_agree_with_an_independent_count():
    """The head of UCI Online Retail (5 days of a UK gift shop): every learned product's interval is
    the median of gaps recomputed here independently, and lies within the file's window."""
    purchases = _online_retail()
    learned = learn_intervals(purchases, min_intervals=1, min_customers=1)
    assert learned, "a gift shop's first week has products bought again by the same customers"
    first = min(p.on for p in purchases)
    last = max(p.on for p in purchases)
    days: dict[tuple[str, str], set[date]] = defaultdict(set)
    for p in purchases:
        days[(p.product, p.customer)].add(p.on)
    for product, interval in learned.items():
        gaps = []
        for (prod, _), seen in days.items():
            if prod == product:
                ordered = sorted(seen)
                gaps += [(b - a).days for a, b in itertools.pairwise(ordered)]
        assert interval.days == statistics.median(gaps)
        assert interval.support == len(gaps) >= 1
        assert 1 <= interval.days <= (last - first).days
    # With the defaults (5 intervals from 3 customers) five days of history are too thin to time a
    # reminder by: the learner answers none rather than a guess that would nag.
    strict = learn_intervals(purchases)
    assert set(strict) <= set(learned)
    assert all(i.support >= 5 and i.customers >= 3 for i in strict.values())
    assert len(strict) < len(learned)
