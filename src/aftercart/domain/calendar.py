"""Business days: the one calendar of the house.

A business day is Monday to Friday and not a public holiday of the country, from the ``holidays``
package. Public holidays only (:data:`DELIVERY_HOLIDAYS`): they are the days carriers do not
deliver and warehouses do not ship. Optional and observance days (Brazil's Carnival, the US's
Groundhog Day, ...) are business days: parcels move then.

Every rule that counts business days uses this module: the delivery-window model (through
:class:`BusinessCalendar`, a precomputed table of the same days), the exception rules (handling
SLA, stall hours, kept promises) and the demo's simulated journeys. Holidays are computed once per
country and year. A country ``holidays`` does not know (or none) has weekends only.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib

#: The ``holidays`` categories that are not business days: public holidays, when carriers do not
#: deliver. Not ``optional`` (Brazil's Carnival, Christmas Eve) nor ``unofficial`` (US observances).
DELIVERY_HOLIDAYS: tuple[str, ...] = ("public",)

#: Weekday numbers (``date.weekday()``) of the weekend.
WEEKEND: frozenset[int] = frozenset({5, 6})


@lru_cache(maxsize=1024)
def holidays_in(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` (empty for no country or an unknown one)."""
    if not country:
        return frozenset()
    try:
        return frozenset(holidays_lib.country_holidays(country, years=year, categories=DELIVERY_HOLIDAYS))
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        return frozenset()  # a country `holidays` does not know: weekends only


def is_business_day(day: date, country: str = "") -> bool:
    """Monday to Friday and not a public holiday of ``country``."""
    return day.weekday() not in WEEKEND and day not in holidays_in(country, day.year)


def add_business_days(day: date, n: int, country: str = "") -> date:
    """The ``n``-th business day after ``day`` (``n`` = 0: ``day`` itself if a business day, else
    the next one)."""
    if n == 0:
        while not is_business_day(day, country):
            day += timedelta(days=1)
        return day
    while n > 0:
        day += timedelta(days=1)
        if is_business_day(day, country):
            n -= 1
    return day


class BusinessCalendar:
    """The business days of one country as precomputed tables, so that date arithmetic is a list
    lookup (:meth:`ordinal` and :meth:`day`); the same days as :func:`is_business_day`. The table
    covers a span of years and is rebuilt larger when a date falls outside it."""

    def __init__(self, country: str, *, first_year: int = 2015, last_year: int = 2030) -> None:
        self.country = country
        self._build(first_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        off: set[date] = set()
        for year in range(first_year, last_year + 1):
            off |= holidays_in(self.country, year)
        base = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        before: list[int] = []  # business days strictly before each calendar day
        days: list[int] = []  # calendar ordinal of each business day
        for o in range(base, end + 1):
            before.append(len(days))
            d = date.fromordinal(o)
            if d.weekday() not in WEEKEND and d not in off:
                days.append(o)
        self.first_year, self.last_year = first_year, last_year
        self._base = base
        self._before = before
        self._days = days
        self._holidays = off

    def ordinal(self, day: date) -> int:
        """The business-day index of ``day``; a non-business day maps to the next business day.

        Indexes restart when the table is rebuilt for an earlier year, so only differences of
        ordinals taken from one table are meaningful (which is all the model stores)."""
        i = day.toordinal() - self._base
        if i < 0 or i >= len(self._before):
            self._build(min(self.first_year, day.year - 1), max(self.last_year, day.year + 1))
            i = day.toordinal() - self._base
        return self._before[i]

    def day(self, ordinal: int) -> date:
        """The calendar date of a business-day index (inverse of :meth:`ordinal` on business days)."""
        while ordinal >= len(self._days):
            self._build(self.first_year, self.last_year + 5)
        return date.fromordinal(self._days[max(0, ordinal)])

    def is_business_day(self, day: date) -> bool:
        """Neither a weekend day nor a public holiday."""
        return day.weekday() not in WEEKEND and day not in self._holidays

    def add(self, day: date, business_days: int) -> date:
        """The business day ``business_days`` after ``day`` (counting from the next business day
        when ``day`` is not one)."""
        return self.day(self.ordinal(day) + business_days)
