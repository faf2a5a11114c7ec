"""Shopify webhooks and REST resources → canonical facts. Pure: no Django, no I/O.

Topics handled (``X-Shopify-Topic``):

``orders/create``
    ``order.placed`` (at ``created_at``).
``orders/updated``
    ``order.updated`` (at ``updated_at``) with the order's current fields.
``orders/cancelled``
    ``order.cancelled`` (at ``cancelled_at``, reason from ``cancel_reason``).
``orders/fulfilled``, ``orders/partially_fulfilled``
    read as ``orders/updated``: the body is the order, and its embedded fulfillments are the news
    (a shop subscribed to these topics alone must still get its shipments).
``fulfillments/create``, ``fulfillments/update``
    ``shipment.created``, plus a ``tracking.event`` when the fulfillment has a ``shipment_status``.
``fulfillment_events/create``
    ``tracking.event`` on the fulfillment's shipment.

``products/create``, ``products/update`` and ``inventory_levels/update`` feed the store's stock,
not the ledger: see :mod:`aftercart.integrations.shopify.inventory`.

Every order topic also emits ``order.cancelled`` when ``cancelled_at`` is set, and the facts of the
fulfillments embedded in the order (Shopify sends ``orders/updated`` on every fulfillment change,
so a shop subscribed only to ``orders/*`` still gets its shipments).

**The body decides, not the topic.** The HMAC covers the body only: ``X-Shopify-Topic`` can be
changed on a captured, validly signed delivery. So an order is cancelled only when its
``cancelled_at`` says so (an ``orders/cancelled`` body without it is refused, naming the field),
and a body that is not the resource its topic names is refused naming the field that gives it away:
under an order topic, ``order_id`` (fulfillments, fulfillment events, refunds, transactions, draft
orders: an order has no ``order_id``), ``variants`` (a product), ``inventory_item_id`` (an
inventory level), ``abandoned_checkout_url`` (a checkout) or ``orders_count`` (a customer): each
would otherwise make an order nobody placed; under a fulfillment topic, ``fulfillment_id`` (a
fulfillment event).

**Idempotency keys are derived from the resource, not from the webhook id.** Shopify gives each
delivery of a webhook its own ``X-Shopify-Webhook-Id``, the same change reaches us through several
topics (a fulfillment in ``fulfillments/create`` and again inside ``orders/updated``) and a REST
backfill has no webhook id at all. Keys built from the resource id and its version timestamp make
all of those one fact:

* ``shopify:order:{id}:placed`` — an order is placed once;
* ``shopify:order:{id}:updated:{updated_at}`` — one fact per version of the order;
* ``shopify:order:{id}:cancelled`` — an order is cancelled once;
* ``shopify:fulfillment:{id}:{updated_at or created_at}`` — one fact per version of a fulfillment;
* ``shopify:fulfillment:{id}:shipment_status:{status}`` — one checkpoint per status a fulfillment
  reaches (re-saving the fulfillment for another reason does not repeat it);
* ``shopify:fulfillment_event:{id}`` — a fulfillment event never changes.

Timestamps in keys are normalised to UTC, so ``-05:00`` and ``Z`` spellings of an instant agree.

**Fulfillments that did not ship** (``status`` ``cancelled``, ``error`` or ``failure``) produce no
facts: a shipment fact would count their lines as shipped, and the ledger has no fact that takes a
shipment back. ``pending`` and ``open`` (legacy fulfillment-service states: the fulfillment exists
and has its lines) are treated as shipped.

Out of scope, deliberately: refunds, transactions, draft orders, fulfillment orders and their
cancellation requests, customers, risks. :func:`rest_payloads` skips them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aftercart.domain.carriers import carrier_slug
from aftercart.domain.facts import Fact, FactKind, TimeOutOfRange, normalise_tracking_number, to_utc
from aftercart.integrations.shopify.statuses import SHOPIFY_EVENT_STATUS, shopify_event_status
from aftercart.integrations.signatures import HmacScheme

__all__ = [
    "NOT_SHIPPED_STATUSES",
    "REST_RESOURCE_TOPICS",
    "SHOPIFY_EVENT_STATUS",
    "SOURCE",
    "TOPICS",
    "ShopifyError",
    "ShopifyPayloadError",
    "UnsupportedTopic",
    "parse_rest",
    "parse_webhook",
    "rest_payloads",
    "shopify_event_status",
    "verify_hmac",
]

SOURCE = "shopify"

ORDERS_CREATE = "orders/create"
ORDERS_UPDATED = "orders/updated"
ORDERS_CANCELLED = "orders/cancelled"
FULFILLMENTS_CREATE = "fulfillments/create"
FULFILLMENTS_UPDATE = "fulfillments/update"
FULFILLMENT_EVENTS_CREATE = "fulfillment_events/create"
ORDERS_FULFILLED = "orders/fulfilled"
ORDERS_PARTIALLY_FULFILLED = "orders/partially_fulfilled"
#: Order topics whose body is the order as it is now: read like ``orders/updated``.
ORDER_VERSION_TOPICS = frozenset({ORDERS_UPDATED, ORDERS_FULFILLED, ORDERS_PARTIALLY_FULFILLED})

#: The webhook topics :func:`parse_webhook` understands.
TOPICS = frozenset(
    {
        ORDERS_CREATE,
        ORDERS_UPDATED,
        ORDERS_CANCELLED,
        ORDERS_FULFILLED,
        ORDERS_PARTIALLY_FULFILLED,
        FULFILLMENTS_CREATE,
        FULFILLMENTS_UPDATE,
        FULFILLMENT_EVENTS_CREATE,
    }
)

#: Fulfillment ``status`` values for which nothing left the warehouse.
NOT_SHIPPED_STATUSES = frozenset({"cancelled", "error", "failure"})

#: Key of a REST response body → the topic whose webhook body has the same shape. A fetched order
#: is read as ``orders/create`` (a backfill needs the placed fact) and a fetched fulfillment as
#: ``fulfillments/update`` (it is the fulfillment's current version).
REST_RESOURCE_TOPICS: dict[str, str] = {
    "order": ORDERS_CREATE,
    "orders": ORDERS_CREATE,
    "fulfillment": FULFILLMENTS_UPDATE,
    "fulfillments": FULFILLMENTS_UPDATE,
    "fulfillment_event": FULFILLMENT_EVENTS_CREATE,
    "fulfillment_events": FULFILLMENT_EVENTS_CREATE,
}


#: How Shopify signs a webhook: the base64 HMAC-SHA256 of the raw body.
SIGNATURE = HmacScheme("X-Shopify-Hmac-Sha256", "base64")


class ShopifyError(ValueError):
    """Base class of everything this adapter rejects."""


class UnsupportedTopic(ShopifyError):
    """A webhook topic this adapter does not read; the caller decides how to answer Shopify."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        super().__init__(f"unsupported Shopify webhook topic: {topic!r}")


