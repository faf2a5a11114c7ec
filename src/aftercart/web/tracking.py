"""The customer tracking page: language choice, branding and the page's context.

The page decides nothing about the order: it shows the projected state and the one
:func:`~aftercart.domain.next_step.next_step`, translating its message ids and filling their
params (carrier slugs become carrier names, ISO dates become dates in the customer's time zone
and language). :func:`tracking_context` is the whole of that translation, so other touchpoints'
tests can compare against exactly what the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from aftercart.domain.carriers import carrier_info, carrier_slug
from aftercart.domain.facts import CustomerChoice
from aftercart.domain.next_step import Action, ActionCode, NextStep, StepCode
from aftercart.domain.options import Offer, Refusal, Situation
from aftercart.domain.projection.state import LineState, OrderState, Pickup, ShipmentState
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag
from aftercart.kernel.i18n import (
    customer_zone,
    fill,
    format_when,
    localise_params,
    sentence,
)
from aftercart.orders.customer_choices import order_options
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.windows import delivery_window
from aftercart.stores.models import Store

# --- language and time zone ----------------------------------------------------------------------


def supported_language(code: str | None) -> str | None:
    """The configured language for a code ("es-MX" → "es", "pt_BR" → "pt-br"), else ``None``."""
    if not code or len(code) > 32:
        return None
    try:
        return translation.get_supported_language_variant(translation.to_language(code.strip()))
    except (LookupError, ValueError):
        return None


def accept_languages(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:30]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip()
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def choose_language(
    request: HttpRequest, state: OrderState | None = None, store: Store | None = None, explicit: str = ""
) -> str:
    """The page's language: ``?lang=`` (or ``explicit``), then the order's locale, then the
    browser's Accept-Language, then the store's default, then the site default."""
    candidates = [explicit or request.GET.get("lang", "")]
    if state is not None:
        candidates.append(state.locale)
    candidates += accept_languages(request.headers.get("Accept-Language", ""))
    if store is not None:
        candidates.append(store.default_locale)
    for code in candidates:
        language = supported_language(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def order_zone(state: OrderState | None, store: Store | None) -> ZoneInfo:
    """The customer's time zone: the order's, else the store's, else UTC."""
    return customer_zone(state, store.timezone if store else "")


