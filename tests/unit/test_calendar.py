"""The house calendar (domain.calendar): one set of business days for the delivery-window model,
the exception rules and the demo. Public holidays are days off (carriers do not deliver); optional
ones, like Brazil's Carnival, are business days. Pinned here in each use."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aftercart.demo import simulate
from aftercart.domain import calendar
from aftercart.domain.calendar import BusinessCalendar, add_business_days, holidays_in, is_business_day
from aftercart.domain.eta.model import EtaModel
from aftercart.domain.exceptions import DetectionRules, business_hours_between, late_to_ship
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.projection.fold import project

GOOD_FRIDAY = date(2024, 3, 29)  # a public holiday in Brazil
CARNIVAL_MONDAY = date(2024, 2, 12)  # an optional one: shops and carriers work


def test_public_holidays_are_days_off_and_optional_ones_are_not() -> None:
    assert calendar.DELIVERY_HOLIDAYS == ("public",)
    assert GOOD_FRIDAY in holidays_in("BR", 2024)
    assert not is_business_day(GOOD_FRIDAY, "BR")
    assert is_business_day(CARNIVAL_MONDAY, "BR")
    assert is_business_day(GOOD_FRIDAY)  # no country: weekends only
    assert is_business_day(GOOD_FRIDAY, "XX")  # a country `holidays` does not know: weekends only
    assert not is_business_day(date(2024, 3, 30), "BR")  # Saturday


def test_the_table_has_the_same_days_as_the_calendar() -> None:
    table = BusinessCalendar("BR")
    day = date(2023, 12, 1)
    for _ in range(120):
        assert table.is_business_day(day) == is_business_day(day, "BR")
        if is_business_day(day, "BR"):  # from a day off, the table counts from the next business day
            assert table.add(day, 1) == add_business_days(day, 1, "BR")
        day = date.fromordinal(day.toordinal() + 1)


def test_eta_counts_the_house_calendar() -> None:
    cal = EtaModel().calendar("BR")
    assert cal.add(date(2024, 3, 28), 1) == date(2024, 4, 1)  # Thursday + 1 skips Good Friday
    assert cal.add(date(2024, 2, 9), 1) == CARNIVAL_MONDAY  # Friday + 1 is Carnival Monday


def test_demo_counts_the_house_calendar() -> None:
    assert simulate.add_business_days(date(2024, 3, 28), 1, "BR") == date(2024, 4, 1)
    assert simulate.add_business_days(date(2024, 2, 9), 1, "BR") == CARNIVAL_MONDAY
    assert not simulate.is_business_day(GOOD_FRIDAY, "BR")


def _placed(at: datetime):
    placed = Fact(
        kind=FactKind.ORDER_PLACED,
        occurred_at=at,
        idempotency_key="placed",
        source="test",
        order_ref="1001",
        payload={"lines": [{"line_id": "L1", "quantity": 1}]},
    )
    return project([placed])


def test_exception_rules_count_the_house_calendar() -> None:
    brazil = DetectionRules(country="BR", handling_sla_days=2)
    # Business hours: Good Friday does not count in Brazil.
    thursday = datetime(2024, 3, 28, tzinfo=UTC)
    tuesday = datetime(2024, 4, 2, tzinfo=UTC)
    assert business_hours_between(thursday, tuesday, "BR") == 48  # Thursday and Monday
    assert business_hours_between(thursday, tuesday) == 72
    # The handling SLA: placed on Thursday, two business days are over on Tuesday, not on Monday.
    state = _placed(thursday)
    monday_noon = datetime(2024, 4, 1, 12, tzinfo=UTC)
    assert late_to_ship(state, monday_noon, brazil) == []
    assert late_to_ship(state, monday_noon, DetectionRules(handling_sla_days=2)) != []
    assert late_to_ship(state, tuesday, brazil) != []
    # Carnival counts: placed on Carnival Monday, the SLA is over on Wednesday.
    carnival = _placed(datetime(2024, 2, 12, tzinfo=UTC))
    assert late_to_ship(carnival, datetime(2024, 2, 14, 1, tzinfo=UTC), brazil) != []