class ShopifyPayloadError(ShopifyError):
    """A payload that is not what Shopify sends; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def parse_webhook(topic: str, payload: Mapping[str, Any], webhook_id: str = "") -> list[Fact]:
    """The facts in one Shopify webhook body.

    ``webhook_id`` (``X-Shopify-Webhook-Id``) is accepted for the caller's logs but is deliberately
    not part of any idempotency key (see the module docstring). Raises :class:`UnsupportedTopic`
    for a topic not in :data:`TOPICS` and :class:`ShopifyPayloadError` for a malformed body.
    """
    normalised = (topic or "").strip().lower()
    if normalised not in TOPICS:
        raise UnsupportedTopic(topic)
    body = _mapping(payload, "body")
    if normalised in (ORDERS_CREATE, ORDERS_CANCELLED) or normalised in ORDER_VERSION_TOPICS:
        _refuse_other_resource(body, _NOT_AN_ORDER, "an order")
        topic_read = ORDERS_UPDATED if normalised in ORDER_VERSION_TOPICS else normalised
        return _order_facts(topic_read, body)
    if normalised in (FULFILLMENTS_CREATE, FULFILLMENTS_UPDATE):
        _refuse_other_resource(body, _NOT_A_FULFILLMENT, "a fulfillment")
        return _fulfillment_facts(body, "")
    return _fulfillment_event_facts(body)


def rest_payloads(body: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Split a REST Admin API response body into ``(topic, resource)`` pairs for :func:`parse_webhook`.

    An ``order``/``fulfillment``/``fulfillment_event`` resource has the same shape as the matching
    webhook body; list responses (``orders``, ...) give one pair per element. Keys of other
    resources (refunds, fulfillment orders, counts, notices) are skipped: they are out of scope.
    """
    pairs: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in _mapping(body, "body").items():
        topic = REST_RESOURCE_TOPICS.get(key)
        if topic is None:
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            path = f"{key}[{index}]" if isinstance(value, list) else key
            pairs.append((topic, _mapping(item, path)))
    return pairs


