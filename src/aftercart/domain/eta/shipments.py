"""What the model learns from and predicts for: a shipment as the ETA model sees it, and a completed
delivery. Not :class:`aftercart.orders.models.Shipment` (a row): the caller builds these from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from aftercart.domain.eta.geography import GeoArea


@dataclass(frozen=True, slots=True)
class EtaShipment:
    """What a prediction is about.

    ``location`` is the fulfilment location or seller that ships it, ``ship_by`` its own deadline to
    hand the parcel over, ``carrier_estimate`` the carrier's (or platform's) estimated delivery date.
    Times are aware datetimes (converted to :attr:`EtaConfig.timezone`) or naive local times.
    """

    ordered_at: datetime
    origin: GeoArea
    destination: GeoArea
    carrier: str = ""
    service: str = ""
    location: str = ""
    handed_over_at: datetime | None = None
    carrier_estimate: date | None = None
    ship_by: date | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A completed delivery: the shipment as it was known, and when it arrived."""

    shipment: EtaShipment
    delivered_at: datetime
