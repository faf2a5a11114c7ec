"""Store-edited message templates: the one place that decides which text a message uses.

:func:`resolve_template` answers "which template for this store, channel, milestone and language":
the store's template for the exact language ("pt-br"), else for the language ("pt"), else for
every language (""), else none — and then the built-in text is used. The e-mail and SMS channels
call it when they send and the preview calls it too, so what is previewed is what is sent.

Templates are written in a sandboxed cut of Django's template language over plain string variables
(:data:`VARIABLES`; the language and its render budget are :mod:`.template_sandbox`): variables,
``{% if %}``, a few filters, no loops. A template is checked on save (:func:`template_errors`): one
that uses what the language leaves out, fails to compile, or renders over the budget or too long for
its channel with example values is refused with the error. Sending renders it with the real values
within the same budget (:func:`store_wording`); a template that cannot be used for a message (over
the budget with these values, or stored before these rules) gives way to the built-in text, and
why is logged and kept on the message.

The next step stays the product's: the e-mail keeps its headline (the one ``next_step()`` every
touchpoint shows) and the store's body replaces the detail under it; an SMS template replaces the
text before the footer, and ``{{ headline }}`` is there to say the same next step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from aftercart.domain.carriers import carrier_info
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.notifications.renderers import renderer_for
from aftercart.notifications.template_sandbox import NotAllowed, OverBudget, sandbox_compile, sandbox_render
from aftercart.orders.selectors import order_view

if TYPE_CHECKING:
    from aftercart.notifications.channels import Outbound
    from aftercart.notifications.models import Message

logger = logging.getLogger(__name__)

#: What a template can say, with an example (the preview shows real values).
VARIABLES: dict[str, str] = {
    "store_name": "Acme Outfitters",
    "customer_name": "Ana Souza",
    "order_number": "#1001",
    "milestone": "shipped",
    "headline": "Your order is on its way",
    "detail": "UPS expects to deliver it on Friday, 14 March.",
    "tracking_url": "https://track.example.com/t/…",
    "preferences_url": "https://track.example.com/p/…",
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "return_number": "R-7K3M9QX2TD",
}
#: Channels whose wording a store can edit (event channels carry data, not text).
EDITABLE = frozenset({Channel.EMAIL, Channel.SMS})
MAX_SUBJECT = 300
MAX_EMAIL_BODY = 20_000
#: Ten concatenated segments: carriers refuse longer texts.
MAX_SMS = 1_600
_NAMES = frozenset(VARIABLES)
#: How a message's ``reason`` starts when it was sent with the built-in text instead of the store's
#: template (kept once it is sent, see :func:`store_wording`).
BUILT_IN_TEXT = "sent with the built-in text: "


@dataclass(frozen=True, slots=True)
class TemplateText:
    """The wording to use: a stored template, or a draft being previewed."""

    subject: str
    body: str


def resolve_template(store_id: int, channel: str, milestone: str, language: str) -> TemplateText | None:
    """The store's template for this channel, milestone and language, most specific first; ``None``
    when the store has none (use the built-in text)."""
    language = (language or "").lower()
    wanted = [language, language.split("-")[0], ""]
    batch = _BATCH.get()
    if batch is None:
        rows = _template_rows(store_id, channel, milestone, set(wanted)).get(milestone, {})
    else:
        if (store_id, channel) not in batch:
            batch[store_id, channel] = _template_rows(store_id, channel)
        rows = batch[store_id, channel].get(milestone, {})
    for locale in wanted:
        if locale in rows:
            return TemplateText(*rows[locale])
    return None


#: Templates read during a :func:`templates_cached` block, by (store id, channel).
_BATCH: ContextVar[dict[tuple[int, str], dict[str, dict[str, tuple[str, str]]]] | None] = ContextVar(
    "aftercart_message_templates", default=None
)


@contextmanager
def templates_cached() -> Iterator[None]:
    """Within the block, :func:`resolve_template` reads each store's templates for a channel once.

    A delivery batch renders hundreds of messages of a few stores; a template saved while it runs
    (seconds) is used from the next batch on.
    """
    token = _BATCH.set({})
    try:
        yield
    finally:
        _BATCH.reset(token)


def _template_rows(
    store_id: int, channel: str, milestone: str | None = None, locales: set[str] | None = None
) -> dict[str, dict[str, tuple[str, str]]]:
    """The store's templates for a channel (one milestone and some languages, or all of them):
    {milestone: {locale: (subject, body)}}."""
    from aftercart.notifications.models import MessageTemplate

    found = MessageTemplate.objects.filter(store_id=store_id, channel=channel)
    if milestone is not None:
        found = found.filter(milestone=milestone)
    if locales is not None:
        found = found.filter(locale__in=locales)
    rows: dict[str, dict[str, tuple[str, str]]] = {}
    for name, locale, subject, body in found.values_list("milestone", "locale", "subject", "body"):
        rows.setdefault(name, {})[locale] = (subject, body)
    return rows


@dataclass(frozen=True, slots=True)
class Wording:
    """A store's template rendered for one message: the subject (``None``: the template has none,
    the built-in subject stays) and the body, as plain text."""

    subject: str | None
    body: str


def _limits(channel: str) -> tuple[int, int]:
    """The longest subject and body a template may render to on ``channel``."""
    return MAX_SUBJECT, MAX_SMS if channel == Channel.SMS else MAX_EMAIL_BODY


def store_wording(custom: TemplateText, variables: Mapping[str, str], *, message: Message) -> Wording | None:
    """The store's template rendered for ``message`` within the render budget, or ``None`` when it
    cannot be used for it (it goes over the budget or its channel's length with these values, a
    filter fails on them, or it was stored before the language was cut down): the built-in text is
    used instead, and why is logged and noted in ``message.reason`` (recorded when it is sent)."""
    subject_limit, body_limit = _limits(message.channel)
    try:
        subject = _render(custom.subject, variables, subject_limit) if custom.subject.strip() else None
        body = _render(custom.body, variables, body_limit)
    except Exception as exc:  # whatever the template does, this message still goes
        problem = _problem(exc)
        message.reason = f"{BUILT_IN_TEXT}the store's template {problem}"[:300]
        logger.warning(
            "message %s (store %s, %s %s): the store's template %s; the built-in text is used",
            message.pk,
            message.store_id,
            message.channel,
            message.milestone,
            problem,
        )
        return None
    return Wording(subject=subject, body=body)


def _render(source: str, variables: Mapping[str, str], limit: int) -> str:
    return sandbox_render(sandbox_compile(source, _NAMES), variables, limit=limit)


def _problem(exc: Exception) -> str:
    """What is wrong with a template, from what compiling or rendering it raised."""
    if isinstance(exc, (NotAllowed, OverBudget)):
        return str(exc)
    if isinstance(exc, TemplateSyntaxError):
        return f"does not compile: {exc}"
    return f"does not render: {type(exc).__name__}: {exc}"


def body_html(text: str) -> SafeString:
    """A rendered body for the HTML e-mail. The body is plain text, so all of it is escaped (the
    store's own words as much as the values), and blank lines become paragraphs."""
    return mark_safe(linebreaks(text, autoescape=True))


def template_errors(channel: str, milestone: str, subject: str, body: str) -> dict[str, str]:
    """Why this template would be refused, by field (empty: it is fine). It is compiled in the
    template language and rendered within the budget with example values: what the language leaves
    out, syntax errors, unknown variables, renders over the budget and over-long results fail."""
    errors: dict[str, str] = {}
    if channel not in {c.value for c in EDITABLE}:
        errors["channel"] = f"must be one of: {', '.join(sorted(c.value for c in EDITABLE))}"
    if milestone not in {m.value for m in Milestone}:
        errors["milestone"] = f"unknown milestone {milestone!r}"
    if not body.strip():
        errors["body"] = "must not be empty"
    if channel == Channel.SMS and subject.strip():
        errors["subject"] = "an SMS has no subject"
    subject_limit, body_limit = _limits(channel)
    for field, source, limit in (("subject", subject, subject_limit), ("body", body, body_limit)):
        if field in errors or not source:
            continue
        try:
            _render(source, VARIABLES, limit)
        except Exception as exc:  # a filter failing on its argument, …: refused, never stored
            errors[field] = _problem(exc)
    return errors


def template_variables(outbound: Outbound, *, headline: str, detail: str) -> dict[str, str]:
    """The variables of one message, with the next step already rendered in its language."""
    from aftercart.notifications import links

    message, state = outbound.message, outbound.state
    shipment = state.shipments.get(message.subject)
    if shipment is None and len(state.shipments) == 1:
        shipment = next(iter(state.shipments.values()))
    values = {
        "store_name": message.store.name,
        "customer_name": state.customer_name,
        "order_number": state.number or message.order.external_id,
        "milestone": message.milestone,
        "headline": headline,
        "detail": detail,
        "tracking_url": links.tracking_url(message.order),
        "preferences_url": links.preferences_url(message.order, message.channel, state),
        "carrier": carrier_info(shipment.carrier).name if shipment and shipment.carrier else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "return_number": "",
    }
    renderer = renderer_for(message.milestone)
    if renderer is not None and renderer.template_variables is not None:
        # About another subject (a return: its number, and its own parcel's carrier).
        values.update(renderer.template_variables(message))
    return values


def preview(
    *,
    order: Any,
    channel: str,
    milestone: str,
    language: str = "",
    draft: TemplateText | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """What the message for ``milestone`` on ``channel`` would look like for a real order now, built
    by the very code that sends it: the store's template (or ``draft``), in ``language`` (else the
    order's). E-mail: ``subject``, ``text`` and ``html``; SMS: ``text``; and ``built_in`` saying why
    when the template could not be used for this order (the built-in text is shown, as it would be
    sent: see :func:`store_wording`). Nothing is sent or stored."""
    from aftercart.notifications.channels import Outbound
    from aftercart.notifications.channels.email import build_email
    from aftercart.notifications.channels.sms import sms_body
    from aftercart.notifications.models import Message

    state, step = order_view(order, now or timezone.now())
    if language:
        state = replace(state, locale=language)  # a copy: the order's cached state stays as it is
    shipments = list(state.shipments)
    message = Message(
        store=order.store,
        order=order,
        channel=channel,
        milestone=milestone,
        # Shipment milestones are about a parcel: the latest one, as a real message would be.
        subject=shipments[-1] if shipments else "",
        dedupe_key=f"preview:{order.public_id}:{channel}:{milestone}",
    )
    address = state.email if channel == Channel.EMAIL else state.phone
    outbound = Outbound(message=message, state=state, step=step, address=address or "preview")
    rendered: dict[str, str]
    if channel == Channel.SMS:
        rendered = {"text": sms_body(outbound, draft)}
    else:
        email = build_email(outbound, draft)
        html = next((content for content, kind in email.alternatives if kind == "text/html"), "")
        rendered = {"subject": str(email.subject), "text": str(email.body), "html": str(html)}
    if message.reason.startswith(BUILT_IN_TEXT):
        rendered["built_in"] = message.reason.removeprefix(BUILT_IN_TEXT)
    return rendered
