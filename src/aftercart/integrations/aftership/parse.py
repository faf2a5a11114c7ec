"""AfterShip tracking webhooks → canonical facts. Pure: no Django, no I/O.

AfterShip posts ``{ts, event, event_id, is_tracking_first_tag, msg}`` where ``msg`` is the whole
Tracking, checkpoints included, every time something changes. So:

* each checkpoint becomes one ``tracking.event``, keyed by its content (slug, tracking number,
  checkpoint time, tag, subtag, message): the next webhook repeats every earlier checkpoint and
  the ledger keeps each once. ``event_id`` is not used in keys for that reason;
* when the tracking has no checkpoints, or its current tag differs from the latest checkpoint's
  (AfterShip expires a tracking, or the merchant marks it delivered, without a new scan), one more
  ``tracking.event`` carries the tracking's own tag, keyed by (slug, number, tag, subtag);
* the estimated delivery (``latest_estimated_delivery``, else AfterShip's prediction
  ``aftership_estimated_delivery_date``, else ``expected_delivery``, else the courier's estimate)
  rides on the newest fact only: it is what AfterShip knows *now*.

Facts carry no ``shipment_id``: the projection files them under the shipment whose tracking number
matches, so AfterShip scans land on the parcel the shop reported. ``order_ref`` is ``msg.order_id``
when AfterShip has it (the shop's order id, as the Shopify adapter uses); otherwise the fact is tied
to the tracking number alone.

Checkpoint times are the carrier's local time; when AfterShip gives no offset they are read as UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from aftercart.domain.carriers import carrier_slug
from aftercart.domain.facts import (
    Fact,
    FactKind,
    TimeOutOfRange,
    content_key,
    normalise_tracking_number,
    to_utc,
)
from aftercart.domain.vocabulary import CarrierTag, aftership_status
from aftercart.integrations.signatures import HmacScheme

__all__ = [
    "SIGNATURE",
    "SIGNATURE_HEADER",
    "SOURCE",
    "AfterShipPayloadError",
    "parse_webhook",
    "verify_signature",
]

SOURCE = "aftership"

#: Name of the header that carries the signature.
SIGNATURE_HEADER = "aftership-hmac-sha256"
#: How AfterShip signs a webhook: the base64 HMAC-SHA256 of the raw body in that header.
SIGNATURE = HmacScheme(SIGNATURE_HEADER, "base64")


class AfterShipPayloadError(ValueError):
    """A body that is not an AfterShip tracking webhook; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def parse_webhook(body: Mapping[str, Any]) -> list[Fact]:
    """The facts in one AfterShip tracking webhook body (``tracking_update``, ``edd_revise``, ...).

    Raises :class:`AfterShipPayloadError` naming the field when the body is malformed.
    """
    body = _mapping(body, "body")
    msg = _mapping(body.get("msg"), "msg")
    number = normalise_tracking_number(_text(msg, "tracking_number", "msg.tracking_number"))
    if not number:
        raise AfterShipPayloadError("msg.tracking_number", "is required")
    raw_slug = _text(msg, "slug", "msg.slug")
    order_ref = _text(msg, "order_id", "msg.order_id") or None
    base = {"carrier": carrier_slug(raw_slug), "tracking_number": number}

    facts: list[Fact] = []
    raw_checkpoints = msg.get("checkpoints")
    if raw_checkpoints is None:
        raw_checkpoints = []
    if not isinstance(raw_checkpoints, list):
        raise AfterShipPayloadError("msg.checkpoints", "must be a list")
    for index, raw in enumerate(raw_checkpoints):
        path = f"msg.checkpoints[{index}]"
        checkpoint = _mapping(raw, path)
        at = _time(checkpoint.get("checkpoint_time"), f"{path}.checkpoint_time")
        tag_code = _text(checkpoint, "tag", f"{path}.tag")
        subtag_code = _text(checkpoint, "subtag", f"{path}.subtag")
        message = _text(checkpoint, "message", f"{path}.message")
        tag, subtag = aftership_status(tag_code, subtag_code)
        key = content_key(raw_slug, number, at.isoformat(), tag_code, subtag_code, message)
        payload = {
            **base,
            "tag": tag.value,
            "subtag": subtag.value,
            "raw_code": _text(checkpoint, "raw_tag", f"{path}.raw_tag") or subtag_code or tag_code,
            "raw_message": message,
            "location": _location(checkpoint, path),
        }
        facts.append(_fact(at, f"aftership:{key}", order_ref, number, payload))

    tag_code = _text(msg, "tag", "msg.tag")
    subtag_code = _text(msg, "subtag", "msg.subtag")
    tag, subtag = aftership_status(tag_code, subtag_code)
    # AfterShip lists checkpoints oldest first, and then its order, not our clock reading of
    # carrier-local times, says which one is the latest. Some feeds list them newest first
    # (visible as a first checkpoint later than the last): reading the first as the oldest there
    # made the tracking's own tag look new and added a phantom checkpoint.
    latest = None
    if facts:
        newest_first = len(facts) > 1 and facts[0].occurred_at > facts[-1].occurred_at
        latest = facts[0] if newest_first else facts[-1]
    if latest is None or CarrierTag(latest.payload["tag"]) is not tag:
        at = _tracking_time(body, msg)
        key = content_key(raw_slug, number, "status", tag_code, subtag_code)
        payload = {
            **base,
            "tag": tag.value,
            "subtag": subtag.value,
            "raw_code": subtag_code or tag_code,
            "raw_message": _text(msg, "subtag_message", "msg.subtag_message"),
        }
        facts.append(_fact(at, f"aftership:{key}", order_ref, number, payload))

    estimate = _estimated_delivery(msg)
    if estimate:
        newest = max(facts, key=lambda f: f.occurred_at)
        facts[facts.index(newest)] = replace(
            newest, payload={**newest.payload, "estimated_delivery": estimate}
        )
    return facts


