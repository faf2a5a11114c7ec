"""Server-rendered pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from aftercart.cases.choices import customer_choice_record
from aftercart.domain.options import ChoiceRefused, Situation
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import (
    link_days_after_delivery,
    link_expired,
    make_tracking_token,
    read_tracking_token,
)
from aftercart.stores.models import Store
from aftercart.web.ratelimit import client_ip, lookup_limits
from aftercart.web.tracking import (
    REFUSALS,
    brand_theme,
    choose_language,
    find_order,
    language_links,
    normalise_number,
    store_view,
    supported_language,
    tracking_context,
)


def home(request: HttpRequest) -> HttpResponse:
    """The front door of an installation: what is here and where to go."""
    return render(request, "web/home.html", {"stores": Store.objects.all()[:20]})


class LookupForm(forms.Form):
    """Order number plus the e-mail address or postal code the order was placed with."""

    number = forms.CharField(max_length=64, error_messages={"required": _("Enter your order number.")})
    contact = forms.CharField(
        max_length=254,
        error_messages={"required": _("Enter the e-mail address or postal code you ordered with.")},
    )


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], language: str, status: int = 200
) -> HttpResponse:
    """Render in ``language`` (not necessarily the one LocaleMiddleware picked) and say so."""
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    # The language may come from Accept-Language, so shared caches must key on it.
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _page(request: HttpRequest, store: Store | None, language: str, **extra: Any) -> dict[str, Any]:
    """What every tracking page's frame needs: brand, theme and the language switcher."""
    return {
        "language": language,
        "languages": language_links(request, language),
        "store": store_view(store),
        "theme": brand_theme(store.branding if store else None),
        **extra,
    }


def _store_param(request: HttpRequest) -> Store | None:
    slug = (request.POST.get("store") or request.GET.get("store") or "").strip()
    return Store.objects.filter(slug=slug).first() if slug and len(slug) <= 64 else None


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """``/track``: find an order by its number and the e-mail address or postal code it was placed
    with, then go to its signed tracking link. Every kind of miss gets the same answer."""
    store = _store_param(request)
    explicit = supported_language(request.POST.get("lang") or request.GET.get("lang")) or ""
    language = choose_language(request, store=store, explicit=explicit)
    context = _page(request, store, language, explicit_lang=explicit, failed=False)
    context["languages"] = language_links(request, language, keep={"store": store.slug if store else ""})
    if request.method != "POST":
        context["form"] = LookupForm(initial={"number": request.GET.get("number", "")[:64]})
        return _render(request, "web/track/lookup.html", context, language)

    per_ip, per_order = lookup_limits()
    ip = client_ip(request)
    number_key = normalise_number(request.POST.get("number", ""))
    if per_ip.exceeded(ip) or (number_key and per_order.exceeded(number_key)):
        return _rate_limited(request, context, language, per_ip.retry_after())
    per_ip.hit(ip)
    form = LookupForm(request.POST)
    context["form"] = form
    if form.is_valid():
        order = find_order(form.cleaned_data["number"], form.cleaned_data["contact"], store)
        if order is not None:
            url = reverse("web:track-order", kwargs={"token": make_tracking_token(order)})
            response = HttpResponseRedirect(url + (f"?{urlencode({'lang': explicit})}" if explicit else ""))
            response.status_code = 303  # See Other: the browser GETs the page, and Back does not re-post
            return response
        if number_key:
            # Only misses count against the number, so a customer who mistypes once and then
            # succeeds is not locked out, while guessing postal codes for one order is capped.
            per_order.hit(number_key)
        context["failed"] = True
    return _render(request, "web/track/lookup.html", context, language)


def _rate_limited(request: HttpRequest, context: dict[str, Any], language: str, retry: int) -> HttpResponse:
    context["minutes"] = max((retry + 59) // 60, 1)
    response = _render(request, "web/track/rate_limited.html", context, language, status=429)
    response["Retry-After"] = str(retry)
    return response


@never_cache
@require_safe
def track_order(request: HttpRequest, token: str) -> HttpResponse:
    """``/t/<token>``: one order's tracking page; 404 for a forged or revoked link, 410 once the
    link has expired."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = _page(request, None, language, reason="invalid")
        return _private(_render(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state, step = order_view(order, now)
    language = choose_language(request, state=state, store=order.store)
    if link_expired(state, now):
        context = _page(request, order.store, language, reason="expired", days=link_days_after_delivery())
        return _private(_render(request, "web/track/link_problem.html", context, language, status=410))
    context = tracking_context(order, now, language, state=state, step=step)
    context["languages"] = language_links(request, language)
    context["choice_url"] = reverse("web:track-choice", kwargs={"token": token})
    answered = request.GET.get("answered", "")
    context["answered"] = answered in ("1", *(s.value for s in Situation))
    context["answered_line"] = answered in ("1", Situation.ITEM_UNAVAILABLE.value)
    return _private(_render(request, "web/track/order.html", context, language))


@never_cache
@csrf_protect
@require_POST
def track_choice(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /t/<token>/choices``: the customer's answer to an exception on their order (an
    unavailable item, a pickup not collected in time, an order late and not yet shipped).

    ``subject`` names what the answer is about (``line:<id>``, a shipment, or "" for the order;
    ``line`` is accepted for a line) and ``choice`` the answer. The domain checks it against what is
    on offer now; a valid one is a ``customer.choice`` fact in the ledger (keyed so that a double
    submit changes nothing), then back to the page (303), which shows the answer and the next step
    that follows from it. A stale or invalid answer writes nothing and says why (400).
    """
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = _page(request, None, language, reason="invalid")
        return _private(_render(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state = order_view(order, now)[0]
    language = choose_language(request, state=state, store=order.store)
    if link_expired(state, now):
        context = _page(request, order.store, language, reason="expired", days=link_days_after_delivery())
        return _private(_render(request, "web/track/link_problem.html", context, language, status=410))
    page_url = reverse("web:track-order", kwargs={"token": token})
    subject = str(request.POST.get("subject", ""))[:200]
    if "line" in request.POST:
        subject = f"line:{str(request.POST.get('line', ''))[:128]}"
    choice = str(request.POST.get("choice", ""))[:32]
    try:
        recorded = customer_choice_record(
            order=order, state=state, subject=subject, choice=choice, source="tracking_page", now=now
        )
    except ChoiceRefused as refused:
        context = _page(request, order.store, language, page_url=page_url)
        with translation.override(language):
            context["problem"] = str(REFUSALS[refused.reason])
        return _private(_render(request, "web/track/choice_problem.html", context, language, status=400))
    situation = recorded.offer.situation
    answered = "1" if situation is Situation.ITEM_UNAVAILABLE else situation.value
    response = HttpResponseRedirect(f"{page_url}?{urlencode({'answered': answered})}")
    response.status_code = 303  # See Other: the browser GETs the page, and Back does not re-post
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    # The URL is the key to the page: never send it on to carriers, maps or logo hosts, and keep
    # the page out of search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
