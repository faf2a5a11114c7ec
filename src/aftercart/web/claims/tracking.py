"""Claims on the tracking page: the order's exception next step offers a claim (a lost or stalled
parcel, a damaged one, a delivered one the customer did not receive, something wrong with an
item), the order's claims are listed with their pages, and products with a warranty can be
registered. What can be claimed, and from when, is the policy's (:mod:`.offer`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from aftercart.claims.models import Claim
from aftercart.claims.selectors import claim_eligibility
from aftercart.domain.claims import ClaimKind
from aftercart.domain.next_step import StepCode
from aftercart.orders.models import Order
from aftercart.web.claims.offer import kind_offers
from aftercart.web.claims.start import claim_list
from aftercart.web.claims.warranty import warranty_lines

#: The order's next steps that offer a claim, and the kinds each offers first.
OFFERED_BY_STEP = {
    StepCode.LOST.value: (ClaimKind.LOST.value,),
    StepCode.STALLED.value: (ClaimKind.LOST.value,),
    StepCode.DELAYED.value: (ClaimKind.LOST.value,),
    StepCode.DAMAGED.value: (ClaimKind.DAMAGED.value,),
    StepCode.DELIVERED.value: (ClaimKind.STOLEN.value, ""),
}
#: Next steps where the page looks for claims at all (the rest: only if the order has some).
_LOOK = frozenset(OFFERED_BY_STEP) | {StepCode.PARTIALLY_SHIPPED.value, StepCode.DELIVERY_PROBLEM.value}


def _label(kind: str) -> str:
    return {
        ClaimKind.LOST.value: _("Report my parcel as lost"),
        ClaimKind.DAMAGED.value: _("Report damaged items"),
        ClaimKind.STOLEN.value: _("I didn't receive it"),
        "": _("Something is wrong with an item"),
    }[kind]


def claims_on_tracking_page(
    context: dict[str, Any], order: Order, token: str, language: str, now: datetime
) -> None:
    """Add the claim links to the page's next step, the order's claims and the warranty link."""
    # Always set: a variable the template looks up and misses is logged by Django at DEBUG with the
    # whole context (the customer's name and address) in the message.
    context.update(claims=[], claim_url=None, warranty_url=None)
    code = context["step"]["code"]
    has_claims = Claim.objects.filter(order=order).exists()
    if code not in _LOOK and not has_claims:
        return
    eligibility = claim_eligibility(order, now=now)
    offers = kind_offers(order, now, eligibility)
    base = reverse("web:claims", kwargs={"token": token})
    with translation.override(language):
        context["claims"] = claim_list(order, token, language) if has_claims else []
        for kind in OFFERED_BY_STEP.get(code, ()):
            if kind and kind not in offers:
                continue
            if not kind and not any(
                k in offers for k in (ClaimKind.DAMAGED, ClaimKind.WRONG_ITEM, ClaimKind.MISSING_ITEM)
            ):
                continue
            query = {"lang": language, **({"kind": kind} if kind else {})}
            context["step"]["actions"].append(
                {
                    "code": "start_claim",
                    "label": _label(kind),
                    "href": f"{base}?{urlencode(query)}",
                    "kind": kind,
                }
            )
        if offers:
            context["claim_url"] = f"{base}?{urlencode({'lang': language})}"
        if warranty_lines(order, now, eligibility):
            context["warranty_url"] = reverse("web:claims-warranty", kwargs={"token": token})
