"""Replies on their way out: queued with the decision, sent by the worker on the conversation's channel.

A reply (the automation's or an agent's) is a :class:`~aftercart.support.models.Message` written in
the same transaction as the decision that caused it, with ``delivery="pending"``; the support
pass claims due replies with a lease (a conditional ``UPDATE``: works on SQLite and PostgreSQL)
and sends each through its channel, the outbox's pattern (retries with backoff, attempts
recorded, a dead worker's claim expires):

* Zendesk: ``PUT {base}/api/v2/tickets/{id}`` with ``{"ticket": {"comment": {"body", "public":
  true}}}``, basic auth ``{email}/token:{api token}``;
* Gorgias: ``POST {base}/api/tickets/{id}/messages``, basic auth ``{username}:{api key}``;
* e-mail (and contact-form or API conversations with an address): SMTP through the outbox's own
  e-mail transport (:class:`~aftercart.notifications.channels.email.EmailTransport`), threaded
  with ``In-Reply-To``/``References`` and our own ``Message-ID`` (the customer's answer joins the
  conversation), ``Auto-Submitted: auto-replied`` when automated (RFC 3834);
* SMS: Twilio's REST API with the store's SMS channel settings.

Why not the notifications outbox rows themselves: an outbox row is an order's milestone message,
rendered at send time from the order's latest next step; a reply is a conversation's text,
decided once, threaded in a helpdesk or an e-mail thread, and may have no order at all.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from aftercart.domain.outbound_urls import support_address
from aftercart.kernel.ids import new_public_id
from aftercart.notifications.channels import HTTP_TIMEOUT, PermanentError, RetryableError
from aftercart.notifications.channels.email import EmailTransport
from aftercart.notifications.models import ChannelConfig
from aftercart.support.inbound import message_ids
from aftercart.support.models import Channel, Conversation, Message, SupportSettings

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
#: Channels answered in the response itself (API, contact form) when nothing else reaches them.
INLINE_CHANNELS = frozenset({Channel.FORM.value, Channel.API.value})


def reply_queue(
    *,
    conversation: Conversation,
    text: str,
    author: str,
    agent: Any = None,
    now: datetime,
    subject: str = "",
    inline: bool = False,
) -> Message:
    """Append a reply to ``conversation`` and queue it on its channel (call inside the decision's
    transaction). ``inline``: it is shown in the response (API, form): nothing to send."""
    channel = conversation.channel
    recipient = conversation.customer_phone if channel == Channel.SMS else conversation.customer_email
    if channel in INLINE_CHANNELS and not inline:
        # An agent answering a form or API conversation: by e-mail, when we have an address.
        channel = Channel.EMAIL.value if conversation.customer_email else channel
    delivery = Message.Delivery.INLINE if inline or channel in INLINE_CHANNELS else Message.Delivery.PENDING
    return Message.objects.create(
        store_id=conversation.store_id,
        conversation=conversation,
        direction=Message.Direction.OUT,
        kind=Message.Kind.MESSAGE,
        author=author,
        agent=agent,
        channel=channel,
        dedupe_key=f"reply:{new_public_id()}",
        recipient=(recipient or "")[:254],
        subject=subject[:300],
        body=text,
        text=text,
        occurred_at=now,
        recorded_at=now,
        delivery=delivery,
        next_attempt_at=now if delivery == Message.Delivery.PENDING else None,
    )


def replies_send_due(*, now: datetime | None = None, limit: int = 20) -> int:
    """Send the replies that are due (claimed with a lease); returns how many were attempted."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(delivery=Message.Delivery.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    attempted = 0
    transport = EmailTransport()
    try:
        for pk in due:
            claimed = (
                Message.objects.filter(pk=pk, delivery=Message.Delivery.PENDING)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .update(claimed_until=now + LEASE)
            )
            if not claimed:
                continue
            attempted += 1
            reply = Message.objects.select_related("conversation", "conversation__store").get(pk=pk)
            _attempt(reply, transport, now)
    finally:
        transport.close()
    return attempted


