"""Inbound SMS from Twilio: STOP / START / HELP texted back to a store's number.

``POST /webhooks/twilio/<store>/sms`` is the store's Messaging webhook ("A message comes in") in
the Twilio console. The request must carry a valid ``X-Twilio-Signature`` made with the auth token
of the store's SMS channel (checked with the ``twilio`` library's ``RequestValidator``); anything
else is answered 401 and changes nothing.

* STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) opts the sender's number out of the store's SMS;
  the reply is empty, because Twilio confirms the opt-out itself and blocks the number anyway.
* START (YES, UNSTOP) opts it back in (an explicit opt-in: texts flow again even without the
  order's consent) and confirms.
* HELP (INFO) answers who is texting and how to stop.
* Anything else is a customer's message: it joins the sender's SMS conversation (support), is
  decided at once, and an automated answer (the order's next step and its link) is the reply;
  otherwise the reply is empty and the conversation waits for a person.

Every opt-in or opt-out is a ``PreferenceChange`` with the keyword received.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from aftercart.domain.messaging import Channel
from aftercart.domain.outbound_urls import contact_text, support_contacts
from aftercart.domain.sms_keywords import SmsKeyword, sms_keyword
from aftercart.notifications.contacts import contact_key
from aftercart.notifications.links import base_url
from aftercart.notifications.models import ChannelConfig, PreferenceSource
from aftercart.notifications.services import preference_set
from aftercart.stores.models import Store
from aftercart.stores.selectors import store_by_slug
from aftercart.support.services import Inbound, message_take, reply_claim_inline

#: Checked against when the store is unknown, so that it costs what a wrong signature costs.
_NOBODYS_TOKEN = secrets.token_hex(16)


def _auth_token(store: Store) -> str:
    # Enabled or not: a store that switched SMS off must still honour a late STOP.
    settings = (
        ChannelConfig.objects.filter(store=store, channel=Channel.SMS.value)
        .values_list("settings", flat=True)
        .first()
    )
    return str(settings.get("auth_token") or "") if isinstance(settings, dict) else ""


def _signed(request: HttpRequest, token: str) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    # Twilio signs the URL as configured in its console: the public one (AFTERCART_BASE_URL)
    # behind a proxy, else what this server saw.
    urls = {base_url() + request.get_full_path(), request.build_absolute_uri()}
    return any(validator.validate(url, request.POST, signature) for url in urls)


def _twiml(text: str = "") -> HttpResponse:
    response = MessagingResponse()
    if text:
        response.message(text)
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def twilio_sms_webhook(request: HttpRequest, store: str) -> HttpResponse:
    """Handle one inbound text to the store's number (see the module docstring)."""
    found = store_by_slug(store)
    token = _auth_token(found) if found is not None else ""
    # An unknown store, one without SMS and a wrong signature get one answer, after one check:
    # the endpoint does not tell which store slugs exist.
    signed = _signed(request, token or _NOBODYS_TOKEN)
    if found is None or not token or not signed:
        return HttpResponse("Invalid X-Twilio-Signature.", status=401, content_type="text/plain")
    body = request.POST.get("Body", "")
    keyword = sms_keyword(body, request.POST.get("OptOutType", ""))
    address = contact_key(Channel.SMS, request.POST.get("From", ""), found.country)
    if not address:
        return _twiml()
    if keyword is None:
        return _twiml(_support_answer(found, address, request))
    if keyword is not SmsKeyword.HELP:
        preference_set(
            store_id=found.pk,
            channel=Channel.SMS,
            address=address,
            opted_in=keyword is SmsKeyword.START,
            source=PreferenceSource.SMS_KEYWORD,
            detail=f"keyword {' '.join(body.split())[:40].upper() or keyword.value.upper()}",
        )
    if keyword is SmsKeyword.STOP:
        return _twiml()
    with translation.override(found.default_locale or "en"):
        if keyword is SmsKeyword.START:
            text = gettext(
                "%(store)s: you will get text messages about your orders again. Reply STOP to opt out."
            ) % {"store": found.name}
        else:
            text = gettext(
                "%(store)s order updates. Reply STOP to unsubscribe, START to subscribe again."
            ) % {"store": found.name}
            contact = contact_text(support_contacts(found.branding or {}))
            if contact:
                text += " " + gettext("Help: %(contact)s") % {"contact": contact}
    return _twiml(text)


def _support_answer(store: Store, address: str, request: HttpRequest) -> str:
    """Store the text as the sender's support message; the automated answer to send back ("")."""
    now = timezone.now()
    inbound = Inbound(
        channel="sms",
        thread_id=address,
        message_id=request.POST.get("MessageSid", "")[:64],
        sender_phone=address,
        recipient=request.POST.get("To", "")[:40],
        text=request.POST.get("Body", ""),
        region=store.country,
    )
    received, automation = message_take(store_id=store.pk, inbound=inbound, now=now)
    reply = automation.reply if automation is not None and received.created else None
    if reply is not None and reply_claim_inline(reply_id=reply.pk, now=now):
        return reply.body
    return ""
