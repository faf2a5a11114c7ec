"""The preference page every message links to, and the RFC 8058 one-click unsubscribe.

``/p/<token>`` (token: :func:`aftercart.notifications.links.preferences_token`, naming the order,
the channel the message came on and, by a keyed digest, the address it went to):

* ``GET`` shows, per channel the customer can be reached on (e-mail; SMS when the store texts),
  whether they get messages at all and which milestones, as plain checkboxes: no JavaScript.
  A GET never changes anything (mail scanners follow links).
* ``POST`` with ``List-Unsubscribe=One-Click`` (what a mail client sends for the e-mail's
  ``List-Unsubscribe-Post`` header) opts the address out of that channel at once: CSRF-exempt,
  since a mail provider posts it without a session, and idempotent.
* ``POST /p/<token>/save`` saves the form (CSRF-protected) and comes back with a confirmation.

The customer is their normalised address on each channel, so a choice holds for all their orders
with the store; every change is recorded with its source (see ``Preference``).

A link acts only for the address it was sent to. Once the order's address on the link's channel
has changed, the page shows nothing to change and the one-click unsubscribe opts out the old
address (found among the addresses the order's messages went to), never the new one. Links made
before they carried the address act on the order's current address, as they always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from aftercart.domain.messaging import Channel, channel_consent_reason
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.notifications import preferences as customer_preferences
from aftercart.notifications.contacts import contact_key, order_contact
from aftercart.notifications.links import PreferencesToken, address_matches, preferences_token_read
from aftercart.notifications.models import PreferenceSource
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.selectors import choices_for, order_recipients
from aftercart.notifications.services import preference_set
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.web.branding import brand_theme, store_view
from aftercart.web.language import choose_language, language_links
from aftercart.web.pages import private, render_page

#: What the customer reads for each milestone, in journey order.
MILESTONE_LABELS: dict[Milestone, Any] = {
    Milestone.ORDER_CONFIRMED: _("Order confirmed"),
    Milestone.PREPARING: _("Order being prepared"),
    Milestone.LATE_TO_SHIP: _("Order running late"),
    Milestone.SHIPPED: _("Shipped"),
    Milestone.PARTIALLY_SHIPPED: _("Part of the order shipped"),
    Milestone.OUT_FOR_DELIVERY: _("Out for delivery"),
    Milestone.DELIVERED: _("Delivered"),
    Milestone.READY_FOR_PICKUP: _("Ready for pickup"),
    Milestone.PICKUP_EXPIRING: _("Pickup reminder"),
    Milestone.ATTEMPT_FAILED: _("Delivery attempt failed"),
    Milestone.DELAYED: _("Delivery delayed"),
    Milestone.EXCEPTION: _("Problem with a parcel"),
    Milestone.ITEM_UNAVAILABLE: _("Item unavailable"),
    Milestone.CANCELLED: _("Order cancelled"),
    # Returns (aftercart.returns.notify plans them; the shopper may mute each like any other).
    Milestone.RETURN_REQUESTED: _("Return request sent"),
    Milestone.LABEL_READY: _("Return label ready"),
    Milestone.RETURN_RECEIVED: _("Return arrived"),
    Milestone.REFUND_ISSUED: _("Refund issued"),
    Milestone.CREDIT_ISSUED: _("Store credit issued"),
    Milestone.EXCHANGE_SHIPPED: _("Exchange on its way"),
    Milestone.RETURN_REJECTED: _("Return declined"),
    # Feedback and retention (aftercart.feedback plans them after delivery).
    Milestone.FEEDBACK_SURVEY: _("Short surveys about your order"),
    Milestone.PRODUCT_ONBOARDING: _("Tips for using and caring for your items"),
    Milestone.REPLENISHMENT_REMINDER: _("Reminders when it may be time to reorder"),
    # Claims (aftercart.claims.notify plans them).
    Milestone.CLAIM_FILED: _("Claim received"),
    Milestone.CLAIM_EVIDENCE_REQUESTED: _("Claim: more details needed"),
    Milestone.CLAIM_APPROVED: _("Claim approved"),
    Milestone.CLAIM_DENIED: _("Claim declined"),
    Milestone.CLAIM_RESOLVED: _("Claim settled"),
}
_CHANNEL_LABELS = {Channel.EMAIL: _("E-mail"), Channel.SMS: _("Text messages (SMS)")}
_CHANNEL_SWITCH = {
    Channel.EMAIL: _("Send me e-mails about my orders"),
    Channel.SMS: _("Send me text messages about my orders"),
}


@dataclass
class Section:
    """One channel on the page: who, whether on at all, which milestones."""

    channel: Channel
    address: str  # normalised: the key choices are stored under
    receiving: bool
    milestones: list[Milestone]
    muted: frozenset[Milestone]

    def view(self) -> dict[str, Any]:
        return {
            "channel": self.channel.value,
            "label": _CHANNEL_LABELS[self.channel],
            "switch": _CHANNEL_SWITCH[self.channel],
            "address": mask(self.channel, self.address),
            "receiving": self.receiving,
            "milestones": [
                {
                    "value": m.value,
                    "label": MILESTONE_LABELS[m],
                    "checked": m not in self.muted,
                    "id": f"{self.channel.value}-{m.value}",
                }
                for m in self.milestones
            ],
        }


def mask(channel: Channel, address: str) -> str:
    """Enough of the address to recognise it, not enough to learn it from a forwarded link."""
    if channel is Channel.EMAIL:
        local, _sep, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}" if domain else "•••"
    return f"•••• {address[-3:]}" if len(address) > 3 else "••••"


def _stale(token: str, order: Order, state: OrderState) -> bool:
    """Whether the link was sent to an address the order no longer uses on its channel."""
    read = preferences_token_read(token)
    if read is None or not read.address:
        return False  # a link from before links carried their address
    return not address_matches(read, order_contact(read.channel, state, order.store.country))


def _sections(order: Order, state: OrderState, token: str) -> list[Section]:
    if _stale(token, order, state):
        return []  # the link's holder is not who the order writes to now
    return channel_sections(order, state)


def channel_sections(order: Order, state: OrderState) -> list[Section]:
    """The channels the store writes to this customer on (e-mail; SMS when it texts) with their
    address and current choices: the preference page's sections (once its link is checked), and
    the widget's SMS opt-in."""
    journey = store_channel_map(order.store_id)
    out = []
    for channel, raw in ((Channel.EMAIL, state.email), (Channel.SMS, state.phone)):
        milestones = [m for m in MILESTONE_LABELS if channel in journey.get(m, ())]
        address = contact_key(channel, raw, state.country or order.store.country)
        if not address or not milestones:
            continue  # no address, or the store never writes on this channel
        choices = choices_for(order.store_id, channel, address)
        receiving = not channel_consent_reason(channel, state, choices)
        out.append(Section(channel, address, receiving, milestones, choices.muted))
    return out


