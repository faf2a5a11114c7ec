"""Shopify's delivery statuses in our vocabulary.

Shopify reports where a parcel is in two places with the same values: ``FulfillmentEvent.status``
(one scan) and ``Fulfillment.shipment_status`` (the latest scan). REST spells them ``in_transit``,
GraphQL ``IN_TRANSIT``; both are accepted.
"""

from __future__ import annotations

from aftercart.domain.vocabulary import CarrierTag, Subtag

#: Every ``FulfillmentEventStatus`` of the Admin API → our tag and subtag.
#:
#: The less obvious choices:
#:
#: * ``confirmed`` is Shopify's default "no other information" status and the ``label_*`` ones mean
#:   the merchant has a label: the carrier knows of the parcel but has not scanned it (info_received);
#: * ``carrier_picked_up`` (2025-10) is the carrier's first scan; ``picked_up`` is the older value
#:   for a parcel collected by the buyer from a pickup point, so it is delivered;
#: * ``delayed`` and ``failure`` are exceptions: both mean someone should look at the order;
#: * the last three exist only in the ``unstable`` API so far; they are mapped now so that a shop
#:   on a newer version never shows them as "pending".
SHOPIFY_EVENT_STATUS: dict[str, tuple[CarrierTag, Subtag]] = {
    "label_purchased": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "label_printed": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "confirmed": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "carrier_picked_up": (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT_ACCEPTED),
    "in_transit": (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT),
    "out_for_delivery": (CarrierTag.OUT_FOR_DELIVERY, Subtag.OUT_FOR_DELIVERY),
    "attempted_delivery": (CarrierTag.ATTEMPT_FAIL, Subtag.ATTEMPT_FAIL),
    "delayed": (CarrierTag.EXCEPTION, Subtag.EXCEPTION_DELAYED),
    "failure": (CarrierTag.EXCEPTION, Subtag.EXCEPTION),
    "ready_for_pickup": (CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
    "picked_up": (CarrierTag.DELIVERED, Subtag.DELIVERED_PICKED_UP),
    "delivered": (CarrierTag.DELIVERED, Subtag.DELIVERED),
    # unstable API only (not yet in a stable version)
    "ready_for_recipient_pickup": (CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
    "buyer_action_required": (CarrierTag.EXCEPTION, Subtag.EXCEPTION),
    "returning_to_sender": (CarrierTag.EXCEPTION, Subtag.EXCEPTION_RETURN_TO_SENDER),
}


def shopify_event_status(status: str | None) -> tuple[CarrierTag, Subtag]:
    """Our tag and subtag for a Shopify fulfillment event status or shipment status (any case).

    An unknown or missing status is ``pending``: a status we cannot read must never be shown as
    progress, and the projection never lets ``pending`` overwrite a known status.
    """
    key = (status or "").strip().lower().replace("-", "_").replace(" ", "_")
    return SHOPIFY_EVENT_STATUS.get(key, (CarrierTag.PENDING, Subtag.PENDING))