def parse_rest(body: Mapping[str, Any]) -> list[Fact]:
    """The facts in a REST Admin API response body (a backfill or a reconciliation fetch)."""
    facts: list[Fact] = []
    for topic, resource in rest_payloads(body):
        facts.extend(parse_webhook(topic, resource))
    return facts


def verify_hmac(secret: str, body: bytes, header_value: str | None) -> bool:
    """Whether ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body under ``secret``
    (:data:`SIGNATURE`)."""
    return SIGNATURE.verify(secret, body, header_value)


# --- which resource a body is ---------------------------------------------------------------------

#: Fields that only other resources carry, and what they give away (see the module docstring).
_NOT_AN_ORDER = {
    "order_id": "belongs to another resource (a fulfillment, refund, transaction...)",
    "variants": "belongs to a product",
    "inventory_item_id": "belongs to an inventory level",
    # Checkouts and customers carry an id, line items or an e-mail like an order: read as one,
    # each made an order nobody placed.
    "abandoned_checkout_url": "belongs to a checkout",
    "orders_count": "belongs to a customer",
}
_NOT_A_FULFILLMENT = {"fulfillment_id": "belongs to a fulfillment event"}


def _refuse_other_resource(body: Mapping[str, Any], markers: Mapping[str, str], what: str) -> None:
    """Refuse a body that is not ``what`` its (unsigned) topic says it is."""
    for name, whose in markers.items():
        if name in body:
            raise ShopifyPayloadError(
                name, f"is not a field of {what}: this body {whose}, whatever X-Shopify-Topic says"
            )


# --- orders ---------------------------------------------------------------------------------------


def _order_facts(topic: str, order: Mapping[str, Any]) -> list[Fact]:
    order_ref = _id(order, "id", "id")
    facts: list[Fact] = []
    if topic == ORDERS_CREATE:
        at = _time(order, ("created_at",), "")
        facts.append(
            Fact(
                kind=FactKind.ORDER_PLACED,
                occurred_at=at,
                idempotency_key=f"shopify:order:{order_ref}:placed",
                source=SOURCE,
                order_ref=order_ref,
                payload=_order_payload(order),
            )
        )
    elif topic == ORDERS_UPDATED:
        at = _time(order, ("updated_at",), "")
        facts.append(
            Fact(
                kind=FactKind.ORDER_UPDATED,
                occurred_at=at,
                idempotency_key=f"shopify:order:{order_ref}:updated:{_stamp(at)}",
                source=SOURCE,
                order_ref=order_ref,
                payload=_order_payload(order),
            )
        )
    # Cancelled only when the body says so: the topic header is not signed.
    if order.get("cancelled_at") in (None, ""):
        if topic == ORDERS_CANCELLED:
            raise ShopifyPayloadError(
                "cancelled_at", "is required: an orders/cancelled body without it is not a cancelled order"
            )
    else:
        facts.append(
            Fact(
                kind=FactKind.ORDER_CANCELLED,
                occurred_at=_time(order, ("cancelled_at",), ""),
                idempotency_key=f"shopify:order:{order_ref}:cancelled",
                source=SOURCE,
                order_ref=order_ref,
                payload={"reason": _text(order, "cancel_reason", "cancel_reason")},
            )
        )
    for index, fulfillment in enumerate(_list(order, "fulfillments", "fulfillments")):
        path = f"fulfillments[{index}]"
        facts.extend(_fulfillment_facts(_mapping(fulfillment, path), path, order_ref))
    return facts