def language_links(
    request: HttpRequest, current: str, keep: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The language switcher: one plain link per language, keeping the query (or just ``keep``)."""
    if keep is None and not request.GET:  # the usual visit: nothing to keep but the language
        return [
            {"code": code, "name": name, "href": f"?lang={code}", "current": code == current}
            for code, name in settings.LANGUAGES
        ]
    links = []
    for code, name in settings.LANGUAGES:
        if keep is None:
            query = request.GET.copy()
        else:
            query = QueryDict(mutable=True)
            query.update({k: v for k, v in keep.items() if v})
        query["lang"] = code
        links.append(
            {"code": code, "name": name, "href": f"?{query.urlencode()}", "current": code == current}
        )
    return links


# --- branding ------------------------------------------------------------------------------------

DEFAULT_PRIMARY = "#1f2933"
DEFAULT_ACCENT = "#0b5cad"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_colour(value: Any) -> tuple[int, int, int] | None:
    """An ``#rgb`` or ``#rrggbb`` colour as a tuple, else ``None`` (anything else is ignored)."""
    match = _HEX.match(str(value or "").strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def text_colour_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or black, whichever reads better on ``background``; pure black and white guarantee at
    least 4.58:1 on any background, so brand colours can never make text unreadable."""
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(BLACK, background) else BLACK


def darken_to_contrast(
    colour: tuple[int, int, int], against: tuple[int, int, int] = WHITE, ratio: float = 4.5
) -> tuple[int, int, int]:
    """``colour``, darkened just enough to reach ``ratio`` against ``against`` (for link text)."""
    r, g, b = colour
    for step in range(101):
        factor = 1 - step / 100
        candidate = (round(r * factor), round(g * factor), round(b * factor))
        if contrast_ratio(candidate, against) >= ratio:
            return candidate
    return BLACK


def brand_theme(branding: Mapping[str, Any] | None) -> dict[str, str]:
    """CSS colours for a store's branding, with safe defaults and readable text on each.

    ``primary`` fills the header, ``accent`` the buttons; ``link`` is the accent darkened until it
    reads at 4.5:1 on the white page.
    """
    branding = branding or {}
    return dict(_theme(str(branding.get("primary_colour") or ""), str(branding.get("accent_colour") or "")))


@lru_cache(maxsize=256)
def _theme(primary_colour: str, accent_colour: str) -> tuple[tuple[str, str], ...]:
    # Every page of a store asks for the same colours: the contrast search runs once per pair.
    primary = parse_colour(primary_colour) or parse_colour(DEFAULT_PRIMARY)
    accent = parse_colour(accent_colour) or parse_colour(DEFAULT_ACCENT)
    assert primary is not None and accent is not None  # the defaults parse
    return (
        ("primary", _hex(primary)),
        ("on_primary", _hex(text_colour_on(primary))),
        ("accent", _hex(accent)),
        ("on_accent", _hex(text_colour_on(accent))),
        ("link", _hex(darken_to_contrast(accent))),
    )


def safe_url(url: Any, schemes: tuple[str, ...] = ("https", "http")) -> str:
    """``url`` if it is an absolute URL with an allowed scheme, else "" (no ``javascript:``)."""
    text = str(url or "").strip()
    if not text or any(ch in text for ch in "\r\n\t\0"):
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in schemes or (
        parts.scheme.lower() in ("http", "https") and not parts.netloc
    ):
        return ""
    return text


def store_view(store: Store | None, order_number: str = "") -> dict[str, Any]:
    """What the page shows of a store: name, logo and support contacts (validated). A support URL
    may carry ``{order_number}``, filled in here so the help desk opens on the right order."""
    if store is None:
        return {"name": "Aftercart", "logo_url": "", "support": {}, "footer_links": [], "slug": ""}
    branding = store.branding or {}
    email = str(branding.get("support_email") or "").strip()
    phone = str(branding.get("support_phone") or "").strip()
    links = []
    for item in branding.get("footer_links") or []:
        if isinstance(item, Mapping):
            url = safe_url(item.get("url"), ("https", "http", "mailto"))
            label = str(item.get("label") or "").strip()
            if url and label:
                links.append({"label": label, "url": url})
    return {
        "name": store.name,
        "slug": store.slug,
        "logo_url": safe_url(branding.get("logo_url")),
        "support": {
            # Strict on purpose: the address goes into a mailto: URL as is.
            "email": email
            if re.fullmatch(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", email)
            else "",
            "phone": phone,
            "phone_href": "tel:" + re.sub(r"[^0-9+]", "", phone) if re.search(r"\d", phone) else "",
            "url": safe_url(branding.get("support_url")).replace(
                "{order_number}", quote(order_number, safe="")
            ),
        },
        "footer_links": links,
    }


# --- translating the next step -------------------------------------------------------------------

#: The e-mail subject for each choice sent to the store's support (message ids, like the domain's).
SUBJECTS = {
    ActionCode.CONTACT_SUPPORT: gettext_noop("Question about order {number}"),
    ActionCode.WAIT_FOR_ITEM: gettext_noop("Order {number}: I will wait for {items}"),
    ActionCode.REFUND_ITEM: gettext_noop("Order {number}: please refund {items}"),
    ActionCode.SUBSTITUTE_ITEM: gettext_noop("Order {number}: I would like a substitute for {items}"),
    ActionCode.START_RETURN: gettext_noop("Order {number}: I would like to return something"),
}


def support_href(support: Mapping[str, str], subject: str) -> str:
    """Where "contact us" goes: e-mail with the subject filled in, else the support page (see
    :func:`store_view`), else the phone; "" when the store gave none."""
    if support.get("email"):
        return f"mailto:{support['email']}?subject={quote(subject)}"
    if support.get("url"):
        return support["url"]
    return support.get("phone_href", "")


def maps_href(address: str) -> str:
    """A maps search for an address (``AFTERCART_MAPS_URL`` with ``{query}``, Google Maps by default)."""
    template = getattr(
        settings, "AFTERCART_MAPS_URL", "https://www.google.com/maps/search/?api=1&query={query}"
    )
    return template.format(query=quote(address, safe=""))


#: Choices the tracking page answers itself, with a form that records a ``customer.choice`` fact.
_ANSWERED_ON_THE_PAGE = frozenset(
    {
        ActionCode.WAIT_FOR_ITEM,
        ActionCode.REFUND_ITEM,
        ActionCode.SUBSTITUTE_ITEM,
        ActionCode.KEEP_WAITING,
        ActionCode.CANCEL_ORDER,
    }
)


def action_view(
    action: Action, state: OrderState, support: Mapping[str, str], zone: ZoneInfo
) -> dict[str, Any] | None:
    """One action as a link (label, href), or ``None`` when there is nowhere real for it to go."""
    if action.code in _ANSWERED_ON_THE_PAGE:
        return None  # the page's own choice forms record these in the ledger (see track_choice)
    params = localise_params(action.params, zone)
    label = fill(action.label, params)
    number = state.number or state.order_ref
    href = ""
    if action.code in (ActionCode.TRACK_PARCEL, ActionCode.RESCHEDULE_DELIVERY):
        href = safe_url(action.params.get("tracking_url")) or _carrier_page(state, action.params)
    elif action.code is ActionCode.GET_DIRECTIONS:
        address = action.params.get("address", "")
        href = maps_href(address) if address and address != "-" else ""
    else:
        # The choices (wait, refund, substitute, return) go to the store's support with the
        # choice written in the subject: a real message a person will act on, not a stub button.
        items = _line_titles(state, action.params.get("lines", ""))
        subject_id = SUBJECTS.get(action.code, SUBJECTS[ActionCode.CONTACT_SUPPORT])
        href = support_href(support, fill(subject_id, {"number": number, "items": items}))
    if not href:
        return None
    return {"code": action.code.value, "label": label, "href": href}


def _carrier_page(state: OrderState, params: Mapping[str, str]) -> str:
    """The carrier's public page for the parcel an action is about (by its tracking number)."""
    number = params.get("tracking_number", "")
    shipment = next((s for s in state.shipments.values() if number and s.tracking_number == number), None)
    slug = shipment.carrier if shipment and shipment.carrier else carrier_slug(params.get("carrier", ""))
    return carrier_info(slug).url_for(number)


def _line_titles(state: OrderState, line_ids: str) -> str:
    ids = [i for i in line_ids.split(",") if i]
    return ", ".join(_title(state.lines.get(i), i) for i in ids)


def _title(line: LineState | None, fallback: str = "") -> str:
    if line is None:
        return fallback or gettext("Item")
    return line.title or line.sku or gettext("Item")


def step_view(
    step: NextStep, state: OrderState, support: Mapping[str, str], zone: ZoneInfo
) -> dict[str, Any]:
    """The next step as the page shows it (call with the language active)."""
    params = localise_params(step.params, zone)
    actions = [a for a in (action_view(x, state, support, zone) for x in step.actions) if a]
    return {
        "code": step.code.value,
        "headline": sentence(fill(step.headline, params)),
        "detail": sentence(fill(step.detail, params)),
        "actions": actions,
    }


# --- shipments and lines -------------------------------------------------------------------------

TAG_LABELS = {
    CarrierTag.PENDING: _("Waiting for the carrier"),
    CarrierTag.INFO_RECEIVED: _("Label created"),
    CarrierTag.IN_TRANSIT: _("In transit"),
    CarrierTag.OUT_FOR_DELIVERY: _("Out for delivery"),
    CarrierTag.ATTEMPT_FAIL: _("Delivery attempted"),
    CarrierTag.DELIVERED: _("Delivered"),
    CarrierTag.AVAILABLE_FOR_PICKUP: _("Ready for pickup"),
    CarrierTag.EXCEPTION: _("Problem reported"),
    CarrierTag.EXPIRED: _("No recent updates"),
}

LINE_LABELS = {
    FulfilmentStatus.PLACED: _("Ordered"),
    FulfilmentStatus.CONFIRMED: _("Confirmed"),
    FulfilmentStatus.ALLOCATED: _("Reserved for you"),
    FulfilmentStatus.PICKING: _("Being picked"),
    FulfilmentStatus.PACKED: _("Packed"),
    FulfilmentStatus.READY_TO_SHIP: _("Ready to ship"),
    FulfilmentStatus.HANDED_TO_CARRIER: _("Handed to the carrier"),
    FulfilmentStatus.READY_FOR_PICKUP: _("Ready for pickup"),
    FulfilmentStatus.PICKED_UP: _("Collected"),
    FulfilmentStatus.UNAVAILABLE: _("Unavailable"),
    FulfilmentStatus.CANCELLED: _("Cancelled"),
    FulfilmentStatus.ON_HOLD: _("On hold"),
}


def pickup_view(pickup: Pickup | None) -> dict[str, Any] | None:
    """Where and until when a pickup waits, or ``None``."""
    if pickup is None or not (pickup.location_name or pickup.address):
        return None
    return {
        "name": pickup.location_name,
        "address": pickup.address,
        "hours": pickup.hours,
        "deadline": pickup.deadline,
        "collected_at": pickup.collected_at,
        "maps_href": maps_href(pickup.address) if pickup.address else "",
    }


def shipment_view(
    shipment: ShipmentState, state: OrderState, now: datetime, anchor: str, zone: ZoneInfo
) -> dict[str, Any]:
    """One parcel: carrier, tracking link, estimate, timeline (newest first) and its items.

    Moments carry their machine-readable form (``<time datetime>``) in the customer's zone, written
    here: the template's date filter takes ~3 times as long for the same string."""
    carrier = carrier_info(shipment.carrier)
    # Newest first; ties keep the order they were reported in, reversed with the rest.
    ordered = sorted(enumerate(shipment.checkpoints), key=lambda pair: (pair[1].occurred_at, pair[0]))
    checkpoints = [
        {
            "at": c.occurred_at,
            "at_iso": c.occurred_at.astimezone(zone).isoformat(),
            "label": str(TAG_LABELS.get(c.tag, c.tag.value)),
            "message": c.raw_message,
            "location": c.location,
        }
        for _i, c in reversed(ordered)
    ]
    items = []
    for line_id, quantity in shipment.lines.items():
        line = state.lines.get(line_id)
        items.append(
            {"title": _title(line, line_id), "variant": line.variant if line else "", "quantity": quantity}
        )
    # The same rule as the next step: a carrier date that has passed is not repeated as a promise.
    estimate = shipment.estimated_delivery
    if estimate is not None and (shipment.is_delivered or estimate < now.date()):
        estimate = None
    # A parcel the carrier has lost, damaged or is sending back has no delivery date to show.
    settled = shipment.tag is CarrierTag.EXCEPTION and shipment.subtag is not Subtag.EXCEPTION_DELAYED
    return {
        "anchor": anchor,
        "show_estimate": not settled,
        "carrier": carrier.name or gettext("the carrier"),
        "tracking_number": shipment.tracking_number,
        "tracking_href": safe_url(shipment.tracking_url) or carrier.url_for(shipment.tracking_number),
        "status": str(TAG_LABELS.get(shipment.tag, shipment.tag.value)),
        "tag": shipment.tag.value,
        "delivered_at": shipment.delivered_at,
        "delivered_iso": shipment.delivered_at.astimezone(zone).isoformat() if shipment.delivered_at else "",
        "estimate": estimate,
        "checkpoints": checkpoints,
        "items": items,
        "pickup": pickup_view(shipment.pickup) if not shipment.is_delivered else None,
    }


#: The buttons for each choice (``{substitute}`` and ``{date}`` are filled in per offer).
CHOICE_LABELS = {
    CustomerChoice.WAIT: _("I will wait for it"),
    CustomerChoice.REFUND: _("Refund it"),
    CustomerChoice.SUBSTITUTE: _("Send me %(substitute)s instead"),
    CustomerChoice.EXTEND_PICKUP: _("Keep it for me until %(date)s"),
    CustomerChoice.SWITCH_TO_DELIVERY: _("Deliver it to me instead"),
    CustomerChoice.KEEP_WAITING: _("I will keep waiting"),
    CustomerChoice.CANCEL: _("Cancel my order"),
}

#: How a line the customer has answered for shows its answer.
ANSWER_LABELS = {
    CustomerChoice.WAIT: _("You chose to wait"),
    CustomerChoice.REFUND: _("You chose a refund"),
    CustomerChoice.SUBSTITUTE: _("You chose a substitute"),
}

#: What the page says when a choice cannot be recorded, by the domain's reason.
REFUSALS = {
    Refusal.NOT_OFFERED: _(
        "This item does not need an answer from you, or that choice is not available for it. "
        "Your order page shows what happens next."
    ),
    Refusal.ALREADY_ANSWERED: _(
        "We already have your answer to this. Your order page shows what happens next."
    ),
    Refusal.ALREADY_EXTENDED: _(
        "The pickup deadline can be extended only once, and it already was. You can still ask us to "
        "deliver it instead."
    ),
    Refusal.ALREADY_SHIPPED: _(
        "Your order can no longer be cancelled: part of it has already left us. Your order page shows "
        "where it is."
    ),
}


def _choice_label(choice: CustomerChoice, offer: Offer, zone: ZoneInfo) -> str:
    label = str(CHOICE_LABELS[choice])
    if choice is CustomerChoice.SUBSTITUTE:
        return label % {"substitute": offer.substitute}
    if choice is CustomerChoice.EXTEND_PICKUP and offer.new_deadline is not None:
        return label % {"date": format_when(offer.new_deadline, zone)}
    return label


def _legend(offer: Offer, state: OrderState, zone: ZoneInfo) -> str:
    line = state.lines.get(offer.line_id) if offer.line_id else None
    if offer.situation is Situation.ITEM_UNAVAILABLE:
        title = _title(line, offer.line_id) if line is not None else offer.line_id
        return gettext("What would you like us to do about %(item)s?") % {"item": title}
    if offer.situation is Situation.PICKUP_NOT_COLLECTED and offer.deadline is not None:
        return gettext("Cannot collect it by %(deadline)s?") % {"deadline": format_when(offer.deadline, zone)}
    return gettext(
        "Your order is taking longer than we promised. Would you like to keep waiting or cancel it?"
    )


def choice_views(offers: Sequence[Offer], state: OrderState, zone: ZoneInfo) -> list[dict[str, Any]]:
    """One form per offer the domain makes now: its question and buttons (call with the language
    active)."""
    return [
        {
            "subject": offer.subject,
            "situation": offer.situation.value,
            "legend": _legend(offer, state, zone),
            "options": [
                {"value": choice.value, "label": _choice_label(choice, offer, zone)}
                for choice in offer.choices
            ],
        }
        for offer in offers
    ]


#: Steps that show the learned delivery window: the order or its parcel is still on its way.
_WINDOW_STEPS = frozenset(
    {
        StepCode.AWAITING_FULFILMENT,
        StepCode.BEING_PREPARED,
        StepCode.PARTIALLY_SHIPPED,
        StepCode.SHIPPED,
        StepCode.STALLED,
        StepCode.DELAYED,
        StepCode.LATE_TO_SHIP,
    }
)


def window_view(order: Order, state: OrderState, step: NextStep, now: datetime) -> dict[str, Any] | None:
    """The delivery window learned from the store's history, as the page shows it (call with the
    language active), or ``None``."""
    if step.code not in _WINDOW_STEPS:
        return None
    window = delivery_window(order, state, now)
    if window is None:
        return None
    return {
        "earliest": window.earliest,
        "latest": window.latest,
        "text": gettext("Expected between %(earliest)s and %(latest)s")
        % {
            "earliest": formats.date_format(window.earliest, "DATE_FORMAT"),
            "latest": formats.date_format(window.latest, "DATE_FORMAT"),
        },
        "share": round(window.share * 100),
    }


def line_views(line: LineState) -> list[dict[str, Any]]:
    """An order line's units not (yet) shipped: those still to come and those unavailable, apart."""
    if line.status is FulfilmentStatus.CANCELLED:
        return []
    rows: list[tuple[int, FulfilmentStatus, bool]] = []
    waiting = line.status if line.status is not FulfilmentStatus.UNAVAILABLE else FulfilmentStatus.PLACED
    if line.open_quantity:
        rows.append((line.open_quantity, waiting, False))
    if line.unavailable_quantity:
        rows.append((line.unavailable_quantity, FulfilmentStatus.UNAVAILABLE, True))
    return [
        {
            "title": _title(line, line.line_id),
            "variant": line.variant,
            "quantity": quantity,
            "status": str(LINE_LABELS.get(status, status.value)),
            "unavailable": unavailable,
            "answer": _answer(line) if unavailable else "",
            "pickup": pickup_view(line.pickup) if status is FulfilmentStatus.READY_FOR_PICKUP else None,
        }
        for quantity, status, unavailable in rows
    ]


def _answer(line: LineState) -> str:
    try:
        return str(ANSWER_LABELS[CustomerChoice(line.customer_choice)])
    except ValueError:
        return ""


def _shipment_order(shipment: ShipmentState) -> tuple[datetime, str]:
    moment = shipment.created_at or shipment.first_scan_at or shipment.status_at
    return (moment or datetime.max.replace(tzinfo=ZoneInfo("UTC")), shipment.key)


# --- the page ------------------------------------------------------------------------------------


def tracking_context(
    order: Order,
    now: datetime,
    language: str,
    *,
    state: OrderState | None = None,
    step: NextStep | None = None,
) -> dict[str, Any]:
    """Everything the tracking page shows for ``order`` at ``now`` in ``language``.

    Projects the order fresh from its facts unless ``state`` and ``step`` are given. Strings are
    translated here; datetimes stay aware and the template shows them in ``zone``.
    """
    if state is None or step is None:
        state, step = order_view(order, now)
    store = order.store
    zone = order_zone(state, store)
    shop = store_view(store, state.number or order.number)
    with translation.override(language):
        step_ctx = step_view(step, state, shop["support"], zone)
        shipments = sorted(state.shipments.values(), key=_shipment_order)
        views = [shipment_view(s, state, now, f"parcel-{i}", zone) for i, s in enumerate(shipments, start=1)]
        for index, view in enumerate(views, start=1):
            view["position"], view["total"] = index, len(views)
        focus_index = next((i for i, s in enumerate(shipments) if s.key == step.shipment_key), None)
        focus = views.pop(focus_index) if focus_index is not None else None
        lines = [row for ln in state.lines.values() for row in line_views(ln)]
        choices = choice_views(order_options(order=order, state=state, now=now), state, zone)
        window = window_view(order, state, step, now)
        cancelled = [
            {"title": _title(ln, ln.line_id), "variant": ln.variant, "quantity": ln.quantity}
            for ln in state.lines.values()
            if ln.status is FulfilmentStatus.CANCELLED
        ]
    return {
        "language": language,
        "zone": zone.key,
        "store": shop,
        "theme": brand_theme(store.branding),
        "order_number": state.number or order.number,
        "placed_at": state.placed_at,
        "cancelled_at": state.cancelled_at,
        "step": step_ctx,
        "focus_shipment": focus,
        "other_shipments": views,
        "open_lines": lines,
        "choices": choices,
        "window": window,
        "cancelled_lines": cancelled,
    }


def render_next_step_html(order: Order, now: datetime | None = None, language: str = "") -> str:
    """The next-step block of the tracking page as HTML, for cross-channel consistency tests."""
    now = now or timezone.now()
    state, step = order_view(order, now)
    language = supported_language(language or state.locale or order.store.default_locale) or "en"
    context = tracking_context(order, now, language, state=state, step=step)
    with translation.override(language):
        return render_to_string("web/track/_next_step.html", context)
