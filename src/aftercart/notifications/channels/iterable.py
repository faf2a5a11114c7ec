"""Iterable: one custom event per milestone (``POST /api/events/track``), for the store's journeys.

The event's ``id`` is the message's stable event id: Iterable updates the event with that id
rather than adding a second one, so a repeat of an at-least-once delivery is harmless. Iterable
identifies the user by e-mail here (projects keyed by userId are not supported yet).
"""

from __future__ import annotations

import json

from django.conf import settings

from aftercart.domain.messaging import Channel
from aftercart.domain.projection.state import OrderState
from aftercart.notifications.channels import (
    Outbound,
    PermanentError,
    StoreSettings,
    dumps,
    event_id,
    event_payload,
    post_json,
)

DEFAULT_BASE_URL = "https://api.iterable.com"


def event_name(milestone: str) -> str:
    """The event name journeys are triggered by: ``aftercart_<milestone>``."""
    return f"aftercart_{milestone}"


class IterableTransport:
    """Tracks events in each store's Iterable project with its server-side API key."""

    channel = Channel.ITERABLE

    def __init__(self) -> None:
        self._settings = StoreSettings(Channel.ITERABLE)

    def address(self, state: OrderState) -> str:
        """The customer's e-mail: what the Iterable user is found by."""
        return state.email.strip()

    def send(self, outbound: Outbound) -> str:
        """Track the event; return its id."""
        message = outbound.message
        config = self._settings.get(message.store_id)
        eid = event_id(message)
        sent_at = message.send_at or message.created_at
        body = {
            "email": outbound.address,
            "eventName": event_name(message.milestone),
            "id": eid,
            "createdAt": int(sent_at.timestamp()),  # Iterable wants epoch seconds
            "dataFields": event_payload(outbound),
        }
        base = str(getattr(settings, "AFTERCART_ITERABLE_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
        _, answer = post_json(f"{base}/api/events/track", dumps(body), {"Api-Key": str(config["api_key"])})
        # Iterable reports some refusals in a 200 body ({"code": "...Error", "msg": ...}).
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            result = {}
        code = result.get("code", "Success") if isinstance(result, dict) else "Success"
        if code != "Success":
            raise PermanentError(f"Iterable {code}: {result.get('msg', '')}"[:500])
        return eid

    def close(self) -> None:
        """Nothing held: one request per event."""
