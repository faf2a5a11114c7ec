"""Finding an order by its number and the e-mail address or postal code it was placed with, behind
the rate limits: the one lookup the tracking page and the returns portal both use.

Every kind of miss (unknown number, wrong e-mail, wrong postal code) gets the same answer, and
only misses count, each taken from the limits *before* the lookup (an atomic count: concurrent
guesses cannot all pass a check made before any of them was counted) and given back when the
lookup finds the order. Two limits, on purpose unequal:

* per client (``AFTERCART_LOOKUP_LIMIT_PER_IP``, default 10 misses a window): the guesser's own
  budget. It never touches anyone else, so the customer looking up their own order from their own
  connection is not refused because somebody else guessed at it.
* per order number (``AFTERCART_LOOKUP_LIMIT_PER_ORDER``, default 50): the bar against guessing
  one order from many addresses. It is high because reaching it refuses everyone, the customer
  too, until the window ends: with one client's 10 it takes at least five addresses, and below it
  the customer is never refused. Lower it and a few addresses lock a customer out; raise it (or
  drop it) and a botnet guesses postal codes faster. The customer keeps the signed links in their
  e-mails, which no limit touches.
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
    """Take the rate limits, then look the posted number and contact up (a POST request)."""
    per_client, per_order = lookup_limits()
    client = per_client.take(client_ip(request))
    if client is None:
        return Lookup(form=None, retry_after=per_client.retry_after())
    form = LookupForm(request.POST)
    if not form.is_valid():
        return Lookup(form=form)  # counts as a try: the client's limit also caps empty posts
    number_key = normalise_number(form.cleaned_data["number"])
    order_try = per_order.take(number_key) if number_key else None
    if number_key and order_try is None:
        client.give_back()  # refused before looking: not a guess of this client's
        return Lookup(form=None, retry_after=per_order.retry_after())
    order = find_order(form.cleaned_data["number"], form.cleaned_data["contact"], store)
    if order is not None:
        # Found: not a miss, so neither limit keeps it.
        client.give_back()
        if order_try is not None:
            order_try.give_back()
        return Lookup(form=form, order=order)
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
