"""Channel transports: one module per channel, each rendering the order's next step and sending it.

A transport raises :class:`PermanentError` for what retrying cannot fix (the mailbox does not
exist, the address is invalid) and :class:`RetryableError` for what it may (the server is down,
a 4xx); the delivery service turns that into a retry schedule or a final failure.

Channels other than e-mail need per-store settings (a :class:`~aftercart.notifications.models.
ChannelConfig` row): :data:`REQUIRED_SETTINGS` names the keys each needs, checked at start-up.
The event channels (Klaviyo, Iterable, webhook) share the helpers below: one JSON POST over
``urllib`` with an explicit timeout and a status → error mapping, the event's payload, and a
stable event id so the provider drops a repeat of an at-least-once delivery.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import translation
from django.utils.crypto import salted_hmac

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step

if TYPE_CHECKING:
    from aftercart.domain.next_step import NextStep
    from aftercart.domain.projection.state import OrderState
    from aftercart.notifications.models import Message


class ChannelError(Exception):
    """A send that did not succeed. ``permanent``: retrying will not help."""

    permanent = False


class PermanentError(ChannelError):
    """The message can never be delivered as it is (bad address, mailbox unavailable)."""

    permanent = True


class RetryableError(ChannelError):
    """The message may go through later (server unreachable, temporary refusal)."""

    permanent = False


@dataclass(frozen=True, slots=True)
class Outbound:
    """What a transport needs to send one message: the outbox row (with its store and order
    loaded), the order's latest state and next step, and the address to use."""

    message: Message
    state: OrderState
    step: NextStep
    address: str


class Transport(Protocol):
    """One channel's sender. Instances live for one delivery batch (connections are reused)."""

    channel: Channel

    def address(self, state: OrderState) -> str:
        """The customer's address on this channel in the latest state ("" if none)."""
        ...

    def send(self, outbound: Outbound) -> str:
        """Render and send; return the provider's message id. Raises :class:`ChannelError`."""
        ...

    def close(self) -> None:
        """Release connections held for the batch."""
        ...


#: Per-store settings each channel needs (its ``ChannelConfig.settings`` keys).
REQUIRED_SETTINGS: dict[Channel, tuple[str, ...]] = {
    Channel.SMS: ("account_sid", "auth_token", "from"),
    Channel.KLAVIYO: ("api_key",),
    Channel.ITERABLE: ("api_key",),
    Channel.WEBHOOK: ("url", "secret"),
}

#: Seconds an HTTP call to a provider may take to connect or answer.
HTTP_TIMEOUT = 10


def transport_for(channel: str) -> Transport:
    """A fresh transport for a channel."""
    if channel == Channel.EMAIL:
        from aftercart.notifications.channels.email import EmailTransport

        return EmailTransport()
    if channel == Channel.SMS:
        from aftercart.notifications.channels.sms import SmsTransport

        return SmsTransport()
    if channel == Channel.KLAVIYO:
        from aftercart.notifications.channels.klaviyo import KlaviyoTransport

        return KlaviyoTransport()
    if channel == Channel.ITERABLE:
        from aftercart.notifications.channels.iterable import IterableTransport

        return IterableTransport()
    if channel == Channel.WEBHOOK:
        from aftercart.notifications.channels.webhook import WebhookTransport

        return WebhookTransport()
    raise PermanentError(f"no transport for channel {channel!r}")


