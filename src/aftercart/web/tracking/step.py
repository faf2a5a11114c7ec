"""The tracking page's next step: its message ids translated and their params filled, and each
action as a link that goes somewhere real (or no link)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext

from aftercart.domain.carriers import carrier_info, carrier_slug
from aftercart.domain.next_step import SUPPORT_SUBJECTS, Action, ActionCode, NextStep
from aftercart.domain.outbound_urls import contact_href, safe_url
from aftercart.domain.projection.state import LineState, OrderState
from aftercart.kernel.i18n import fill, localise_params
from aftercart.kernel.presenter import present

SUBJECTS = SUPPORT_SUBJECTS


def support_href(support: Mapping[str, str], subject: str) -> str:
    """Where "contact us" goes: the one rule of the page, the e-mail and the SMS
    (:func:`~aftercart.domain.outbound_urls.contact_href`)."""
    return contact_href(support, subject)


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
    shown = present(step, zone)
    actions = [a for a in (action_view(x, state, support, zone) for x in step.actions) if a]
    return {"code": shown.code, "headline": shown.headline, "detail": shown.detail, "actions": actions}
