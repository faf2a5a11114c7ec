"""Finding an order by its number and the e-mail address or postal code it was placed with, behind
the rate limits: the one lookup the tracking page and the returns portal both use.

Every kind of miss (unknown number, wrong e-mail, wrong postal code) gets the same answer, and
only misses count against an order number, so a customer who mistypes once is not locked out
while guessing postal codes for one order is capped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from aftercart.orders.models import Order
from aftercart.orders.selectors import find_order, normalise_number
from aftercart.orders.tokens import make_tracking_token
from aftercart.stores.models import Store
from aftercart.web.language import choose_language, language_links, supported_language
from aftercart.web.pages import page_frame, rate_limited, render_page, see_other, store_param
from aftercart.web.ratelimit import client_ip, lookup_limits


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


def lookup_page(request: HttpRequest, *, template: str, destination: str) -> HttpResponse:
    """The lookup form (GET) and its answer (POST): on a match, a redirect to the order's signed
    page named ``destination`` (a URL name taking ``token``), keeping an explicit language choice;
    on a miss, the form again with the one answer every miss gets."""
    store = store_param(request)
    explicit = supported_language(request.POST.get("lang") or request.GET.get("lang")) or ""
    language = choose_language(request, store=store, explicit=explicit)
    context = page_frame(request, store, language, explicit_lang=explicit, failed=False)
    context["languages"] = language_links(request, language, keep={"store": store.slug if store else ""})
    if request.method != "POST":
        context["form"] = LookupForm(initial={"number": request.GET.get("number", "")[:64]})
        return render_page(request, template, context, language)
    found = lookup_post(request, store)
    if found.retry_after:
        return rate_limited(request, context, language, found.retry_after)
    if found.order is not None:
        url = reverse(destination, kwargs={"token": make_tracking_token(found.order)})
        return see_other(url + (f"?{urlencode({'lang': explicit})}" if explicit else ""))
    context["form"], context["failed"] = found.form, found.failed
    return render_page(request, template, context, language)
