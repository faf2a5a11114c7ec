"""The claims metrics against figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from aftercart.domain.claims.metrics import ClaimRecord, OrderRecord, claims_metrics_of, lane_of, percentile

T = datetime(2026, 5, 1, tzinfo=UTC)


def test_percentiles_by_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    # 10 values 1..10: p50 is the 5th, p90 the 9th.
    assert percentile([float(v) for v in range(10, 0, -1)], 50) == 5.0
    assert percentile([float(v) for v in range(1, 11)], 90) == 9.0
    # 4 values: p90 is the ceil(3.6) = 4th.
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == 4.0


def test_metrics_of_a_hand_computed_month():
    gb_de, gb_gb = lane_of("gb", "de"), lane_of("GB", "GB")
    assert gb_de == "GB→DE"
    # 8 orders: 5 with DHL (3 to Germany, 2 at home), 3 with UPS at home.
    orders = [OrderRecord(frozenset({"dhl"}), gb_de)] * 3 + [OrderRecord(frozenset({"dhl"}), gb_gb)] * 2
    orders += [OrderRecord(frozenset({"ups"}), gb_gb)] * 3
    claims = [
        # Lost with DHL to Germany: approved after 2 h, refunded 20.00 after 26 h; 15.00 recovered.
        ClaimRecord(
            "lost",
            "resolved",
            T,
            "dhl",
            gb_de,
            T + timedelta(hours=2),
            T + timedelta(hours=26),
            "EUR",
            Decimal("20.00"),
            Decimal("15.00"),
        ),
        # Damaged with DHL at home: denied after 10 h.
        ClaimRecord("damaged", "denied", T, "dhl", gb_gb, T + timedelta(hours=10), None, "EUR"),
        # Damaged with UPS: approved after 4 h, not resolved yet.
        ClaimRecord("damaged", "approved", T, "ups", gb_gb, T + timedelta(hours=4), None, "EUR"),
        # Warranty (no carrier): waiting.
        ClaimRecord("warranty", "in_review", T, "", "", None, None, "EUR"),
    ]
    m = claims_metrics_of(orders, claims)
    assert m["orders"] == 8 and m["claims"] == 4
    assert m["claims_per_100_orders"] == 50.0
    assert m["by_kind"] == {
        "damaged": {"claims": 2, "orders": 8, "per_100_orders": 25.0},
        "lost": {"claims": 1, "orders": 8, "per_100_orders": 12.5},
        "warranty": {"claims": 1, "orders": 8, "per_100_orders": 12.5},
    }
    assert m["by_carrier"] == {
        "dhl": {"claims": 2, "orders": 5, "per_100_orders": 40.0},
        "ups": {"claims": 1, "orders": 3, "per_100_orders": 33.33},
    }
    assert m["by_lane"] == {
        "GB→DE": {"claims": 1, "orders": 3, "per_100_orders": 33.33},
        "GB→GB": {"claims": 2, "orders": 5, "per_100_orders": 40.0},
    }
    # 3 decided (resolved, denied, approved), 2 approved.
    assert m["decided"] == 3 and m["approval_rate"] == 0.6667
    # Decision hours 2, 10, 4 → sorted 2, 4, 10: p50 = 2nd = 4, p90 = ceil(2.7) = 3rd = 10.
    assert m["time_to_decision_hours"] == {"p50": 4.0, "p90": 10.0}
    assert m["time_to_resolution_hours"] == {"p50": 26.0, "p90": 26.0}
    assert m["paid_out"] == [{"currency": "EUR", "amount": "20.00"}]
    assert m["recovered"] == [{"currency": "EUR", "amount": "15.00"}]


def test_no_orders_no_rates():
    m = claims_metrics_of([], [])
    assert m["claims_per_100_orders"] is None and m["approval_rate"] is None
    assert m["time_to_decision_hours"] == {"p50": None, "p90": None} and m["paid_out"] == []
