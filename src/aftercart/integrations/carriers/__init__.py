"""Carrier tracking responses (UPS, FedEx, USPS, DHL Express, Canada Post) → canonical facts.

Pure: no Django, no network. ``parse_tracking_response(carrier, raw)`` is the entry point.
"""

from aftercart.integrations.carriers.common import CarrierError, ParsedTracking
from aftercart.integrations.carriers.parse import PARSERS, parse_tracking_response
from aftercart.integrations.carriers.statuses import (
    KARRIO_INCIDENT,
    KARRIO_STATUS,
    karrio_incident,
    karrio_status,
)

__all__ = [
    "KARRIO_INCIDENT",
    "KARRIO_STATUS",
    "PARSERS",
    "CarrierError",
    "ParsedTracking",
    "karrio_incident",
    "karrio_status",
    "parse_tracking_response",
]