def verify_signature(secret: str, body: bytes, header_value: str | None) -> bool:
    """Whether ``aftership-hmac-sha256`` is the base64 HMAC-SHA256 of the raw body under ``secret``
    (:data:`SIGNATURE`)."""
    return SIGNATURE.verify(secret, body, header_value)


def _fact(at: datetime, key: str, order_ref: str | None, number: str, payload: dict[str, Any]) -> Fact:
    return Fact(
        kind=FactKind.TRACKING_EVENT,
        occurred_at=at,
        idempotency_key=key,
        source=SOURCE,
        order_ref=order_ref,
        tracking_number=number,
        payload={k: v for k, v in payload.items() if v not in (None, "")},
    )


def _location(checkpoint: Mapping[str, Any], path: str) -> str:
    """AfterShip's own ``location`` line, else city, state, zip and country joined."""
    location = _text(checkpoint, "location", f"{path}.location")
    if location:
        return location
    # country_region (2024-x) replaced country_iso3 / country_name (legacy versions).
    country = next(
        (
            value
            for name in ("country_region", "country_iso3", "country_name")
            if (value := _text(checkpoint, name, f"{path}.{name}"))
        ),
        "",
    )
    parts = [_text(checkpoint, name, f"{path}.{name}") for name in ("city", "state", "zip")]
    return ", ".join(part for part in [*parts, country] if part)


def _estimated_delivery(msg: Mapping[str, Any]) -> str | None:
    """The best current delivery estimate, as an ISO date or datetime string.

    For a range the later bound is used: promising the earlier one would make every parcel that
    arrives within the window look late.
    """
    candidates: list[tuple[Any, str]] = []
    latest = msg.get("latest_estimated_delivery")
    if isinstance(latest, Mapping):
        candidates += [(latest.get("datetime"), "msg.latest_estimated_delivery.datetime")]
        candidates += [(latest.get("datetime_max"), "msg.latest_estimated_delivery.datetime_max")]
    # AfterShip's own prediction (AfterShip EDD), when the tracking has no "latest" one.
    predicted = msg.get("aftership_estimated_delivery_date")
    if isinstance(predicted, Mapping):
        field = "msg.aftership_estimated_delivery_date"
        candidates += [(predicted.get("estimated_delivery_date_max"), f"{field}.estimated_delivery_date_max")]
        candidates += [(predicted.get("estimated_delivery_date"), f"{field}.estimated_delivery_date")]
    candidates.append((msg.get("expected_delivery"), "msg.expected_delivery"))
    courier = msg.get("courier_estimated_delivery_date")
    if isinstance(courier, Mapping):
        field = "msg.courier_estimated_delivery_date"
        candidates += [(courier.get("estimated_delivery_date"), f"{field}.estimated_delivery_date")]
        candidates += [(courier.get("estimated_delivery_date_max"), f"{field}.estimated_delivery_date_max")]
    for value, path in candidates:
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise AfterShipPayloadError(path, "must be an ISO 8601 date or datetime")
        text = value.strip()
        try:
            if len(text) == 10:
                date.fromisoformat(text)
            else:
                datetime.fromisoformat(text)
        except ValueError:
            raise AfterShipPayloadError(path, f"{value!r} is not an ISO 8601 date or datetime") from None
        # Kept as given, offset included: the estimate is a local calendar day, and converting
        # "20:00-04:00" to UTC would move it to the next day.
        return text
    return None


def _tracking_time(body: Mapping[str, Any], msg: Mapping[str, Any]) -> datetime:
    """When the tracking's own status was set: ``msg.updated_at``, else the webhook's ``ts``."""
    if msg.get("updated_at") not in (None, ""):
        return _time(msg["updated_at"], "msg.updated_at")
    ts = body.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise AfterShipPayloadError("ts", "is required (unix seconds) when msg.updated_at is absent")
    # Python's JSON reads NaN and Infinity, and 1e300 is a valid number: none of them is a moment.
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise AfterShipPayloadError("ts", f"{ts!r} is not a unix time in the years 1 to 9999") from None


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AfterShipPayloadError(path, f"must be an object, not {type(value).__name__}")
    return value


def _text(obj: Mapping[str, Any], name: str, path: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise AfterShipPayloadError(path, f"must be a string, not {type(value).__name__}")
    return str(value).strip()


def _time(value: Any, path: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise AfterShipPayloadError(path, "is required (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AfterShipPayloadError(path, f"{value!r} is not an ISO 8601 timestamp") from None
    try:
        return to_utc(parsed)
    except TimeOutOfRange as exc:
        raise AfterShipPayloadError(path, str(exc)) from None
