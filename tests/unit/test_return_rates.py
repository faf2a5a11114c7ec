"""The rate rule a store buys prepaid return labels by (cheapest, fastest, named)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.returns.rates import Rate, RateRule, RateRuleKind, choose_rate

RATES = [
    Rate("r1", "USPS", "GroundAdvantage", Decimal("7.58"), "USD", 4),
    Rate("r2", "USPS", "Priority", Decimal("9.45"), "USD", 2),
    Rate("r3", "UPS", "Ground", Decimal("11.20"), "USD", 3),
    Rate("r4", "FedEx", "FEDEX_2_DAY", Decimal("18.90"), "USD", 2),
    Rate("r5", "UPS", "NextDayAir", Decimal("30.00"), "USD", None),
]


def test_cheapest_and_fastest():
    assert choose_rate(RATES, RateRule()).rate.id == "r1"
    # Two rates in two days: the cheaper of them.
    assert choose_rate(RATES, RateRule(RateRuleKind.FASTEST)).rate.id == "r2"


def test_a_rate_without_transit_days_is_never_the_fastest():
    rates = [Rate("a", "X", "s", Decimal("1"), "USD", None), Rate("b", "X", "t", Decimal("9"), "USD", 6)]
    assert choose_rate(rates, RateRule(RateRuleKind.FASTEST)).rate.id == "b"


def test_named_carrier_and_service_ignoring_case():
    choice = choose_rate(RATES, RateRule(RateRuleKind.NAMED, "ups", "ground"))
    assert (choice.rate.id, choice.fallback) == ("r3", "")
    assert choose_rate(RATES, RateRule(RateRuleKind.NAMED, "UPS", "")).rate.id == "r3", "carrier's cheapest"


def test_named_service_not_offered_falls_back_to_the_carriers_cheapest_then_the_cheapest():
    choice = choose_rate(RATES, RateRule(RateRuleKind.NAMED, "UPS", "NextDayAirEarlyAM"))
    assert (choice.rate.id, choice.fallback) == (
        "r3",
        "UPS NextDayAirEarlyAM not offered: carrier's cheapest",
    )
    choice = choose_rate(RATES, RateRule(RateRuleKind.NAMED, "DHL", "Express"))
    assert (choice.rate.id, choice.fallback) == ("r1", "DHL Express not offered: cheapest")


def test_no_rates_no_choice():
    assert choose_rate([], RateRule()) is None
    assert choose_rate([], RateRule(RateRuleKind.NAMED, "UPS", "Ground")) is None


_rates = st.lists(
    st.builds(
        Rate,
        id=st.text("abcdef0123", min_size=1, max_size=6),
        carrier=st.sampled_from(["USPS", "UPS", "FedEx"]),
        service=st.sampled_from(["Ground", "Priority", "Express"]),
        amount=st.decimals(min_value=0, max_value=500, places=2),
        currency=st.just("USD"),
        delivery_days=st.one_of(st.none(), st.integers(1, 10)),
    ),
    min_size=1,
    max_size=8,
)


@given(_rates, st.sampled_from(list(RateRuleKind)), st.sampled_from(["USPS", "UPS", "DHL"]))
def test_the_choice_is_always_a_quoted_rate_and_does_not_depend_on_their_order(rates, kind, carrier):
    rule = RateRule(kind, carrier, "Ground")
    choice = choose_rate(rates, rule)
    assert choice is not None and choice.rate in rates
    assert choose_rate(list(reversed(rates)), rule) == choice
    if kind is RateRuleKind.CHEAPEST:
        assert choice.rate.amount == min(r.amount for r in rates)
