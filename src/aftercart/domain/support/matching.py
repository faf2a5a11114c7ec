"""Which order a customer's message is about: references found in the text, and the choice.

Two pure steps. :func:`references_in` lists what in the text could be an order number or a
tracking number (the ledger, not a pattern, decides which exist: stores number orders their own
way, ``#1001``, ``AC-1001``, ``100234``, a 32-character id). :func:`choose_order` then picks from
what the lookups found, in the order of trust: a signed link, an order number, a tracking number,
the sender's address. Several open orders found by address are never guessed between: the
customer is asked which one (:attr:`Match.candidates`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: Most references read from one message (a pasted invoice must not become a hundred lookups).
MAX_REFERENCES = 12
#: An order by address still counts when its latest news is this recent, even if it is closed
#: (delivered orders are what "it never arrived" is about).
RECENT = timedelta(days=30)

# A token that may name an order or a parcel: letters, digits and -_/ joined, with a digit in it.
_TOKEN = re.compile(r"(?<![\w@.])#?\s?([A-Za-z0-9][A-Za-z0-9\-_/]{2,63})(?![\w@])")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/]\d{1,2}[-/]\d{1,4}$")


def references_in(text: str) -> list[str]:
    """Possible order or tracking numbers in ``text``, normalised as the ledger compares them
    (no ``#`` or spaces, upper case), most likely first (``#``-prefixed ones, then by length),
    at most :data:`MAX_REFERENCES`, without repeats. Dates, e-mail addresses and plain words
    (no digit) are left out; a phone number written with spaces is not one token."""
    found: dict[str, int] = {}
    for match in _TOKEN.finditer(text or ""):
        raw = match.group(0)
        token = match.group(1).strip("-_/")
        if len(token) < 3 or not any(ch.isdigit() for ch in token) or _DATE_LIKE.match(token):
            continue
        key = token.upper()
        score = 0 if raw.startswith("#") else 1
        found[key] = min(found.get(key, score), score)
    ordered = sorted(found, key=lambda k: (found[k], -len(k), k))
    return ordered[:MAX_REFERENCES]


@dataclass(frozen=True, slots=True)
class OrderBrief:
    """What choosing needs to know of one order found by a lookup."""

    order_id: int
    number: str
    placed_at: datetime | None
    #: Still on its way to the customer (not delivered, not cancelled).
    open: bool
    #: The latest thing that happened to it (placed, shipped, scanned, delivered).
    last_activity: datetime | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The order a message is about (``order_id``), how it was found, or the candidates."""

    order_id: int | None
    method: str
    candidates: tuple[OrderBrief, ...] = field(default_factory=tuple)

    @property
    def ambiguous(self) -> bool:
        return self.order_id is None and len(self.candidates) > 1


NO_MATCH = Match(None, "")


def choose_order(
    *,
    token: OrderBrief | None = None,
    by_number: Sequence[OrderBrief] = (),
    by_tracking: Sequence[OrderBrief] = (),
    by_contact: Sequence[OrderBrief] = (),
    contact_method: str = "email",
    current: OrderBrief | None = None,
    now: datetime,
) -> Match:
    """The order the message is about.

    1. a signed tracking link (the contact form) names it;
    2. order numbers in the text: one order → it; several → ask which (never guess);
    3. tracking numbers in the text, likewise;
    4. the conversation's order so far (a follow-up in the same thread);
    5. the sender's e-mail or phone: one open order → it; several → ask which; none open → the
       most recently active closed one if recent (``RECENT``), else nothing.
    """
    if token is not None:
        return Match(token.order_id, "token")
    for found, method in ((by_number, "order_number"), (by_tracking, "tracking_number")):
        unique = _unique(found)
        if len(unique) == 1:
            return Match(unique[0].order_id, method)
        if len(unique) > 1:
            return Match(None, "ambiguous", tuple(_newest_first(unique)))
    if current is not None:
        return Match(current.order_id, "current")
    unique = _unique(by_contact)
    open_orders = [o for o in unique if o.open]
    if len(open_orders) == 1:
        return Match(open_orders[0].order_id, contact_method)
    if len(open_orders) > 1:
        return Match(None, "ambiguous", tuple(_newest_first(open_orders)))
    recent = [o for o in unique if o.last_activity is not None and now - o.last_activity <= RECENT]
    if recent:
        return Match(_newest_first(recent)[0].order_id, contact_method)
    return NO_MATCH


def _unique(orders: Sequence[OrderBrief]) -> list[OrderBrief]:
    seen: dict[int, OrderBrief] = {}
    for order in orders:
        seen.setdefault(order.order_id, order)
    return list(seen.values())


def _newest_first(orders: Sequence[OrderBrief]) -> list[OrderBrief]:
    def key(o: OrderBrief) -> tuple[float, int]:
        moment = o.last_activity or o.placed_at
        return (moment.timestamp() if moment else float("-inf"), o.order_id)

    return sorted(orders, key=key, reverse=True)
