"""AfterShip: tracking webhooks → canonical facts (see :mod:`.parse`)."""

from aftercart.integrations.aftership.parse import (
    SIGNATURE_HEADER,
    AfterShipPayloadError,
    parse_webhook,
    verify_signature,
)

__all__ = ["SIGNATURE_HEADER", "AfterShipPayloadError", "parse_webhook", "verify_signature"]
