"""Business days of a country (weekends and public holidays from ``holidays`` do not count), as
precomputed tables, so that date arithmetic in the model is a list lookup."""

from __future__ import annotations

from datetime import date

import holidays as holidays_lib


class BusinessCalendar:
    """Business days of one country as precomputed tables: :meth:`ordinal` and :meth:`day` are list
    lookups. The table covers a span of years and is rebuilt larger when a date falls outside it."""

    def __init__(
        self,
        country: str,
        *,
        first_year: int = 2015,
        last_year: int = 2030,
        weekend: frozenset[int] = frozenset({5, 6}),
        categories: tuple[str, ...] = ("public",),
    ) -> None:
        self.country = country
        self.weekend = weekend
        self.categories = categories
        self._build(first_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        try:
            off = set(
                holidays_lib.country_holidays(
                    self.country, years=range(first_year, last_year + 1), categories=self.categories
                )
            )
        except (NotImplementedError, KeyError, ValueError, AttributeError):
            off = set()  # a country `holidays` does not know: weekends only
        self.first_year, self.last_year = first_year, last_year
        self._base = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        before: list[int] = []  # business days strictly before each calendar day
        days: list[int] = []  # calendar ordinal of each business day
        for o in range(self._base, end + 1):
            before.append(len(days))
            d = date.fromordinal(o)
            if d.weekday() not in self.weekend and d not in off:
                days.append(o)
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
        return day.weekday() not in self.weekend and day not in self._holidays

    def add(self, day: date, business_days: int) -> date:
        """The business day ``business_days`` after ``day`` (counting from the next business day
        when ``day`` is not one)."""
        return self.day(self.ordinal(day) + business_days)
