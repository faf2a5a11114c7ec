"""Outbound webhooks to the store's own endpoint, signed per the Standard Webhooks spec.

Headers ``webhook-id`` (the message's stable event id: the same on every retry, so the receiver
can drop a repeat), ``webhook-timestamp`` (this attempt, seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body`` with the store's ``whsec_`` secret), made by
the ``standardwebhooks`` library. The body::

    {"type": "order.<milestone>", "timestamp": "...", "data": {<order>, <next_step>, ...}}

A message about another subject posts that subject's event instead, as its registered renderer
builds it (:mod:`aftercart.notifications.renderers`): returns send ``return.created`` /
``return.approved`` / ``return.received`` / ``return.resolved`` with ``data: {"return": {...}}``
(docs/returns.md).

Any answer but a 2xx is retried with backoff (as the spec's senders do), except 410 Gone, which
says the endpoint will never take it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

from aftercart.domain.messaging import Channel
from aftercart.domain.projection.state import OrderState
from aftercart.notifications.channels import (
    Outbound,
    PermanentError,
    RetryableError,
    StoreSettings,
    dumps,
    event_id,
    event_payload,
    post_json,
)
from aftercart.notifications.renderers import renderer_for

#: The planner's contact for this channel: the endpoint is the store's, whoever the customer is.
STORE_ENDPOINT = "store"


class WebhookTransport:
    """Posts signed events to each store's configured URL."""

    channel = Channel.WEBHOOK

    def __init__(self) -> None:
        self._settings = StoreSettings(Channel.WEBHOOK)

    def address(self, state: OrderState) -> str:
        """Always deliverable: the URL comes from the store's settings at send time."""
        return STORE_ENDPOINT

    def send(self, outbound: Outbound) -> str:
        """Sign and post the event; return its ``webhook-id``."""
        message = outbound.message
        config = self._settings.get(message.store_id)
        msg_id = event_id(message)
        now = datetime.now(UTC).replace(microsecond=0)
        payload = {
            "type": f"order.{message.milestone}",
            "timestamp": now.isoformat(),
            "data": event_payload(outbound),
        }
        renderer = renderer_for(message.milestone)
        subject_event = renderer.webhook_event(message) if renderer and renderer.webhook_event else None
        if renderer is not None and subject_event is not None:
            # Another subject's event carries that subject (a return, read now: its latest state),
            # not the order.
            event_type, data = subject_event
            if data is None:
                raise PermanentError(f"{renderer.name} {message.subject} no longer exists")
            payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
        body = dumps(payload)
        try:
            signer = Webhook(str(config["secret"]))
        except Exception as exc:  # a malformed secret: the operator's to fix (the check says so too)
            raise RetryableError(f"webhook secret unusable: {type(exc).__name__}") from exc
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(msg_id, now, body.decode()),
            "User-Agent": "Aftercart-Webhooks/1",
        }
        try:
            post_json(str(config["url"]), body, headers)
        except PermanentError as exc:
            if not str(exc).startswith("HTTP 410"):
                raise RetryableError(str(exc)) from exc
            raise
        return msg_id

    def close(self) -> None:
        """Nothing held: one request per event."""
