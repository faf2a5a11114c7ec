"""Finding an order by its number and the e-mail address or postal code it was placed with, behind
the rate limits: the one lookup the tracking page and the returns portal both use.

Every kind of miss (unknown number, wrong e-mail, wrong postal code) gets the same answer, and
only misses count against an order number, so a customer who mistypes once is not locked out
while guessing postal codes for one order is capped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftercart.orders.models import Order
from aftercart.stores.models import Store
from aftercart.web.ratelimit import client_ip, lookup_limits
from aftercart.web.tracking import find_order, normalise_number


class LookupForm(forms.Form):
    """Order number plus the e-mail address or postal code the order was placed with."""

    number = forms.CharField(max_length=64, error_messages={"required": _("Enter your order number.")})
    contact = forms.CharField(
        max_length=254,
        error_messages={"required": _("Enter the e-mail address or postal code you ordered with.")},
    )


@dataclass
class Lookup:
    """The outcome of one posted lookup: the order found, or the form and whether it missed, or
    how many seconds until the caller may try again (``retry_after`` > 0: rate limited)."""

    form: LookupForm | None
    order: Order | None = None
    failed: bool = False
    retry_after: int = 0


def lookup_post(request: HttpRequest, store: Store | None) -> Lookup:
    """Check the rate limits, then look the posted number and contact up (a POST request)."""
    per_ip, per_order = lookup_limits()
    ip = client_ip(request)
    number_key = normalise_number(request.POST.get("number", ""))
    if per_ip.exceeded(ip) or (number_key and per_order.exceeded(number_key)):
        return Lookup(form=None, retry_after=per_ip.retry_after())
    per_ip.hit(ip)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return Lookup(form=form)
    order = find_order(form.cleaned_data["number"], form.cleaned_data["contact"], store)
    if order is not None:
        return Lookup(form=form, order=order)
    if number_key:
        per_order.hit(number_key)
    return Lookup(form=form, failed=True)
