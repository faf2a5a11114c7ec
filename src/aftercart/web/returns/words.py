"""The portal's words: reasons, offers, methods, refusals and the return's history in the shopper's
language, and money and dates as they read them (the return's next step is the domain's, worded by
:mod:`aftercart.kernel.presenter`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from aftercart.domain.money import Money
from aftercart.domain.returns import (
    Note,
    OfferKind,
    Reason,
)
from aftercart.domain.returns.lifecycle import ReturnStatus
from aftercart.kernel.i18n import format_money

REASON_LABELS = {
    Reason.SIZE_TOO_SMALL: _("Size too small"),
    Reason.SIZE_TOO_LARGE: _("Size too large"),
    Reason.NOT_AS_DESCRIBED: _("Not as described"),
    Reason.DAMAGED: _("Arrived damaged"),
    Reason.DEFECTIVE: _("Defective or does not work"),
    Reason.CHANGED_MIND: _("Changed my mind"),
    Reason.ARRIVED_LATE: _("Arrived too late"),
    Reason.OTHER: _("Other reason"),
}

OFFER_LABELS = {
    OfferKind.EXCHANGE: _("Exchange"),
    OfferKind.STORE_CREDIT: _("Store credit"),
    OfferKind.REFUND: _("Refund to your original payment method"),
}

#: Why a line (or the request) cannot come back as asked, by the domain's note code.
NOTE_MESSAGES = {
    "over_quantity": _("You can return at most %(left)s of this item."),
    "bad_quantity": _("Enter how many of this item to return."),
    "unknown_line": _("This item is not part of this order."),
    "duplicate_line": _("This item is listed twice."),
    "already_returned": _("This item has already been returned."),
    "not_sent": _("This item was never sent, so there is nothing to return."),
    "not_delivered": _("This item has not been delivered yet. You can return it once it arrives."),
    "window_closed": _("The return window for this item closed on %(closed_on)s."),
    "final_sale": _("This item was a final sale and cannot be returned."),
    "quantity_limit": _("At most %(limit)s of one item can be returned at a time."),
    "condition_not_accepted": _("This item can only come back unworn, with its tags."),
    "too_many_units": _("At most %(limit)s items can be returned at a time."),
    "empty_request": _("Choose at least one item to return."),
    "resolution_not_offered": _("That option is not available for this item. Choose another one."),
    "out_of_stock": _("That size is no longer available. Choose another one."),
}

#: The return's timeline, by fact kind; kinds not listed are not shown to the shopper.
FACT_LABELS = {
    "requested": _("Return requested"),
    "approve": _("Return approved"),
    "reject": _("Return not accepted"),
    "issue_label": _("Label ready"),
    "mark_in_transit": _("On its way back"),
    "mark_received": _("Received by us"),
    "inspect": _("Items checked"),
    "resolve": _("Return complete"),
    "cancel": _("Return cancelled"),
    "photos_added": _("Photos added"),
}

STATUS_LABELS = {
    ReturnStatus.REQUESTED: _("Requested"),
    ReturnStatus.APPROVED: _("Approved"),
    ReturnStatus.LABEL_ISSUED: _("Label ready"),
    ReturnStatus.IN_TRANSIT: _("On its way back"),
    ReturnStatus.RECEIVED: _("Received"),
    ReturnStatus.INSPECTED: _("Checked"),
    ReturnStatus.RESOLVED: _("Complete"),
    ReturnStatus.REJECTED: _("Not accepted"),
    ReturnStatus.CANCELLED: _("Cancelled"),
}

#: What a drop-off return's "label" is called: it has a QR code, nothing to print.
QR_READY = _("QR code ready")


def status_label(status: str, method: str) -> str:
    """The return's status in the shopper's words (call with the language active)."""
    if status == ReturnStatus.LABEL_ISSUED and method == "dropoff":
        return str(QR_READY)
    known = ReturnStatus(status) if status in ReturnStatus.__members__.values() else None
    return str(STATUS_LABELS[known]) if known is not None else status


def fact_label(kind: str, method: str) -> str:
    """A step of the return's history in the shopper's words (``kind`` one of :data:`FACT_LABELS`)."""
    if kind == "issue_label" and method == "dropoff":
        return str(QR_READY)
    return str(FACT_LABELS[kind])


PHOTO_ERRORS = {
    "too_large": _("Each photo must be 5 MB or smaller. Please choose your photos again."),
    # 32: aftercart.returns.photos.MAX_MEGAPIXELS (MAX_DECODED_BYTES at 4 bytes a pixel).
    "too_many_pixels": _(
        "Each photo may be at most 32 megapixels (16 for 16-bit images). Please choose smaller photos."
    ),
    "not_an_image": _("Photos must be JPEG, PNG or WebP images. Please choose your photos again."),
    "too_many": _("Add at most 3 photos per item. Please choose your photos again."),
}

#: Form fields per line (``<name>-<row>``): at most this many rows are read from a request.
MAX_ROWS = 200


def money(amount: Decimal, currency: str, language: str) -> str:
    """An amount in the shopper's language (``€12.50``, ``12,50 €``, ``R$ 12,50``), as the presenter
    writes money."""
    return format_money(Money(amount, currency), language)


def day(value: date | None) -> str:
    """A date in the active language."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def note_message(note: Note) -> str:
    """The shopper's words for a domain note (call with the language active)."""
    text = NOTE_MESSAGES.get(note.code)
    if text is None:
        return str(_("This item cannot be returned."))
    params = dict(note.params)
    for key in ("closed_on", "until"):
        if key in params:
            params[key] = day(date.fromisoformat(params[key]))
    try:
        return str(text) % params
    except (KeyError, ValueError):
        return str(_("This item cannot be returned."))


#: How the items can travel back; ``label`` always, the others where the store offers them.
METHOD_LABELS = {
    "label": (_("Print a label"), _("We give you a label to print and stick on the parcel.")),
    "dropoff": (
        _("Drop-off with a QR code"),
        _("No printer or box needed: show the QR code at a drop-off point."),
    ),
    "in_store": (_("Return in store"), _("Bring the items to one of our stores.")),
}
