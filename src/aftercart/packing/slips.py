"""One order's packing slip, in its language: what the box holds, the store's care instructions
for it, and QR codes to the signed links the e-mails use (tracking page, returns portal) and to
the store's review page. :func:`packing_slips_pdf` lays out a batch as one PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from aftercart.domain.care import care_text, category_key
from aftercart.domain.outbound_urls import safe_url, support_address, support_link
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import ReturnPolicy
from aftercart.domain.vocabulary import FulfilmentStatus
from aftercart.integrations.labels.packing import (
    PackingSlip,
    SlipCare,
    SlipCode,
    SlipItem,
    render_packing_slips,
)
from aftercart.kernel.i18n import customer_zone, format_when
from aftercart.notifications.links import tracking_url
from aftercart.orders.models import Order
from aftercart.orders.selectors import facts_for_orders
from aftercart.returns.messages import returns_portal_url
from aftercart.returns.selectors import line_categories, policy_current, policy_of
from aftercart.stores.branding import brand_theme
from aftercart.stores.care import care_notes
from aftercart.stores.models import Store

#: Orders whose facts are read in one query while a batch is laid out.
_CHUNK = 100


@dataclass(frozen=True)
class _StoreParts:
    """What every slip of one store shares (read once per batch)."""

    policy: ReturnPolicy
    colours: dict[str, str]


def slip_language(order: Order, state: OrderState) -> str:
    """The slip's language: the order's, else the store's default, else the site's (as e-mails)."""
    return state.locale or order.store.default_locale or settings.LANGUAGE_CODE


def packing_slip(order: Order, state: OrderState, policy: ReturnPolicy | None = None) -> PackingSlip:
    """The slip of ``order`` (``order.store`` loaded) with every word in the customer's language."""
    store = order.store
    parts = _StoreParts(policy or policy_of(policy_current(store)), brand_theme(store.branding))
    return _slip(order, state, parts)


def _slip(order: Order, state: OrderState, parts: _StoreParts) -> PackingSlip:
    store: Store = order.store
    language = slip_language(order, state)
    categories = line_categories(order, state, parts.policy)
    lines = [
        line
        for line in state.lines.values()
        if line.status is not FulfilmentStatus.CANCELLED and line.quantity - line.unavailable_quantity > 0
    ]
    texts = care_notes(store, (categories.get(line.line_id, "") for line in lines))
    number = state.number or order.number or order.external_id
    with translation.override(language):
        placed = state.placed_at or order.placed_at
        order_line = (
            gettext("Order %(number)s, placed %(date)s")
            % {"number": number, "date": format_when(placed.date(), customer_zone(state, store.timezone))}
            if placed
            else gettext("Order %(number)s") % {"number": number}
        )
        first_name = state.customer_name.split()[0] if state.customer_name.strip() else ""
        greeting = (
            gettext("Thank you for your order, %(name)s!") % {"name": first_name}
            if first_name
            else gettext("Thank you for your order!")
        )
        items = tuple(
            SlipItem(
                title=line.title or line.sku or line.line_id,
                detail=" · ".join(
                    part
                    for part in (line.variant, gettext("SKU %(sku)s") % {"sku": line.sku} if line.sku else "")
                    if part
                ),
                quantity=line.quantity - line.unavailable_quantity,
            )
            for line in lines
        )
        care: list[SlipCare] = []
        seen: set[str] = set()
        for line in lines:
            category = categories.get(line.line_id, "")
            key = category_key(category)
            if not key or key in seen:
                continue
            seen.add(key)
            found = care_text(texts, category, language, store.default_locale)
            if found is not None:
                note = found[1]
                care.append(SlipCare(heading=note.title or category.strip().capitalize(), text=note.text))
        return PackingSlip(
            store_name=store.name,
            colour=parts.colours["primary"],
            on_colour=parts.colours["on_primary"],
            language=language,
            heading=gettext("Packing slip"),
            order_line=order_line,
            greeting=greeting,
            items_caption=gettext("Item"),
            quantity_caption=gettext("Qty"),
            items=items,
            care_caption=gettext("Caring for your items"),
            care=tuple(care),
            codes_caption=gettext("Scan with your phone"),
            codes=_codes(order, store),
            footer=_footer(store, number),
        )


def _codes(order: Order, store: Store) -> tuple[SlipCode, ...]:
    """The QR codes, in the order a customer needs them (call with the language active)."""
    codes = [
        SlipCode(
            gettext("Track your order"),
            gettext("Where your parcel is, and what happens next."),
            tracking_url(order),
        ),
        SlipCode(
            gettext("Return an item"),
            gettext("Start a return from your phone, no form to print."),
            returns_portal_url(order),
        ),
    ]
    # Warranty registration goes here once claims land (issue 14's claims part): its signed
    # registration link, built by the claims app like returns_portal_url, as one more SlipCode.
    review = safe_url(store.review_url)
    if review:
        codes.append(
            SlipCode(gettext("Leave a review"), gettext("Tell us and other shoppers how it went."), review)
        )
    return tuple(codes)


def _footer(store: Store, number: str) -> str:
    branding = store.branding or {}
    contact = (
        support_address(branding.get("support_email"))
        or str(branding.get("support_phone") or "").strip()
        or support_link(branding.get("support_url"), number)
    )
    return gettext("Questions? %(contact)s") % {"contact": contact} if contact else ""


def _slips(orders: Sequence[Order], read: Callable[[], None] | None) -> Iterator[PackingSlip]:
    parts: dict[int, _StoreParts] = {}
    for start in range(0, len(orders), _CHUNK):
        chunk = orders[start : start + _CHUNK]
        facts = facts_for_orders([order.pk for order in chunk])
        for order in chunk:
            if order.store_id not in parts:
                parts[order.store_id] = _StoreParts(
                    policy_of(policy_current(order.store)), brand_theme(order.store.branding)
                )
            state = project(facts.get(order.pk, ()), order.external_id)
            yield _slip(order, state, parts[order.store_id])
            if read is not None:
                read()


def packing_slips_pdf(
    orders: Sequence[Order],
    *,
    read: Callable[[], None] | None = None,
    laid_out: Callable[[], None] | None = None,
) -> bytes:
    """One PDF with a slip per order (``order.store`` loaded), each on its own page(s), in the
    order given. ``read`` is called as each order is read, ``laid_out`` as each slip is laid out
    (the two halves of a progress bar). Nothing is written."""
    if not orders:
        raise ValueError("no orders to make packing slips for")
    stores = {order.store.name for order in orders}
    return render_packing_slips(
        _slips(orders, read),
        title=f"Packing slips ({len(orders)})"
        if len(orders) > 1
        else f"Packing slip {orders[0].external_id}",
        author=next(iter(stores)) if len(stores) == 1 else "",
        advance=laid_out,
    )