class StoreSettings:
    """Per-store channel settings, read once per store per delivery batch."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._cache: dict[int, dict[str, Any] | None] = {}

    def get(self, store_id: int) -> dict[str, Any]:
        """The store's settings for this channel; :class:`PermanentError` if it has none enabled
        (it was disabled after the message was planned)."""
        if store_id not in self._cache:
            from aftercart.notifications.models import ChannelConfig

            row = (
                ChannelConfig.objects.filter(store_id=store_id, channel=self.channel.value, enabled=True)
                .values_list("settings", flat=True)
                .first()
            )
            self._cache[store_id] = row if isinstance(row, dict) else None
        found = self._cache[store_id]
        if found is None:
            raise PermanentError(f"{self.channel.value} is not enabled for this store")
        missing = [k for k in REQUIRED_SETTINGS.get(self.channel, ()) if not found.get(k)]
        if missing:
            # Fixable by the operator without touching the message: retry rather than give it up.
            raise RetryableError(f"{self.channel.value} settings lack {', '.join(missing)}")
        return found


def event_id(message: Message) -> str:
    """A stable, opaque id for a message's event: the same on every attempt (providers drop the
    repeat of an at-least-once delivery by it), unique per installation, revealing nothing."""
    digest = salted_hmac("aftercart.notifications.event-id", message.dedupe_key).hexdigest()[:32]
    return f"msg_{digest}"


def event_payload(outbound: Outbound) -> dict[str, Any]:
    """What an event carries: the milestone, the order and its ONE next step, rendered in the
    customer's language (the store's tools show it as is), plus the tracking link."""
    from aftercart.notifications import links
    from aftercart.notifications.renderers import renderer_for

    message, state, step = outbound.message, outbound.state, outbound.step
    store = message.store
    locale = state.locale or store.default_locale or "en"
    with translation.override(locale):
        headline, detail = render_next_step(step, customer_zone(state, store.timezone))
    renderer = renderer_for(message.milestone)
    # Another subject's event (a review request) carries that subject's data beside the order's.
    extra = renderer.event_data(message) if renderer is not None and renderer.event_data else {}
    return {
        **extra,
        "milestone": message.milestone,
        "subject": message.subject,
        "critical": message.critical,
        "locale": locale,
        "order": {
            "id": message.order.public_id,
            "number": state.number or message.order.external_id,
            "email": state.email,
            "phone": state.phone,
            "customer_name": state.customer_name,
            "currency": state.currency,
            "total": str(state.total) if state.total is not None else None,
            "stage": state.stage.value,
            "placed_at": _iso(state.placed_at),
            "lines": [
                {"line_id": ln.line_id, "sku": ln.sku, "title": ln.title, "quantity": ln.quantity}
                for ln in state.active_lines
            ],
            "shipments": [
                {
                    "key": s.key,
                    "carrier": s.carrier,
                    "tracking_number": s.tracking_number,
                    "tracking_url": s.tracking_url,
                    "status": s.tag.value,
                    "substatus": s.subtag.value,
                    "estimated_delivery": s.estimated_delivery.isoformat() if s.estimated_delivery else None,
                    "delivered_at": _iso(s.delivered_at),
                }
                for s in state.shipments.values()
            ],
        },
        "next_step": {**step.to_json(), "headline": headline, "detail": detail},
        "tracking_url": links.tracking_url(message.order),
        **({"choice": _choice(message, state)} if message.milestone == Milestone.CUSTOMER_CHOICE else {}),
    }


def _choice(message: Message, state: OrderState) -> dict[str, Any] | None:
    """The customer's choice a ``customer_choice`` event is about: the order's recorded choice with
    the message's subject, and the choice its dedupe key ends with (a pickup may have been both
    extended and then switched to delivery: two events, one subject)."""
    from aftercart.domain.choices import recorded_choices

    mine = [c for c in recorded_choices(state) if c.subject == message.subject]
    named = [c for c in mine if message.dedupe_key.endswith(f":{c.choice.value}")]
    found = (named or mine)[-1:]
    return found[0].to_json() if found else None


def post_json(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float = HTTP_TIMEOUT
) -> tuple[int, bytes]:
    """POST a JSON body; (status, response body) for a 2xx. Raises :class:`RetryableError` for
    what may pass (no connection, timeouts, 408, 429, 5xx, and 401/403: our credentials, the
    operator's to fix, never the message's fault) and :class:`PermanentError` for other 4xx (the
    request itself is wrong and will be wrong again)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        detail = _snippet(exc.read() if exc.fp else b"")
        status = exc.code
        if status in (401, 403, 408, 429) or status >= 500:
            raise RetryableError(f"HTTP {status} {detail}".strip()) from exc
        raise PermanentError(f"HTTP {status} {detail}".strip()) from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError and timeouts are OSErrors
        raise RetryableError(f"{type(exc).__name__}: {exc}") from exc


def _snippet(body: bytes) -> str:
    # Provider error bodies go into last_error: short, single-line.
    return " ".join(body.decode("utf-8", "replace").split())[:300]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def dumps(data: Any) -> bytes:
    """Compact JSON bytes (the exact bytes signed and sent)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode()