def _attempt(reply: Message, transport: EmailTransport, now: datetime) -> None:
    attempts = reply.attempts + 1
    try:
        external = send_reply(reply, transport)
    except (PermanentError, RetryableError) as exc:
        final = exc.permanent or attempts >= MAX_ATTEMPTS
        backoff = timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
        Message.objects.filter(pk=reply.pk).update(
            attempts=attempts,
            claimed_until=None,
            last_error=str(exc)[:2000],
            delivery=Message.Delivery.FAILED if final else Message.Delivery.PENDING,
            next_attempt_at=None if final else now + backoff,
        )
        logger.warning("support reply %s not sent (attempt %s): %s", reply.pk, attempts, exc)
        return
    Message.objects.filter(pk=reply.pk).update(
        attempts=attempts,
        claimed_until=None,
        delivery=Message.Delivery.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
        external_id=(external or reply.external_id)[:255],
    )


def send_reply(reply: Message, transport: EmailTransport) -> str:
    """Send one reply on its channel; the channel's id of what was sent."""
    conversation = reply.conversation
    if reply.channel == Channel.ZENDESK:
        return _zendesk(reply, conversation)
    if reply.channel == Channel.GORGIAS:
        return _gorgias(reply, conversation)
    if reply.channel == Channel.EMAIL:
        return transport.transmit(build_reply_email(reply, conversation))
    if reply.channel == Channel.SMS:
        return _sms(reply, conversation)
    raise PermanentError(f"no way to send a reply on {reply.channel}")


def _settings(store_id: int) -> SupportSettings:
    found = SupportSettings.objects.filter(store_id=store_id).first()
    if found is None:
        raise RetryableError("the store has no support settings")
    return found


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _http_json(method: str, url: str, auth: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        text = f"{method} {url}: HTTP {exc.code}"
        if exc.code in (401, 403, 408, 409, 429) or exc.code >= 500:
            raise RetryableError(text) from exc
        raise PermanentError(text) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise RetryableError(f"{method} {url}: {exc}") from exc
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _zendesk(reply: Message, conversation: Conversation) -> str:
    config = _settings(conversation.store_id)
    if not (config.zendesk_base_url and config.zendesk_email and config.zendesk_api_token):
        raise RetryableError("Zendesk is not configured for this store")
    url = f"{config.zendesk_base_url.rstrip('/')}/api/v2/tickets/{conversation.external_id}"
    auth = basic_auth(f"{config.zendesk_email}/token", config.zendesk_api_token)
    data = _http_json("PUT", url, auth, {"ticket": {"comment": {"body": reply.body, "public": True}}})
    audit = data.get("audit")
    return f"zendesk-audit:{audit['id']}" if isinstance(audit, dict) and audit.get("id") else ""


def _gorgias(reply: Message, conversation: Conversation) -> str:
    config = _settings(conversation.store_id)
    if not (config.gorgias_base_url and config.gorgias_username and config.gorgias_api_key):
        raise RetryableError("Gorgias is not configured for this store")
    url = f"{config.gorgias_base_url.rstrip('/')}/api/tickets/{conversation.external_id}/messages"
    auth = basic_auth(config.gorgias_username, config.gorgias_api_key)
    sender = (
        support_address((conversation.store.branding or {}).get("support_email")) or config.gorgias_username
    )
    body = {
        "channel": "email" if conversation.customer_email else "api",
        "via": "api",
        "from_agent": True,
        "body_text": reply.body,
        "sender": {"email": sender},
        "receiver": {"email": conversation.customer_email} if conversation.customer_email else None,
        "source": {
            "type": "email",
            "from": {"address": sender},
            "to": [{"address": conversation.customer_email}] if conversation.customer_email else [],
        },
    }
    data = _http_json("POST", url, auth, {k: v for k, v in body.items() if v is not None})
    return f"gorgias:{data['id']}" if data.get("id") else ""


def reply_message_id(reply: Message, domain: str) -> str:
    """The ``Message-ID`` of a reply e-mail: stable for the row, reveals nothing."""
    digest = salted_hmac("aftercart.support.message-id", reply.dedupe_key).hexdigest()[:32]
    return f"<{digest}@{domain or 'aftercart.invalid'}>"


def build_reply_email(reply: Message, conversation: Conversation) -> EmailMultiAlternatives:
    """The reply as an e-mail in the customer's thread."""
    store = conversation.store
    branding = store.branding or {}
    from_address = parseaddr(str(branding.get("from_email") or settings.DEFAULT_FROM_EMAIL))[1]
    to = reply.recipient or conversation.customer_email
    if not to or "@" not in to:
        raise PermanentError("the conversation has no e-mail address")
    last_in = (
        conversation.messages.filter(direction=Message.Direction.IN)
        .exclude(external_id="")
        .order_by("-occurred_at", "-id")
        .first()
    )
    headers = {"Message-ID": reply_message_id(reply, from_address.rpartition("@")[2])}
    if last_in is not None and message_ids(last_in.external_id):
        references = message_ids((last_in.payload.get("headers") or {}).get("references", ""))
        headers["In-Reply-To"] = last_in.external_id
        headers["References"] = " ".join([*references[-10:], last_in.external_id])
    if reply.author == Message.Author.AUTOMATION:
        headers["Auto-Submitted"] = "auto-replied"
    # In the customer's thread, under their own subject; ours when they gave none.
    original = conversation.subject.strip()
    if original:
        subject = original if original.lower().startswith("re:") else f"Re: {original}"
    else:
        subject = reply.subject or store.name
    support = support_address(branding.get("support_email"))
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:300],
        body=reply.body,
        from_email=formataddr((store.name, from_address)),
        to=[to],
        reply_to=[support] if support else None,
        headers=headers,
    )
    # The Message-ID we will know the customer's answer by.
    Message.objects.filter(pk=reply.pk).update(external_id=headers["Message-ID"])
    return email


