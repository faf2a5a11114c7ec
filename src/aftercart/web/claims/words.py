"""The claim pages' words: what went wrong, what the customer may ask for, and why a request
cannot be filed, in the customer's language (the claim's next step is the domain's, worded by
:mod:`aftercart.kernel.presenter`); and the team's labels for the ops queue (English)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftercart.domain.claims import ClaimKind, ClaimStatus, ResolutionKind
from aftercart.web.returns.words import PHOTO_ERRORS

#: What happened, as the customer picks it, and a line saying when to pick it.
KIND_LABELS = {
    ClaimKind.LOST.value: _("My parcel hasn't arrived"),
    ClaimKind.STOLEN.value: _("It says delivered, but I didn't receive it"),
    ClaimKind.DAMAGED.value: _("Something arrived damaged"),
    ClaimKind.WRONG_ITEM.value: _("I received the wrong item"),
    ClaimKind.MISSING_ITEM.value: _("Something is missing from my parcel"),
    ClaimKind.WARRANTY.value: _("A product stopped working (warranty)"),
}
KIND_HINTS = {
    ClaimKind.LOST.value: _("The carrier has had no news of your parcel for days, or it is long overdue."),
    ClaimKind.STOLEN.value: _(
        "Check with your neighbours and around your door first: parcels often turn up."
    ),
    ClaimKind.DAMAGED.value: _("Tell us which items are damaged and add photos of them and of the box."),
    ClaimKind.WRONG_ITEM.value: _(
        "Tell us which items you ordered and did not get, and add a photo of what came."
    ),
    ClaimKind.MISSING_ITEM.value: _("Tell us which items were not in the parcel."),
    ClaimKind.WARRANTY.value: _("Tell us what is wrong and add photos if you can."),
}
RESOLUTION_LABELS = {
    ResolutionKind.RESHIP.value: _("Send me a replacement"),
    ResolutionKind.REFUND.value: _("Refund me"),
    ResolutionKind.STORE_CREDIT.value: _("Give me store credit"),
    ResolutionKind.REPAIR.value: _("Repair it"),
    ResolutionKind.REPLACE.value: _("Replace it with a new one"),
}

#: Why a request cannot be filed as it is, by the service's refusal code, and the field it is about.
REFUSALS = {
    "unknown_line": (_("This item is not part of this order."), "lines"),
    "over_quantity": (_("You chose more of an item than can be claimed."), "lines"),
    "bad_quantity": (_("Enter how many of this item are affected."), "lines"),
    "empty_request": (_("Choose at least one item."), "lines"),
    "already_claimed": (_("You have already reported this item. See your claims below."), "lines"),
    "mixed_parcels": (_("Choose items from one parcel at a time."), "lines"),
    "resolution_not_offered": (_("Choose what you would like us to do."), "resolution"),
    "photos_required": (_("Add at least one photo of the problem."), "photos"),
    "note_required": (_("Tell us what happened."), "note"),
    "order_cancelled": (_("This order was cancelled, so there is nothing to claim."), ""),
    "order_not_placed": (_("We don't have the details of this order yet. Please try again later."), ""),
    "window_closed": (_("The time to report this has passed. Please contact us."), ""),
    "not_applicable": (_("This does not apply to your order as it is now."), ""),
}
GENERIC_REFUSAL = _("This claim cannot be made as it is. Please check it and try again.")

#: Photo refusals (the returns portal's words), by the claim service's codes too.
CLAIM_PHOTO_ERRORS = {
    **PHOTO_ERRORS,
    "photo_too_large": PHOTO_ERRORS["too_large"],
    "photo_too_many_pixels": PHOTO_ERRORS["too_many_pixels"],
    "photo_not_an_image": PHOTO_ERRORS["not_an_image"],
    "too_many": _("Add at most %(limit)s photos. Please choose your photos again."),
    "photo_too_many": _("Add at most %(limit)s photos. Please choose your photos again."),
}


def refusal(code: str) -> tuple[str, str]:
    """The customer's words for a refusal ``code`` and the form field it is about ("" for the
    whole request)."""
    if code in CLAIM_PHOTO_ERRORS:
        return str(CLAIM_PHOTO_ERRORS[code]), "photos"
    text, field = REFUSALS.get(code, (GENERIC_REFUSAL, ""))
    return str(text), field


# -- the team's words (the ops queue is in English) ----------------------------------------------------

STATE_LABELS = {
    ClaimStatus.FILED.value: "Filed, waiting for a decision",
    ClaimStatus.IN_REVIEW.value: "In review",
    ClaimStatus.NEEDS_EVIDENCE.value: "Waiting for the customer's evidence",
    ClaimStatus.APPROVED.value: "Approved, to resolve",
    ClaimStatus.DENIED.value: "Denied",
    ClaimStatus.RESOLVED.value: "Resolved",
}
OPS_KIND_LABELS = {
    ClaimKind.LOST.value: "Lost in transit",
    ClaimKind.STOLEN.value: "Delivered, not received",
    ClaimKind.DAMAGED.value: "Arrived damaged",
    ClaimKind.WRONG_ITEM.value: "Wrong item",
    ClaimKind.MISSING_ITEM.value: "Missing item",
    ClaimKind.WARRANTY.value: "Warranty",
}
OPS_RESOLUTION_LABELS = {
    ResolutionKind.RESHIP.value: "Reship (a new parcel)",
    ResolutionKind.REFUND.value: "Refund",
    ResolutionKind.STORE_CREDIT.value: "Store credit",
    ResolutionKind.REPAIR.value: "Repair",
    ResolutionKind.REPLACE.value: "Replace (a new item)",
}
CARRIER_STATUS_LABELS = {
    "not_filed": "Not filed",
    "filed": "Filed with the carrier",
    "accepted": "Accepted by the carrier",
    "rejected": "Rejected by the carrier",
    "paid": "Paid",
}
