"""Customer messages in: helpdesk and e-mail webhooks, and ``POST /api/v1/conversations``.

Webhooks (``/webhooks/<system>/<store>``) verify the sender as it signs or authenticates, then
store the message (:func:`aftercart.support.services.message_take`) and answer 202; a repeat of a
stored message answers 200 and writes nothing. An unknown store, a store without the secret and
a wrong signature get the one answer (401), after one check: the endpoint does not tell which
stores exist. A payload that is not a customer message answers 400 naming the field and writes
nothing; one that is not about a customer (an agent's comment, our own reply) answers 200
``{"ignored": true}``. Bodies are capped by the ingest guard (413 over
``AFTERCART_MAX_BODY_BYTES``, 415 for non-JSON, 422 for NUL); a message's text over
20,000 characters is kept truncated, flagged ``truncated``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ninja import Field, Router, Schema, Status

from aftercart.api.openapi import refuses
from aftercart.api.problems import Problem, field_problem, problem_response
from aftercart.api.webhooks import _json, _problems
from aftercart.domain.contacts import email_key
from aftercart.integrations.helpdesks.parse import (
    ParsedMessage,
    PayloadError,
    gorgias_parse,
    postmark_parse,
    token_matches,
    zendesk_parse,
)
from aftercart.integrations.helpdesks.parse import zendesk_verify as _zendesk_verify
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step
from aftercart.notifications import links
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.stores.http import StoreRequest
from aftercart.stores.models import Store
from aftercart.stores.selectors import store_by_slug
from aftercart.support.models import Channel, SupportSettings
from aftercart.support.services import Inbound, message_take

router = Router(tags=["support"])

_NOBODYS_SECRET = secrets.token_hex(32)


def _store_with(
    slug: str, secret_of: Callable[[SupportSettings], str], verify: Callable[[str], bool]
) -> tuple[Store, SupportSettings] | None:
    store = store_by_slug(slug)
    config = SupportSettings.objects.filter(store=store).first() if store is not None else None
    secret = secret_of(config) if config is not None else ""
    signed = verify(secret or _NOBODYS_SECRET)
    if store is None or config is None or not secret or not signed:
        return None
    return store, config


def _inbound(channel: str, parsed: ParsedMessage, store: Store) -> Inbound:
    return Inbound(
        channel=channel,
        thread_id=parsed.thread_id,
        message_id=parsed.message_id,
        sender_email=parsed.sender_email,
        sender_phone=parsed.sender_phone,
        sender_name=parsed.sender_name,
        recipient=parsed.recipient,
        subject=parsed.subject,
        text=parsed.text,
        html=parsed.html,
        stripped_text=parsed.stripped_text,
        headers=parsed.headers,
        occurred_at=parsed.occurred_at,
        language=parsed.language,
        region=store.country,
    )


def _take(channel: str, parsed: ParsedMessage | None, store: Store) -> JsonResponse:
    if parsed is None:
        return JsonResponse({"ignored": True}, status=200)
    received, automation = message_take(
        store_id=store.pk, inbound=_inbound(channel, parsed, store), now=timezone.now()
    )
    return JsonResponse(
        {
            "duplicate": not received.created,
            "conversation": received.conversation.public_id,
            "decision": automation.decision if automation is not None else "",
        },
        status=202 if received.created else 200,
    )


def _parse(parser: Callable[[Any], ParsedMessage | None], body: bytes, title: str) -> ParsedMessage | None:
    payload = _json(body)
    try:
        return parser(payload)
    except PayloadError as exc:
        raise field_problem(title, [{"field": exc.field, "message": exc.message}]) from exc


@csrf_exempt
@require_POST
@_problems
def zendesk_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """``/webhooks/zendesk/<store>``: a Zendesk webhook (trigger or ``ticket.comment_added`` event),
    signed with the webhook's signing secret."""
    found = _store_with(
        store,
        lambda c: c.zendesk_webhook_secret,
        lambda secret: _zendesk_verify(
            secret,
            request.body,
            request.headers.get("X-Zendesk-Webhook-Signature"),
            request.headers.get("X-Zendesk-Webhook-Signature-Timestamp"),
        ),
    )
    if found is None:
        raise Problem(401, "Invalid signature", "X-Zendesk-Webhook-Signature does not match the body.")
    shop, config = found
    parsed = _parse(
        lambda p: zendesk_parse(p, api_user=config.zendesk_email), request.body, "Invalid Zendesk payload"
    )
    return _take(Channel.ZENDESK.value, parsed, shop)


@csrf_exempt
@require_POST
@_problems
def gorgias_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """``/webhooks/gorgias/<store>``: a Gorgias HTTP integration, with the shared secret in its
    ``X-Aftercart-Token`` header (or ``Authorization: Bearer``)."""
    given = request.headers.get("X-Aftercart-Token") or request.headers.get("Authorization", "").removeprefix(
        "Bearer "
    )
    found = _store_with(
        store, lambda c: c.gorgias_webhook_secret, lambda secret: token_matches(secret, given)
    )
    if found is None:
        raise Problem(401, "Invalid token", "X-Aftercart-Token is not this store's Gorgias secret.")
    shop, _ = found
    parsed = _parse(gorgias_parse, request.body, "Invalid Gorgias payload")
    return _take(Channel.GORGIAS.value, parsed, shop)