def _order_payload(order: Mapping[str, Any]) -> dict[str, Any]:
    shipping = _optional_mapping(order, "shipping_address")
    billing = _optional_mapping(order, "billing_address")
    customer = _optional_mapping(order, "customer")
    payload: dict[str, Any] = {
        # "name" is what the shop shows ("#1001"); order_number is the same without the prefix.
        "number": _text(order, "name", "name") or _text(order, "order_number", "order_number"),
        "email": (
            _text(order, "email", "email")
            or _text(order, "contact_email", "contact_email")
            or _text(customer, "email", "customer.email")
        ).lower(),
        "phone": _text(order, "phone", "phone") or _text(customer, "phone", "customer.phone"),
        "postal_code": _text(shipping, "zip", "shipping_address.zip")
        or _text(billing, "zip", "billing_address.zip"),
        "country": (
            _text(shipping, "country_code", "shipping_address.country_code")
            or _text(billing, "country_code", "billing_address.country_code")
        ).upper(),
        # The customer is who we write to; the address name is who receives the parcel.
        "customer_name": _full_name(customer, "customer")
        or _text(shipping, "name", "shipping_address.name")
        or _text(billing, "name", "billing_address.name"),
        "locale": _text(order, "customer_locale", "customer_locale"),
        "currency": _text(order, "currency", "currency"),
        "total": _money(order, "total_price", "total_price"),
    }
    payload = {k: v for k, v in payload.items() if v not in (None, "")}
    address = _shipping_address(shipping)
    if address:
        payload["shipping_address"] = address
    consent = _sms_consent(order, customer)
    if consent is not None:
        payload["sms_consent"] = consent
    # A partial resource (REST ``?fields=``) has no line_items: say nothing about lines rather
    # than claiming the order has none.
    if "line_items" in order:
        payload["lines"] = [
            _order_line(_mapping(item, f"line_items[{i}]"), f"line_items[{i}]")
            for i, item in enumerate(_list(order, "line_items", "line_items"))
        ]
    return payload


#: Shopify's address fields under the names API orders use for ``shipping_address`` (EasyPost's,
#: :class:`aftercart.integrations.canonical.schemas.AddressIn`): a prepaid return label is bought
#: from there.
_ADDRESS_FIELDS = {
    "name": "name",
    "company": "company",
    "street1": "address1",
    "street2": "address2",
    "city": "city",
    "state": "province_code",
    "zip": "zip",
    "country": "country_code",
    "phone": "phone",
}


def _shipping_address(shipping: Mapping[str, Any]) -> dict[str, str]:
    """The order's shipping address in the canonical shape, empty fields left out ({} without one:
    a pickup or digital order)."""
    found = {key: _text(shipping, name, f"shipping_address.{name}") for key, name in _ADDRESS_FIELDS.items()}
    if found["country"]:
        found["country"] = found["country"].upper()
    return {k: v for k, v in found.items() if v}


def _sms_consent(order: Mapping[str, Any], customer: Mapping[str, Any]) -> bool | None:
    """Whether the buyer agreed to texts: the checkout's ``buyer_accepts_sms`` when present, else
    the customer's ``sms_marketing_consent.state`` ("subscribed"; "pending" is a double opt-in
    not yet confirmed, so not consent). ``None`` when the payload says nothing."""
    accepts = order.get("buyer_accepts_sms")
    if isinstance(accepts, bool):
        return accepts
    consent = customer.get("sms_marketing_consent")
    if isinstance(consent, Mapping) and isinstance(consent.get("state"), str):
        return consent["state"] == "subscribed"
    return None