def _sms(reply: Message, conversation: Conversation) -> str:
    config = (
        ChannelConfig.objects.filter(store_id=conversation.store_id, channel="sms", enabled=True)
        .values_list("settings", flat=True)
        .first()
    )
    if not isinstance(config, dict) or not config.get("account_sid") or not config.get("auth_token"):
        raise RetryableError("SMS is not configured for this store")
    to = reply.recipient or conversation.customer_phone
    if not to:
        raise PermanentError("the conversation has no phone number")
    http = TwilioHttpClient(timeout=HTTP_TIMEOUT)
    client = Client(str(config["account_sid"]), str(config["auth_token"]), http_client=http)
    base = getattr(settings, "AFTERCART_TWILIO_BASE_URL", "") or ""
    if base:
        client.api.base_url = base.rstrip("/")
    sender = str(config.get("from") or "")
    origin: dict[str, Any] = (
        {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
    )
    try:
        sent = client.messages.create(to=to, body=reply.body, **origin)
    except TwilioRestException as exc:
        if exc.status in (401, 403, 429) or exc.status >= 500:
            raise RetryableError(f"Twilio {exc.status}: {exc.msg}") from exc
        raise PermanentError(f"Twilio {exc.status}: {exc.msg}") from exc
    except TwilioException as exc:
        raise RetryableError(str(exc)) from exc
    except OSError as exc:
        raise RetryableError(str(exc)) from exc
    finally:
        if http.session is not None:
            http.session.close()
    return str(sent.sid or "")


def reply_claim_inline(*, reply_id: int, now: datetime) -> bool:
    """Take a queued reply to answer it in the response itself (Twilio's TwiML): true when it was
    still unclaimed (the worker will not send it), false when the worker has it already."""
    taken = (
        Message.objects.filter(pk=reply_id, delivery=Message.Delivery.PENDING, attempts=0)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(delivery=Message.Delivery.INLINE, sent_at=now, next_attempt_at=None)
    )
    return bool(taken)
