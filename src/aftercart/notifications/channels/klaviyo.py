"""Klaviyo: one "Create Event" per milestone, so the store's Klaviyo flows can act on it.

``POST {AFTERCART_KLAVIYO_BASE_URL}/api/events/`` (JSON:API, ``revision`` header), the metric named
``Aftercart <Milestone>`` and the profile identified by e-mail and/or phone. ``unique_id`` is the
message's stable event id: Klaviyo records only the first event with a given ``unique_id`` for a
profile and metric, so a repeat of an at-least-once delivery is dropped there. 202 means accepted.
"""

from __future__ import annotations

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
from aftercart.notifications.channels.sms import e164

#: The API revision the body is written against (Klaviyo versions its API by date).
REVISION = "2024-10-15"
DEFAULT_BASE_URL = "https://a.klaviyo.com"


def metric_name(milestone: str) -> str:
    """``order_confirmed`` → ``Aftercart Order Confirmed``: the name flows are triggered by."""
    return "Aftercart " + milestone.replace("_", " ").title()


class KlaviyoTransport:
    """Sends events to each store's Klaviyo account with its private API key."""

    channel = Channel.KLAVIYO

    def __init__(self) -> None:
        self._settings = StoreSettings(Channel.KLAVIYO)

    def address(self, state: OrderState) -> str:
        """The customer's e-mail, else phone: what the Klaviyo profile is found by."""
        return state.email.strip() or state.phone.strip()

    def send(self, outbound: Outbound) -> str:
        """Create the event; return its ``unique_id`` (Klaviyo answers 202 with no body)."""
        message, state = outbound.message, outbound.state
        if not (state.email.strip() or state.phone.strip()):
            raise PermanentError("no e-mail address or phone number for the Klaviyo profile")
        config = self._settings.get(message.store_id)
        unique_id = event_id(message)
        body = dumps(event_body(outbound, unique_id))
        base = str(getattr(settings, "AFTERCART_KLAVIYO_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
        headers = {
            "Authorization": f"Klaviyo-API-Key {config['api_key']}",
            "revision": REVISION,
            "Accept": "application/vnd.api+json",
            "Content-Type": "application/vnd.api+json",
        }
        post_json(f"{base}/api/events/", body, headers)
        return unique_id

    def close(self) -> None:
        """Nothing held: one request per event."""


def event_body(outbound: Outbound, unique_id: str) -> dict:
    """The JSON:API document of Create Event."""
    message, state = outbound.message, outbound.state
    profile: dict[str, str] = {}
    if state.email.strip():
        profile["email"] = state.email.strip()
    if state.phone.strip():
        try:
            profile["phone_number"] = e164(state.phone, state.country or message.store.country)
        except PermanentError:
            # Klaviyo rejects the whole event for a malformed phone; the e-mail still finds the
            # profile, so the phone is left out rather than the event lost.
            if not profile:
                raise
    properties = event_payload(outbound)
    return {
        "data": {
            "type": "event",
            "attributes": {
                "properties": properties,
                "metric": {
                    "data": {"type": "metric", "attributes": {"name": metric_name(message.milestone)}}
                },
                "profile": {"data": {"type": "profile", "attributes": profile}},
                "unique_id": unique_id,
                # The moment the milestone is told, not the fact's time: flows react to "now".
                "time": (message.send_at or message.created_at).isoformat(),
            },
        }
    }
