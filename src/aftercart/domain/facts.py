"""Canonical facts: the only thing any source produces and the only thing the ledger stores.

A fact says what happened, when, to which order or parcel. Every adapter (REST, Shopify, AfterShip,
carrier responses, Olist CSV) turns its input into these; nothing downstream knows where a fact came
from except through ``source``.

Payload shapes per kind (JSON-safe: strings, numbers, lists, dicts; money as decimal strings,
times as ISO 8601):

``order.placed`` / ``order.updated``
    ``number, email, phone, postal_code, country, customer_name, locale, timezone, currency,
    total, lines: [{line_id, sku, title, variant, quantity, unit_price, product_id}]``.
    ``order.updated`` carries only what changed; ``lines`` entries are merged by ``line_id``.
``order.cancelled``
    ``reason``.
``line.status``
    ``line_id, status`` (a :class:`~aftercart.domain.vocabulary.FulfilmentStatus`), optional
    ``quantity, location, reason``.
``shipment.created``
    ``shipment_id, carrier, service, tracking_number, tracking_url,
    lines: [{line_id, quantity}], estimated_delivery`` (ISO date or datetime).
``tracking.event``
    ``carrier, tracking_number, tag, subtag, raw_code, raw_message, location,
    estimated_delivery``; optional ``shipment_id``.
``pickup.ready``
    ``shipment_id`` or ``lines``, ``location: {name, address, hours}``, ``deadline``.
``pickup.collected``
    ``shipment_id`` or ``lines``.
``feedback.received``
    ``score`` (1–5), ``title, comment, feedback_id``: what the customer said after delivery. Kept
    on the timeline; it does not change the order's state.
``customer.choice``
    ``choice`` (a :class:`CustomerChoice`) and what it is about: ``line_id`` for an unavailable line
    (wait, refund, substitute; the first answer for a line counts) or a pickup waiting as a line,
    ``shipment_id`` for a parcel waiting at a pickup point (extend the deadline once, to
    ``deadline``; or switch to delivery), nothing for the whole order (a late, unshipped order: keep
    waiting or cancel; the first answer counts, and cancel holds only while nothing has shipped).
    Given on the tracking page or by a store agent through the API (see
    :mod:`aftercart.domain.options`, which decides what is on offer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Any

import orjson


class FactKind(StrEnum):
    """What kind of thing happened."""

    ORDER_PLACED = "order.placed"
    ORDER_UPDATED = "order.updated"
    ORDER_CANCELLED = "order.cancelled"
    LINE_STATUS = "line.status"
    SHIPMENT_CREATED = "shipment.created"
    TRACKING_EVENT = "tracking.event"
    PICKUP_READY = "pickup.ready"
    PICKUP_COLLECTED = "pickup.collected"
    FEEDBACK_RECEIVED = "feedback.received"
    CUSTOMER_CHOICE = "customer.choice"


class CustomerChoice(StrEnum):
    """What a customer can choose when something went wrong with their order."""

    #: An unavailable line: wait for the restock, be refunded, or take the store's substitute.
    WAIT = "wait"
    REFUND = "refund"
    SUBSTITUTE = "substitute"
    #: A pickup not collected in time: a later deadline (once), or have it delivered instead.
    EXTEND_PICKUP = "extend_pickup"
    SWITCH_TO_DELIVERY = "switch_to_delivery"
    #: An order late and not shipped yet: keep waiting, or cancel it.
    KEEP_WAITING = "keep_waiting"
    CANCEL = "cancel"


#: Tie-break for facts with the same ``occurred_at``: the order a person would expect them in.
KIND_RANK = {
    FactKind.ORDER_PLACED: 0,
    FactKind.ORDER_UPDATED: 1,
    FactKind.LINE_STATUS: 2,
    FactKind.SHIPMENT_CREATED: 3,
    FactKind.TRACKING_EVENT: 4,
    FactKind.PICKUP_READY: 5,
    FactKind.PICKUP_COLLECTED: 6,
    FactKind.ORDER_CANCELLED: 7,
    FactKind.FEEDBACK_RECEIVED: 8,
    FactKind.CUSTOMER_CHOICE: 9,
}


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing that happened, exactly as the ledger keeps it.

    ``order_ref`` is the store's own order id; ``tracking_number`` ties carrier events to a parcel
    when the source does not know the order. At least one of the two is set.
    ``idempotency_key`` is unique per store: the same fact sent twice is kept once.
    """

    kind: FactKind
    occurred_at: datetime
    idempotency_key: str
    source: str
    order_ref: str | None = None
    tracking_number: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if not (self.order_ref or self.tracking_number):
            raise ValueError("a fact needs an order_ref or a tracking_number")

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        """Total order used by the projection: time, then kind, then key (deterministic)."""
        return (self.occurred_at, KIND_RANK[self.kind], self.idempotency_key)


