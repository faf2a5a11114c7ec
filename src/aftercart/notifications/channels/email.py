"""E-mail over SMTP: a branded HTML + plain-text message rendering the order's next step.

Subject and body show the same next step as the tracking page (:mod:`aftercart.domain.next_step`),
translated into the customer's language. Every message carries:

* a ``Message-ID`` derived from the outbox row's dedupe key, the same on every attempt: delivery is
  at-least-once (a worker that dies after the SMTP server accepted a message but before recording
  it sends it again), and receivers and mailbox providers recognise the repeat by this id;
* ``List-Unsubscribe`` + ``List-Unsubscribe-Post`` (RFC 8058 one-click), which large mailbox
  providers require of bulk senders; ``Auto-Submitted: auto-generated`` (RFC 3834) so auto-responders
  stay quiet.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import threading
from email.utils import formataddr, parseaddr
from typing import Any

import css_inline
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.domain.next_step import SUPPORT_SUBJECTS, ActionCode
from aftercart.domain.outbound_urls import (
    contact_href,
    safe_url,
    support_address,
    support_contacts,
    support_link,
)
from aftercart.domain.projection.state import OrderState
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import render_next_step
from aftercart.notifications import links
from aftercart.notifications.channels import Outbound, PermanentError, RetryableError
from aftercart.notifications.message_templates import (
    TemplateText,
    body_html,
    resolve_template,
    store_wording,
    template_variables,
)
from aftercart.notifications.models import Message
from aftercart.notifications.renderers import order_email_extras, renderer_for
from aftercart.orders.windows import delivery_window, learning_from, learning_text, share_text
from aftercart.stores.models import Store

#: Seconds an SMTP connect or command may take; Django's default is to wait forever.
DEFAULT_TIMEOUT = 20
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_DEFAULT_PRIMARY = "#1f2937"
_DEFAULT_ACCENT = "#2563eb"
# Styles go in the template's <style> block and are inlined here: many mail clients drop <style>.
# Remote stylesheets are never fetched (no network at send time); @media rules are kept in a
# <style> tag since they cannot be inlined.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


class EmailTransport:
    """Sends through Django's configured e-mail backend (SMTP in production), over connections kept
    for the delivery batch.

    Rendering (:meth:`prepare`) and handing the message to the server (:meth:`transmit`) are apart
    so the delivery batch can render and record the next messages while a few others wait for the
    server's replies (:data:`aftercart.notifications.delivery.ON_THE_WIRE`), each on a connection
    of its own: an SMTP session carries one message at a time, and most of a send is waiting for
    its four replies.
    """

    channel = Channel.EMAIL

    def __init__(self) -> None:
        self._idle: list[BaseEmailBackend] = []
        self._lock = threading.Lock()

    def address(self, state: OrderState) -> str:
        """The order's latest e-mail address."""
        return state.email.strip()

    def send(self, outbound: Outbound) -> str:
        """Render and send one message; return its Message-ID."""
        return self.transmit(self.prepare(outbound))

    def prepare(self, outbound: Outbound) -> EmailMultiAlternatives:
        """The rendered message (reads the database: call it in the batch's own thread)."""
        try:
            validate_email(outbound.address)
        except ValidationError as exc:
            raise PermanentError(f"invalid address: {outbound.address!r}") from exc
        return build_email(outbound)

    def transmit(self, email: EmailMultiAlternatives) -> str:
        """Hand a prepared message to the server; return its Message-ID. Safe to call from several
        threads at once (each takes a connection of its own); touches no database."""
        connection = None
        try:
            connection = self._take()
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            _discard(connection)
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {detail}") from exc
            raise RetryableError(f"recipient refused (temporary): {detail}") from exc
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as exc:
            # Our credentials or sender address: the operator's to fix, never this message's
            # fault, so retry rather than give the message up.
            _discard(connection)
            raise RetryableError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:
            _discard(connection)
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise RetryableError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused or dropped, timeouts, TLS errors: the server may be back later.
            _discard(connection)
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            _discard(connection)
            raise
        with self._lock:
            self._idle.append(connection)
        return str(email.extra_headers["Message-ID"])

    def close(self) -> None:
        """Close the connections of this batch."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            _discard(connection)

    def _take(self) -> BaseEmailBackend:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT
        connection = get_connection(fail_silently=False, timeout=timeout)
        connection.open()
        return connection


def _discard(connection: BaseEmailBackend | None) -> None:
    if connection is not None:
        # A broken connection may fail to close; it is gone either way.
        with contextlib.suppress(Exception):
            connection.close()


def message_id(message: Message, from_address: str) -> str:
    """The Message-ID of an outbox row: the same on every attempt, unique per installation.

    A keyed hash of the dedupe key, so the id reveals nothing about the order and two installations
    sending from one domain cannot collide.
    """
    digest = salted_hmac("aftercart.notifications.message-id", message.dedupe_key).hexdigest()[:32]
    domain = from_address.rpartition("@")[2] or "aftercart.invalid"
    return f"<{digest}@{domain}>"


def build_email(outbound: Outbound, draft: TemplateText | None = None) -> EmailMultiAlternatives:
    """The complete e-mail for one outbox row, rendered from the latest next step, in the store's
    wording when it has a template (or ``draft``'s, for a preview)."""
    message = outbound.message
    store: Store = message.store
    branding = store.branding or {}
    # The sender's address only: DEFAULT_FROM_EMAIL usually carries a display name of its own
    # ("Aftercart <no-reply@…>"), and the store's name is the one customers should see.
    from_address = parseaddr(str(branding.get("from_email") or settings.DEFAULT_FROM_EMAIL))[1]
    context = email_context(outbound, draft)
    with translation.override(context["locale"]):
        text = render_to_string("notifications/email/message.txt", context)
        html = _INLINER.inline(render_to_string("notifications/email/message.html", context))
    headers = {
        "Message-ID": message_id(message, from_address),
        "List-Unsubscribe": f"<{context['preferences_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        # RFC 3282: the language the customer reads it in (screen readers, client translation offers).
        "Content-Language": context["language"],
    }
    support = support_address(branding.get("support_email"))
    email = EmailMultiAlternatives(
        subject=context["subject"],
        body=text,
        from_email=formataddr((store.name, from_address)),
        to=[outbound.address],
        reply_to=[support] if support else None,
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for filename, content, mimetype in context.get("attachments", ()):
        email.attach(filename, content, mimetype)
    return email


def email_context(outbound: Outbound, draft: TemplateText | None = None) -> dict[str, Any]:
    """Template context: the next step translated into the customer's language, brand and links,
    and the store's own subject and body when it has a template for this milestone and language
    (:func:`~aftercart.notifications.message_templates.resolve_template`)."""
    message, state, step = outbound.message, outbound.state, outbound.step
    store: Store = message.store
    branding = store.branding or {}
    locale = state.locale or store.default_locale or settings.LANGUAGE_CODE
    tracking = links.tracking_url(message.order)
    with translation.override(locale):
        headline, detail = render_next_step(step, customer_zone(state, store.timezone))
        number = state.number or message.order.external_id
        subject = gettext("%(headline)s · order %(number)s") % {"headline": headline, "number": number}
        actions = [
            {
                "label": _fill(gettext(a.label), a.params),
                "url": _action_url(a.code, a.params, tracking, branding, number),
            }
            for a in step.actions
        ]
        language = translation.get_language() or "en"
        window_text = _window_text(outbound)
        returned: dict[str, Any] = {}
        renderer = renderer_for(message.milestone)
        if renderer is not None and renderer.email_context is not None:
            # About another subject (a return: its RMA is the subject), not the order's next step.
            returned = renderer.email_context(message)
        if returned:
            subject, headline, detail = returned["subject"], returned["headline"], returned["detail"]
        else:
            returned = order_email_extras(message, state)  # cards other apps add (placements)
        custom = draft or resolve_template(store.pk, message.channel, message.milestone, language)
        wording: dict[str, Any] = {}
        if custom is not None:
            variables = template_variables(outbound, headline=headline, detail=detail)
            own = store_wording(custom, variables, message=message)  # None: the built-in text
            if own is not None:
                if own.subject is not None:
                    subject = own.subject
                wording = {"custom_text": own.body.strip(), "custom_html": body_html(own.body)}
    return {
        **wording,
        "locale": locale,
        "language": language,
        "subject": " ".join(subject.split()),  # a header: no line breaks, whatever the data says
        "headline": headline,
        "detail": detail,
        "window_text": window_text,
        "step_code": step.code.value,
        "actions": actions,
        "order_number": number,
        "lines": [
            {"title": ln.title or ln.sku or ln.line_id, "variant": ln.variant, "quantity": ln.quantity}
            for ln in state.active_lines
        ],
        "store_name": store.name,
        # The same rule as the tracking page's (aftercart.domain.outbound_urls): no javascript:.
        "logo_url": safe_url(branding.get("logo_url")),
        "primary_colour": _colour(branding.get("primary_colour"), _DEFAULT_PRIMARY),
        "accent_colour": _colour(branding.get("accent_colour"), _DEFAULT_ACCENT),
        "support_email": support_address(branding.get("support_email")),
        "support_url": support_link(branding.get("support_url"), number),
        "tracking_url": tracking,
        "preferences_url": links.preferences_url(message.order, message.channel, state),
        **{k: v for k, v in returned.items() if k not in ("subject", "headline", "detail")},
    }


#: Messages that show the delivery window learned from the store's history (when it has one).
WINDOW_MILESTONES = frozenset({Milestone.SHIPPED, Milestone.PARTIALLY_SHIPPED, Milestone.DELAYED})


def _window_text(outbound: Outbound) -> str:
    """ "Expected between …" for shipped and delayed messages, in the active language, or ""."""
    if outbound.message.milestone not in WINDOW_MILESTONES:
        return ""
    window = delivery_window(outbound.message.order, outbound.state, timezone.now())
    if window is None:
        # A store too young for a window says so, as its tracking page does.
        learned = learning_from(outbound.message.order.store)
        return learning_text(learned) if learned is not None else ""
    expected = gettext("Expected between %(earliest)s and %(latest)s") % {
        "earliest": formats.date_format(window.earliest, "DATE_FORMAT"),
        "latest": formats.date_format(window.latest, "DATE_FORMAT"),
    }
    return f"{expected} {share_text(window)}"


def _action_url(
    code: ActionCode, params: dict[str, str], tracking: str, branding: dict[str, Any], number: str
) -> str:
    """Where an action's button leads. Carrier actions go to the carrier when it gave a (safe) URL;
    the rest go to the tracking page, which offers every action of the same next step."""
    carrier_url = safe_url(params.get("tracking_url"))
    if code in (ActionCode.TRACK_PARCEL, ActionCode.RESCHEDULE_DELIVERY) and carrier_url:
        return carrier_url
    if code is ActionCode.CONTACT_SUPPORT:
        subject = gettext(SUPPORT_SUBJECTS[code]).format(number=number)
        return contact_href(support_contacts(branding, number), subject) or tracking
    return tracking


def _fill(text: str, params: dict[str, str]) -> str:
    """``str.format`` that leaves unknown placeholders as they are instead of failing a send."""

    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return text.format_map(_Keep(params))


def _colour(value: object, default: str) -> str:
    # Branding is merchant-entered JSON that lands inside CSS: accept hex colours only.
    return value if isinstance(value, str) and _COLOUR.match(value) else default


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
