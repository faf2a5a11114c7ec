"""Store-edited message templates: the one place that decides which text a message uses.

:func:`resolve_template` answers "which template for this store, channel, milestone and language":
the store's template for the exact language ("pt-br"), else for the language ("pt"), else for
every language (""), else none — and then the built-in text is used. The e-mail and SMS channels
call it when they send and the preview calls it too, so what is previewed is what is sent.

Templates are Django template syntax over plain string variables (:data:`VARIABLES`), rendered by
a bare engine: no template loading, no custom tag libraries, nothing but strings to reach. A
template is checked on save (:func:`template_errors`): one that fails to compile, uses a variable
that does not exist, or renders too long for its channel is refused with the error.

The next step stays the product's: the e-mail keeps its headline (the one ``next_step()`` every
touchpoint shows) and the store's body replaces the detail under it; an SMS template replaces the
text before the footer, and ``{{ headline }}`` is there to say the same next step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

from aftercart.domain.carriers import carrier_info
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.notifications.renderers import renderer_for
from aftercart.orders.selectors import order_view

if TYPE_CHECKING:
    from aftercart.notifications.channels import Outbound

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
_UNKNOWN = "\x00unknown:%s\x00"

# A bare engine: no loaders (``{% include %}``/``{% extends %}`` find nothing), only the built-in
# tags and filters, and nothing in the context but strings.
_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=True)
_STRICT = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=True, string_if_invalid=_UNKNOWN)


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


def render_plain(source: str, variables: Mapping[str, str]) -> str:
    """A template rendered as plain text (subjects, the e-mail's text part, SMS)."""
    return _ENGINE.from_string(source).render(Context(dict(variables), autoescape=False))


def render_html(source: str, variables: Mapping[str, str]) -> SafeString:
    """A body rendered for the HTML e-mail. The body is plain text, so all of it is escaped (the
    store's own words as much as the values), and blank lines become paragraphs."""
    return mark_safe(linebreaks(render_plain(source, variables), autoescape=True))


def template_errors(channel: str, milestone: str, subject: str, body: str) -> dict[str, str]:
    """Why this template would be refused, by field (empty: it is fine). It is compiled and
    rendered with example values: syntax errors, unknown variables and over-long results fail."""
    errors: dict[str, str] = {}
    if channel not in {c.value for c in EDITABLE}:
        errors["channel"] = f"must be one of: {', '.join(sorted(c.value for c in EDITABLE))}"
    if milestone not in {m.value for m in Milestone}:
        errors["milestone"] = f"unknown milestone {milestone!r}"
    if not body.strip():
        errors["body"] = "must not be empty"
    if channel == Channel.SMS and subject.strip():
        errors["subject"] = "an SMS has no subject"
    limits = {"subject": MAX_SUBJECT, "body": MAX_SMS if channel == Channel.SMS else MAX_EMAIL_BODY}
    for field, source in (("subject", subject), ("body", body)):
        if field in errors or not source:
            continue
        problem = _render_problem(source, limits[field])
        if problem:
            errors[field] = problem
    return errors


def _render_problem(source: str, limit: int) -> str:
    try:
        template = Template(source, engine=_STRICT)
        rendered = template.render(Context(dict(VARIABLES), autoescape=False))
    except TemplateSyntaxError as exc:
        return f"does not compile: {exc}"
    except Exception as exc:  # a filter failing on its argument, …: refused, never stored
        return f"does not render: {type(exc).__name__}: {exc}"
    if "\x00unknown:" in rendered:
        names = sorted({part.split("\x00", 1)[0] for part in rendered.split("\x00unknown:")[1:]})
        known = ", ".join(VARIABLES)
        return f"unknown variable {', '.join(repr(n) for n in names)} (known: {known})"
    if len(rendered) > limit:
        return f"renders to {len(rendered)} characters; at most {limit}"
    return ""


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
        "preferences_url": links.preferences_url(message.order, message.channel),
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
    order's). E-mail: ``subject``, ``text`` and ``html``; SMS: ``text``. Nothing is sent or stored."""
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
    if channel == Channel.SMS:
        return {"text": sms_body(outbound, draft)}
    email = build_email(outbound, draft)
    html = next((content for content, kind in email.alternatives if kind == "text/html"), "")
    return {"subject": str(email.subject), "text": str(email.body), "html": str(html)}