def _order_line(item: Mapping[str, Any], path: str) -> dict[str, Any]:
    line = {
        "line_id": _id(item, "id", f"{path}.id"),
        "sku": _text(item, "sku", f"{path}.sku"),
        "title": _text(item, "title", f"{path}.title"),
        "variant": _text(item, "variant_title", f"{path}.variant_title"),
        "quantity": _quantity(item, f"{path}.quantity"),
        "unit_price": _money(item, "price", f"{path}.price"),
        "product_id": _text(item, "product_id", f"{path}.product_id"),
    }
    return {k: v for k, v in line.items() if v not in (None, "")}


def _full_name(person: Mapping[str, Any], path: str) -> str:
    first = _text(person, "first_name", f"{path}.first_name")
    last = _text(person, "last_name", f"{path}.last_name")
    return " ".join(part for part in (first, last) if part)


# --- fulfillments ---------------------------------------------------------------------------------


def _fulfillment_facts(fulfillment: Mapping[str, Any], path: str, order_ref: str = "") -> list[Fact]:
    """``path`` is "" for a top-level body, ``fulfillments[i]`` inside an order."""
    prefix = f"{path}." if path else ""
    shipment_id = _id(fulfillment, "id", f"{prefix}id")
    # An embedded fulfillment belongs to the order it is embedded in, whatever its own order_id.
    ref = order_ref or _id(fulfillment, "order_id", f"{prefix}order_id")
    status = _text(fulfillment, "status", f"{prefix}status").lower()
    if status in NOT_SHIPPED_STATUSES:
        return []
    at = _time(fulfillment, ("updated_at", "created_at"), path)
    tracking_number = normalise_tracking_number(_first(fulfillment, "tracking_number", prefix))
    carrier = carrier_slug(_text(fulfillment, "tracking_company", f"{prefix}tracking_company"))
    lines = []
    for i, item in enumerate(_list(fulfillment, "line_items", f"{prefix}line_items")):
        line_path = f"{prefix}line_items[{i}]"
        item = _mapping(item, line_path)
        line_id = _id(item, "id", f"{line_path}.id")
        lines.append({"line_id": line_id, "quantity": _quantity(item, f"{line_path}.quantity")})
    # Shopify's "service" is the fulfillment service handle ("manual", an app), not the carrier's
    # service level, so it is not copied into ``service``.
    payload: dict[str, Any] = {
        "shipment_id": shipment_id,
        "carrier": carrier,
        "tracking_number": tracking_number,
        "tracking_url": _first(fulfillment, "tracking_url", prefix),
        "lines": lines,
    }
    payload = {k: v for k, v in payload.items() if v not in (None, "")}
    facts = [
        Fact(
            kind=FactKind.SHIPMENT_CREATED,
            occurred_at=at,
            idempotency_key=f"shopify:fulfillment:{shipment_id}:{_stamp(at)}",
            source=SOURCE,
            order_ref=ref,
            tracking_number=tracking_number,
            payload=payload,
        )
    ]
    shipment_status = _text(fulfillment, "shipment_status", f"{prefix}shipment_status").lower()
    if shipment_status:
        tag, subtag = shopify_event_status(shipment_status)
        facts.append(
            Fact(
                kind=FactKind.TRACKING_EVENT,
                occurred_at=at,
                idempotency_key=f"shopify:fulfillment:{shipment_id}:shipment_status:{shipment_status}",
                source=SOURCE,
                order_ref=ref,
                tracking_number=tracking_number,
                payload={
                    k: v
                    for k, v in {
                        "shipment_id": shipment_id,
                        "carrier": carrier,
                        "tracking_number": tracking_number,
                        "tag": tag.value,
                        "subtag": subtag.value,
                        "raw_code": shipment_status,
                    }.items()
                    if v
                },
            )
        )
    return facts


