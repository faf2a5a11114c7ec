"""Fulfilment, shipment, pickup and tracking events in the canonical JSON, one or a batch."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from ninja import Router, Schema, Status

from aftercart.api.problems import Problem
from aftercart.integrations.canonical.schemas import EventBatchIn, EventIn, event_fact
from aftercart.orders.services import facts_append, facts_record
from aftercart.stores.http import StoreRequest

router = Router(tags=["events"])


class IngestOut(Schema):
    received: int
    accepted: int
    duplicates: int
    unmatched: int


def _record(request: StoreRequest, events: list, *, later: bool = False) -> IngestOut:
    facts = [event_fact(e) for e in events]
    record = facts_append if later else facts_record
    result = record(store=request.store, facts=facts)
    return IngestOut(
        received=result.received,
        accepted=result.accepted,
        duplicates=result.duplicates,
        unmatched=result.orphaned,
    )


@router.post("", response={202: IngestOut}, summary="Post one event")
def post_event(request: StoreRequest, payload: EventIn) -> Status[IngestOut]:
    """Record one event. The same event sent twice is counted as a duplicate and changes nothing."""
    return Status(202, _record(request, [payload]))


@router.post("/batch", response={202: IngestOut}, summary="Post up to 1,000 events")
def post_batch(
    request: StoreRequest, payload: EventBatchIn, project: Literal["now", "later"] = "now"
) -> Status[IngestOut]:
    """Record a batch atomically: every event is validated first, and one invalid event rejects
    the whole batch (nothing is written). ``unmatched`` counts carrier events for tracking numbers
    no shipment has yet; they are kept and attach when the shipment arrives.

    ``?project=later`` is for carrier firehoses: the events are stored (durably, deduplicated) and
    the orders they touch are projected by the worker within about a second, once for all the
    events that arrived for them meanwhile, with their messages planned then. Reading an order
    through the API shows the events at once either way (it projects from the ledger); lists,
    sweeps and messages follow the worker."""
    limit = settings.AFTERCART_MAX_BATCH
    if len(payload.events) > limit:
        raise Problem(
            400,
            "Too many events",
            f"events: at most {limit} per request, got {len(payload.events)}",
            kind="validation",
            errors=[{"field": "events", "message": f"at most {limit} events per request"}],
        )
    return Status(202, _record(request, payload.events, later=project == "later"))
