"""EasyPost trackers and tracker webhooks → canonical facts (pure: decoded JSON in, facts out)."""

from aftercart.integrations.easypost.parse import (
    EASYPOST_STATUS,
    EASYPOST_STATUS_DETAIL,
    SOURCE,
    easypost_status,
    find_trackers,
    parse_event,
    parse_payload,
    parse_tracker,
)

__all__ = [
    "EASYPOST_STATUS",
    "EASYPOST_STATUS_DETAIL",
    "SOURCE",
    "easypost_status",
    "find_trackers",
    "parse_event",
    "parse_payload",
    "parse_tracker",
]