def _fulfillment_event_facts(event: Mapping[str, Any]) -> list[Fact]:
    event_id = _id(event, "id", "id")
    shipment_id = _id(event, "fulfillment_id", "fulfillment_id")
    order_ref = _id(event, "order_id", "order_id")
    status = _text(event, "status", "status")
    if not status:
        raise ShopifyPayloadError("status", "is required")
    tag, subtag = shopify_event_status(status)
    location = ", ".join(
        part for part in (_text(event, name, name) for name in ("city", "province", "zip", "country")) if part
    )
    # Validated but kept as sent: the estimate is the carrier's local day, which UTC could shift.
    estimate = _text(event, "estimated_delivery_at", "estimated_delivery_at")
    if estimate:
        _parse_time(estimate, "estimated_delivery_at")
    payload: dict[str, Any] = {
        "shipment_id": shipment_id,
        "tag": tag.value,
        "subtag": subtag.value,
        "raw_code": status,
        "raw_message": _text(event, "message", "message"),
        "location": location,
        "estimated_delivery": estimate,
    }
    return [
        Fact(
            kind=FactKind.TRACKING_EVENT,
            occurred_at=_time(event, ("happened_at", "created_at"), ""),
            idempotency_key=f"shopify:fulfillment_event:{event_id}",
            source=SOURCE,
            order_ref=order_ref,
            payload={k: v for k, v in payload.items() if v not in (None, "")},
        )
    ]


# --- field readers: each names the field it rejects -----------------------------------------------


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShopifyPayloadError(path, f"must be an object, not {type(value).__name__}")
    return value


def _optional_mapping(obj: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = obj.get(name)
    return {} if value is None else _mapping(value, name)


def _list(obj: Mapping[str, Any], name: str, path: str) -> list[Any]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShopifyPayloadError(path, f"must be a list, not {type(value).__name__}")
    return value


def _first(obj: Mapping[str, Any], name: str, prefix: str) -> str:
    """``name`` or else the first of its plural (``tracking_number`` / ``tracking_numbers``)."""
    many = _list(obj, f"{name}s", f"{prefix}{name}s")
    if many and not obj.get(name):
        return _text({name: many[0]}, name, f"{prefix}{name}s[0]")
    return _text(obj, name, f"{prefix}{name}")


def _id(obj: Mapping[str, Any], name: str, path: str) -> str:
    value = obj.get(name)
    # bool is an int in Python; an id of ``true`` is a broken payload, not id 1.
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise ShopifyPayloadError(path, "is required and must be a number or a string")
    return str(value).strip()


def _text(obj: Mapping[str, Any], name: str, path: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ShopifyPayloadError(path, f"must be a string, not {type(value).__name__}")
    return str(value).strip()


def _quantity(item: Mapping[str, Any], path: str) -> int:
    value = item.get("quantity")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShopifyPayloadError(path, "must be a non-negative integer")
    return value


def _money(obj: Mapping[str, Any], name: str, path: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ShopifyPayloadError(path, "must be a decimal amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ShopifyPayloadError(path, f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ShopifyPayloadError(path, f"{value!r} is not a decimal amount")
    return str(amount)


def _parse_time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise ShopifyPayloadError(path, "must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ShopifyPayloadError(path, f"{value!r} is not an ISO 8601 timestamp") from None
    # Shopify always sends an offset; a naive value is read as UTC rather than rejected.
    try:
        return to_utc(parsed)
    except TimeOutOfRange as exc:
        raise ShopifyPayloadError(path, str(exc)) from None


def _time(obj: Mapping[str, Any], names: tuple[str, ...], path: str) -> datetime:
    """The first of ``names`` that is set, as an aware UTC datetime."""
    prefix = f"{path}." if path else ""
    for name in names:
        if obj.get(name) not in (None, ""):
            return _parse_time(obj[name], f"{prefix}{name}")
    raise ShopifyPayloadError(f"{prefix}{names[0]}", "is required")


def _stamp(value: datetime) -> str:
    """A UTC timestamp for a key: ``2025-07-02T16:30:47Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