def _order(token: str) -> Order | None:
    read = preferences_token_read(token) if len(token) <= 400 else None
    if read is None:
        return None
    return Order.objects.select_related("store").filter(public_id=read[0]).first()


def _token_channel(token: str) -> Channel | None:
    read = preferences_token_read(token)
    try:
        return Channel(read[1]) if read else None
    except ValueError:
        return None


def _invalid(request: HttpRequest) -> HttpResponse:
    language = choose_language(request)
    context = {
        "language": language,
        "languages": language_links(request, language),
        "store": store_view(None),
        "theme": brand_theme(None),
    }
    return private(render_page(request, "web/preferences/invalid.html", context, language, status=404))


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def preferences_page(request: HttpRequest, token: str) -> HttpResponse:
    """``/p/<token>``: the preference page (GET) or the one-click unsubscribe (POST)."""
    order = _order(token)
    if order is None:
        return _invalid(request)
    now = timezone.now()
    state = order_view(order, now)[0]
    if request.method == "POST":
        return _one_click(request, token, order, state)
    language = choose_language(request, state=state, store=order.store)
    context = {
        "language": language,
        "languages": language_links(request, language),
        "store": store_view(order.store, state.number or order.external_id),
        "theme": brand_theme(order.store.branding),
        "order_number": state.number or order.external_id,
        "sections": [s.view() for s in _sections(order, state, token)],
        "save_url": reverse("web:preferences-save", kwargs={"token": token}),
        "saved": request.GET.get("saved", ""),
    }
    return private(render_page(request, "web/preferences/page.html", context, language))


def _one_click(request: HttpRequest, token: str, order: Order, state: OrderState) -> HttpResponse:
    # RFC 8058 §3.2: the POST body is "List-Unsubscribe=One-Click"; anything else is not a
    # one-click request (the page's own form posts to /save).
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse("Expected List-Unsubscribe=One-Click.", status=400, content_type="text/plain")
    channel = _token_channel(token)
    read = preferences_token_read(token)
    if channel not in (Channel.EMAIL, Channel.SMS) or read is None:
        return HttpResponse("Nothing to unsubscribe.", status=400, content_type="text/plain")
    address = _link_address(read, order, state, channel)
    if address is None:
        return private(
            HttpResponse(
                "This link was sent to an address this order no longer uses: nothing was changed.",
                content_type="text/plain",
            )
        )
    if address:
        preference_set(
            store_id=order.store_id,
            channel=channel,
            address=address,
            opted_in=False,
            source=PreferenceSource.ONE_CLICK,
            detail="List-Unsubscribe-Post",
            order_id=order.pk,
        )
    return private(HttpResponse("Unsubscribed.", content_type="text/plain"))


def _link_address(read: PreferencesToken, order: Order, state: OrderState, channel: Channel) -> str | None:
    """The normalised address the link was sent to: the order's current one if it still is, else
    the earlier one among the addresses the order's messages went to; ``None`` when the link was
    for an address not found (nothing is changed for anybody)."""
    current = order_contact(channel, state, order.store.country)
    if not read.address or address_matches(read, current):
        return current  # a link from before links carried their address acts as it always did
    return next((a for a in order_recipients(order.pk, channel) if address_matches(read, a)), None)


@never_cache
@csrf_protect
@require_POST
def preferences_save(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /p/<token>/save``: the form. Unchecked boxes are sent as nothing, so every channel
    shown on the page is saved whole; "unsubscribe from everything" turns every channel off."""
    order = _order(token)
    if order is None:
        return _invalid(request)
    state = order_view(order, timezone.now())[0]
    # Unchecked boxes are sent as nothing; "unsubscribe from everything" leaves the milestones be.
    everything_off = "unsubscribe_all" in request.POST
    wishes = [
        customer_preferences.ChannelWish(
            channel=section.channel,
            address=section.address,
            receiving=not everything_off and request.POST.get(section.channel.value) == "on",
            milestones={}
            if everything_off
            else {
                m: request.POST.get(f"{section.channel.value}-{m.value}") == "on" for m in section.milestones
            },
        )
        for section in _sections(order, state, token)
    ]
    changed = customer_preferences.preferences_save(
        store_id=order.store_id, order_id=order.pk, state=state, wishes=wishes
    )
    page = reverse("web:preferences", kwargs={"token": token})
    response = HttpResponseRedirect(f"{page}?saved={'1' if changed else '0'}")
    response.status_code = 303  # See Other: the browser GETs the page, and Back does not re-post
    return private(response)
