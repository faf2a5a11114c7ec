"""Raw carrier tracking responses (UPS, FedEx, USPS, DHL Express, Canada Post) and EasyPost
trackers/events, posted as the carrier or EasyPost returned them."""

from __future__ import annotations

import json

from ninja import Router, Schema, Status

from aftercart.api.problems import Problem
from aftercart.integrations.carriers.common import CarrierError
from aftercart.integrations.carriers.parse import PARSERS, parse_tracking_response
from aftercart.integrations.easypost.parse import parse_payload
from aftercart.orders.services import facts_record
from aftercart.stores.http import StoreRequest

router = Router(tags=["carriers"])


class CarrierErrorOut(Schema):
    code: str
    message: str
    tracking_number: str | None = None
    level: str


class CarrierIngestOut(Schema):
    received: int
    accepted: int
    duplicates: int
    unmatched: int
    tracking_numbers: list[str]
    errors: list[CarrierErrorOut]


@router.post(
    "/{carrier}/tracking",
    response={202: CarrierIngestOut},
    summary="Post a raw carrier tracking response",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/xml": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
def post_carrier_response(request: StoreRequest, carrier: str) -> Status[CarrierIngestOut]:
    """The body is the carrier's own tracking response (JSON for UPS, FedEx and USPS; XML for
    DHL Express and Canada Post). Each checkpoint becomes a ``tracking.event``; re-posting the same
    response is harmless. Carrier errors (unknown tracking number, ...) come back in ``errors``."""
    parsed = parse_tracking_response(carrier, request.body)
    if any(e.code == "unsupported_carrier" for e in parsed.errors):
        raise Problem(
            404,
            "Unsupported carrier",
            f"No tracking parser for {carrier!r}; supported: {', '.join(sorted(PARSERS))}.",
        )
    result = facts_record(store=request.store, facts=parsed.facts)
    return Status(
        202,
        CarrierIngestOut(
            received=result.received,
            accepted=result.accepted,
            duplicates=result.duplicates,
            unmatched=result.orphaned,
            tracking_numbers=parsed.tracking_numbers,
            errors=[_error(e) for e in parsed.errors],
        ),
    )


def _error(e: CarrierError) -> CarrierErrorOut:
    return CarrierErrorOut(code=e.code, message=e.message, tracking_number=e.tracking_number, level=e.level)


@router.post(
    "/easypost",
    response={202: CarrierIngestOut},
    summary="Post an EasyPost Tracker, Event or list of trackers",
    openapi_extra={
        # A list response is a JSON array: the document said only "object" and the server took both.
        "requestBody": {
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
            "required": True,
        }
    },
)
def post_easypost(request: StoreRequest) -> Status[CarrierIngestOut]:
    """An EasyPost ``Tracker``, a webhook ``Event`` wrapping one, or a list response."""
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError) as exc:
        raise Problem(400, "Invalid JSON", str(exc) or "nested too deeply", kind="validation") from exc
    if not isinstance(body, (dict, list)):
        # A bare string or number holds no tracker: it was answered 202 "received 0" (issue 11).
        raise Problem(
            400,
            "Invalid request",
            "body: an EasyPost Tracker, Event or list response (a JSON object or array)",
            kind="validation",
            errors=[{"field": "body", "message": "must be a JSON object or array"}],
        )
    facts = parse_payload(body)
    result = facts_record(store=request.store, facts=facts)
    numbers = sorted({f.tracking_number for f in facts if f.tracking_number})
    return Status(
        202,
        CarrierIngestOut(
            received=result.received,
            accepted=result.accepted,
            duplicates=result.duplicates,
            unmatched=result.orphaned,
            tracking_numbers=numbers,
            errors=[],
        ),
    )
