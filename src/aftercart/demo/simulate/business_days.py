"""The demo's business-day calendar: Mon–Fri minus each country's public holidays.

:func:`is_business_day` is the one place the simulation asks whether a day is worked;
:func:`add_business_days` counts with it. (The demo keeps its own calendar for now.)
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_business_day(day: date, country: str) -> bool:
    """Mon–Fri and not a public holiday in ``country``."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(day: date, n: int, country: str) -> date:
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
