"""The next step in the customer's words: one rendering for every touchpoint.

The domain's :class:`~aftercart.domain.next_step.NextStep` carries English message ids and raw
params (carrier slugs, ISO dates, stand-in words such as "the carrier"). The tracking page, e-mail,
SMS and event channels all turn it into text here, so a customer who starts in an e-mail and lands
on the page reads the same sentence, dates and carrier name in both.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import UnknownLocaleError
from babel.dates import get_timezone_name
from babel.numbers import format_currency
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from aftercart.domain.carriers import CARRIERS
from aftercart.domain.money import Money
from aftercart.domain.projection.state import OrderState

#: Words the domain puts in params when it has nothing better; they are message ids too.
DOMAIN_WORDS = frozenset({"soon", "the carrier", "the pickup point"})
DATE_PARAMS = frozenset(
    {"estimate", "delivered_on", "deadline", "since", "ship_by", "open_from", "decide_by"}
)
#: Moments shown as the customer's local day only ("not scanned since 7 March": the hour would
#: only make a headline longer).
DAY_PARAMS = frozenset({"since", "open_from", "decide_by"})


class _Blank(dict):
    """Params for ``str.format_map``: a placeholder with no value renders empty, not an error."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(message_id: str, params: Mapping[str, str]) -> str:
    """Translate a message id and fill its ``{placeholders}``.

    A translation that does not format (a broken catalogue) falls back to the English id, so a
    translator's typo never takes a page or a message down.
    """
    for text in (gettext(message_id), message_id):
        try:
            return text.format_map(_Blank(params))
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            continue
    return message_id


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message id or translation uses."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def customer_zone(state: OrderState | None, store_timezone: str = "") -> ZoneInfo:
    """The customer's time zone: the order's, else the store's, else UTC."""
    for name in (state.timezone if state else "", store_timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def format_when(value: date | datetime | str, zone: ZoneInfo) -> str:
    """A date, or a moment in the customer's zone, in the active language's format."""
    if isinstance(value, str):
        try:
            parsed: date | datetime = (
                datetime.fromisoformat(value.replace("Z", "+00:00"))
                if "T" in value
                else date.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        moment = value.astimezone(zone) if timezone.is_aware(value) else value
        return formats.date_format(moment, "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


def format_money(value: Money, language: str = "") -> str:
    """An amount as the customer's locale writes it (``€63.69``, ``63,69 €``, ``R$ 63,69``), in
    ``language`` or the active one."""
    if not value.currency:
        return str(value.amount)
    locale = translation.to_locale(language or translation.get_language() or "en")
    try:
        return format_currency(value.amount, value.currency, locale=locale)
    except ValueError:  # a locale babel does not know: its language's format is the next best
        return format_currency(value.amount, value.currency, locale=locale.split("_")[0])


def zone_name(zone: ZoneInfo, language: str = "") -> str:
    """A time zone as the customer's language names it ("Mountain Time", "heure des Rocheuses"),
    never its database key ("America/Denver"); UTC (no place to name) stays "UTC"."""
    if zone.key in ("UTC", "Etc/UTC", "GMT"):
        return "UTC"
    locale = translation.to_locale(language or translation.get_language() or "en")
    try:
        return get_timezone_name(zone, locale=locale)
    except (UnknownLocaleError, ValueError):  # a locale babel does not know: its language then
        return get_timezone_name(zone, locale=locale.split("_")[0])


def localise_params(params: Mapping[str, object], zone: ZoneInfo) -> dict[str, str]:
    """The step's params as the customer reads them (call with the language active): carrier
    names instead of slugs, dates in their format and zone, money in their locale, the domain's
    stand-in words translated."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, Money):
            out[key] = format_money(value)
            continue
        text = str(value)
        if text in DOMAIN_WORDS:
            text = gettext(text)
        elif key == "carrier" and text in CARRIERS:  # a slug; display names pass through as they are
            text = CARRIERS[text].name
        elif key in DAY_PARAMS and "T" in text:
            text = format_when(_local_day(text, zone), zone)
        elif key in DATE_PARAMS and text not in ("", "-"):
            text = format_when(text, zone)
        out[key] = text
    return out


def _local_day(value: str, zone: ZoneInfo) -> date | str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(zone).date() if timezone.is_aware(moment) else moment.date()


def sentence(text: str) -> str:
    """Capitalised, and without the doubled full stop a date ending in "p.m." leaves."""
    # "{carrier} could not deliver" with the stand-in "the carrier" must still start a sentence.
    text = text[:1].upper() + text[1:]
    return text.replace("..", ".")