# Cached: each carrier event's number is normalised when it is parsed, appended and folded, and a
# moving parcel sends many events (bounded: numbers are unbounded over time).
@lru_cache(maxsize=65536)
def normalise_tracking_number(value: str | None) -> str | None:
    """Tracking numbers compare without spaces or case: carriers print them both ways."""
    if not value:
        return None
    cleaned = "".join(str(value).split()).upper()
    return cleaned or None


#: What ``json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))`` uses, made once:
#: json.dumps builds a new encoder on every call with arguments. Stored keys are hashes of exactly
#: this text, so it must never change (or re-sends would stop matching).
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":"))
_KEY_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
#: Values orjson writes exactly as the encoder above does (datetimes and dates go through ``str``
#: in both). Floats are not among them (the standard library writes 1e-05 where orjson writes
#: 0.00001, and NaN where orjson writes null), nor are enums, whose text differs too.
_SCALARS = frozenset({str, int, bool, type(None), datetime, date})


def _key_text(parts: tuple[object, ...]) -> bytes:
    """The JSON text hashed into a content key: ``_KEY_ENCODER``'s, byte for byte.

    orjson writes it about three times faster for the plain values events are made of (every
    event without an id of its own is keyed this way); anything else, non-ASCII text (which the
    standard library escapes) or what orjson refuses (a key that is not a string, a huge integer)
    takes the standard library. A property test checks both give the same bytes for any
    JSON-like value.
    """
    if _plain(parts):
        try:
            text = orjson.dumps(parts, default=str, option=_KEY_ORJSON)
        except TypeError:
            pass
        else:
            # The standard library escapes DEL (0x7f) too, which orjson writes as it is.
            if text.isascii() and b"\x7f" not in text:
                return text
    return _KEY_ENCODER.encode(parts).encode()


def _plain(value: object) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        value = value.values()  # type: ignore[attr-defined]
    elif kind is not list and kind is not tuple:
        return False
    for item in value:  # type: ignore[attr-defined]  # noqa: SIM110 - a loop: all() with a generator costs twice as much here
        if type(item) not in _SCALARS and not _plain(item):
            return False
    return True


def content_key(*parts: object) -> str:
    """A stable idempotency key from the content of a fact, for sources that send no id.

    Re-polling a carrier returns the same checkpoints; hashing what identifies a checkpoint keeps
    each of them once.
    """
    return hashlib.blake2b(_key_text(parts), digest_size=16).hexdigest()


class TimeOutOfRange(ValueError):
    """A moment with no UTC representation: ``9999-12-31T23:59:59-05:00`` is in year 10000 in UTC,
    ``0001-01-01T00:00:00+01:00`` in year 0. A ``ValueError``, so validators report it by field."""


def to_utc(value: datetime, assume: tzinfo = UTC) -> datetime:
    """An aware datetime in UTC. Naive input is read in ``assume``: sources that omit the zone
    (Olist reports São Paulo local time) say which one they mean. Raises :class:`TimeOutOfRange`
    for a moment at the ends of the calendar that UTC cannot hold."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=assume)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise TimeOutOfRange(
            f"{value.isoformat()} is outside the years 1 to 9999 once converted to UTC"
        ) from None