def _basic(request: HttpRequest) -> tuple[str, str]:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return "", ""
    return user, password


@csrf_exempt
@require_POST
@_problems
def postmark_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """``/webhooks/postmark/<store>``: Postmark's inbound JSON, behind basic auth
    (``https://user:password@host/webhooks/postmark/<store>`` as the inbound webhook URL)."""
    user, password = _basic(request)
    found = _store_with(
        store,
        lambda c: f"{c.postmark_username}:{c.postmark_password}" if c.postmark_password else "",
        lambda secret: token_matches(secret, f"{user}:{password}"),
    )
    if found is None:
        return _unauthorised_basic()
    shop, _ = found
    parsed = _parse(postmark_parse, request.body, "Invalid Postmark payload")
    return _take(Channel.EMAIL.value, parsed, shop)


def _unauthorised_basic() -> HttpResponse:
    return problem_response(
        Problem(401, "Unauthorised", "Give the basic-auth credentials of the store's Postmark webhook."),
        headers={"WWW-Authenticate": 'Basic realm="aftercart"'},
    )


# --- POST /api/v1/conversations ----------------------------------------------------------------


class ConversationIn(Schema):
    """A customer's message from your own channel (chat, app, form). Give the customer's e-mail
    or phone (to find their orders and answer), or the ``order_id`` they are about."""

    message: str = Field(..., min_length=1, max_length=20_000, pattern=r"[^\s\u001c-\u001f\u0085]")
    subject: str = Field("", max_length=300)
    email: str = Field("", max_length=254, pattern=r"^([^@\s]+@[^@\s]+)?$")
    phone: str = Field("", max_length=40)
    name: str = Field("", max_length=200)
    order_id: str = Field("", max_length=128, description="Your order id (the one you sent us), if known.")
    language: str = Field("", max_length=16, pattern=r"^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?)?$")
    message_id: str = Field(
        "", max_length=200, description="Your id for this message: sent again, it is one message."
    )
    thread_id: str = Field(
        "", max_length=200, description="Your id of the conversation: later messages join it."
    )


class ReplyOut(Schema):
    text: str
    next_step: dict[str, str] | None = None
    tracking_url: str = ""


class ConversationOut(Schema):
    id: str
    state: str
    intent: str
    decision: str
    order_id: str | None = None
    reasons: list[str] = []
    duplicate: bool = False
    reply: ReplyOut | None = None


@router.post(
    "",
    response={200: ConversationOut, 201: ConversationOut},
    summary="A customer's message",
    openapi_extra=refuses(404),
)
def conversation_create(request: StoreRequest, payload: ConversationIn) -> Status:
    """Store the message and answer it at once when the automation can (``reply``), else it waits
    for a person (``state: needs_agent``). The reply is the order's next step as every touchpoint
    shows it, in the customer's language, with the order's tracking link."""
    store = request.store
    if not payload.message.strip():
        raise field_problem("Invalid message", [{"field": "message", "message": "is empty"}])
    email = email_key(payload.email)
    if email and "@" not in email:
        raise field_problem("Invalid message", [{"field": "email", "message": "is not an e-mail address"}])
    order: Order | None = None
    if payload.order_id:
        order = Order.objects.filter(store=store, external_id=payload.order_id).first()
        if order is None:
            raise Problem(
                404, "Order not found", f"No order {payload.order_id!r} in this store.", kind="not-found"
            )
    inbound = Inbound(
        channel=Channel.API.value,
        thread_id=payload.thread_id,
        message_id=payload.message_id,
        sender_email=email,
        sender_phone=payload.phone,
        sender_name=payload.name,
        subject=payload.subject,
        text=payload.message,
        order_id=order.pk if order is not None else None,
        language=payload.language.replace("_", "-"),
        region=store.country,
    )
    received, automation = message_take(store_id=store.pk, inbound=inbound, now=timezone.now())
    conversation = received.conversation
    conversation.refresh_from_db()
    reply = None
    if automation is not None and automation.reply is not None:
        reply = ReplyOut(text=automation.reply.body, tracking_url="", next_step=None)
        if automation.order is not None:
            reply = _with_step(reply, automation.order, conversation.language)
    out = ConversationOut(
        id=conversation.public_id,
        state=conversation.state,
        intent=conversation.intent,
        decision=automation.decision if automation is not None else "",
        order_id=conversation.order.external_id if conversation.order else None,
        reasons=list(automation.reasons) if automation is not None else [],
        duplicate=not received.created,
        reply=reply,
    )
    return Status(201 if received.created else 200, out)


def _with_step(reply: ReplyOut, order: Order, language: str) -> ReplyOut:
    state, step = order_view(order, timezone.now())
    with translation.override(language or order.store.default_locale or "en"):
        headline, detail = render_next_step(step, customer_zone(state, order.store.timezone))
    return ReplyOut(
        text=reply.text,
        next_step={"code": step.code.value, "headline": headline, "detail": detail},
        tracking_url=links.tracking_url(order),
    )
