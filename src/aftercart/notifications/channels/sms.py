"""SMS through Twilio's REST API, with the official ``twilio`` library.

The text is the order's next-step headline, translated into the customer's language, and a link to
the tracking page, which says the rest: the same next step as every other touchpoint.

Twilio has no idempotency key for sending a message, so a worker that dies between Twilio's answer
and recording it sends the SMS again when the lease expires (at-least-once, as e-mail).

``AFTERCART_TWILIO_BASE_URL`` replaces ``https://api.twilio.com`` (a regional endpoint, a proxy, or
the local stand-in of the tests); the client's ``api`` domain carries that base URL.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
import requests
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from aftercart.domain.messaging import Channel
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step
from aftercart.notifications import links
from aftercart.notifications.channels import (
    HTTP_TIMEOUT,
    Outbound,
    PermanentError,
    RetryableError,
    StoreSettings,
)
from aftercart.notifications.message_templates import (
    TemplateText,
    resolve_template,
    store_wording,
    template_variables,
)

#: Twilio errors about our own sender (number not SMS-capable, invalid From, unverified sender):
#: the operator's to fix, not the recipient's, so the message is retried rather than given up.
_SENDER_ERRORS = frozenset({21212, 21606, 21659, 21660})


class SmsTransport:
    """Sends through each store's Twilio account, one client per store per batch."""

    channel = Channel.SMS

    def __init__(self) -> None:
        self._settings = StoreSettings(Channel.SMS)
        self._clients: dict[int, tuple[Client, TwilioHttpClient]] = {}

    def address(self, state: OrderState) -> str:
        """The order's latest phone number, as given (normalised to E.164 when sent)."""
        return state.phone.strip()

    def send(self, outbound: Outbound) -> str:
        """Send the SMS; return Twilio's message SID."""
        message = outbound.message
        config = self._settings.get(message.store_id)
        to = e164(outbound.address, outbound.state.country or message.store.country)
        client = self._client(message.store_id, config)
        sender = str(config["from"])
        # A Messaging Service SID (MG…) picks the sender itself from the store's pool of numbers.
        origin: dict[str, Any] = (
            {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        )
        try:
            sent = client.messages.create(to=to, body=sms_body(outbound), **origin)
        except TwilioRestException as exc:
            text = f"Twilio {exc.status} error {exc.code}: {exc.msg}"
            if exc.status in (401, 403, 429) or exc.status >= 500 or exc.code in _SENDER_ERRORS:
                raise RetryableError(text) from exc
            # 21211 invalid number, 21610 unsubscribed (STOP), 21614 not a mobile, …
            raise PermanentError(text) from exc
        except (TwilioException, requests.RequestException, OSError) as exc:
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        return str(sent.sid or "")

    def close(self) -> None:
        """Close the HTTP sessions of this batch."""
        for _, http in self._clients.values():
            if http.session is not None:
                http.session.close()
        self._clients.clear()

    def _client(self, store_id: int, config: dict[str, Any]) -> Client:
        if store_id not in self._clients:
            http = TwilioHttpClient(timeout=HTTP_TIMEOUT)
            client = Client(str(config["account_sid"]), str(config["auth_token"]), http_client=http)
            base = getattr(settings, "AFTERCART_TWILIO_BASE_URL", "") or ""
            if base:
                client.api.base_url = base.rstrip("/")
            self._clients[store_id] = (client, http)
        return self._clients[store_id][0]


def e164(number: str, region: str = "") -> str:
    """A phone number in E.164 (``+34600111222``); :class:`PermanentError` if it is not a valid
    number. A national number is read in ``region`` (the order's, else the store's country)."""
    try:
        parsed = phonenumbers.parse(number, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise PermanentError(f"invalid phone number: {number!r}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PermanentError(f"invalid phone number: {number!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def sms_body(outbound: Outbound, draft: TemplateText | None = None) -> str:
    """``<Store>: <next-step headline> <tracking link>`` (or the store's template for this
    milestone, or ``draft`` for a preview), in the customer's language, and the footer every text
    carries: STOP to opt out, and the link to the preference page."""
    message, state = outbound.message, outbound.state
    locale = state.locale or message.store.default_locale or settings.LANGUAGE_CODE
    with translation.override(locale):
        headline, detail = render_next_step(outbound.step, customer_zone(state, message.store.timezone))
        footer = gettext("Reply STOP to opt out. Your choices: %(url)s") % {
            "url": links.preferences_url(message.order, Channel.SMS.value, state)
        }
        language = translation.get_language() or "en"
        custom = draft or resolve_template(message.store_id, message.channel, message.milestone, language)
        if custom is not None:
            variables = template_variables(outbound, headline=headline, detail=detail)
            own = store_wording(custom, variables, message=message)  # None: the built-in text
            if own is not None:
                # One line, whatever the template or the data say.
                return f"{' '.join(own.body.split())} {footer}"
    text = " ".join(f"{message.store.name}: {headline}".split())  # one line, whatever the data says
    return f"{text} {links.tracking_url(message.order)} {footer}"
