"""``/claims/<token>/warranty``: the order's products that come with a warranty, until when each
is covered, registering a purchase (with its serial number), and the way to a warranty claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from aftercart.claims.selectors import Eligibility, claim_eligibility, warranty_registrations_for_order
from aftercart.claims.services.warranty import WarrantyRefused, warranty_register
from aftercart.domain.claims import ClaimKind, WindowState
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.web.claims.start import _frame
from aftercart.web.pages import private, render_page, see_other
from aftercart.web.returns.access import open_order

MAX_SERIAL = 128


def warranty_lines(
    order: Order, now: datetime, eligibility: Sequence[Eligibility] | None = None
) -> list[dict[str, Any]]:
    """The order's lines whose product has a warranty period: until when it is covered (once
    delivered), whether a claim can be made now, and its registration if there is one."""
    items = claim_eligibility(order, now=now) if eligibility is None else eligibility
    covered = [
        e
        for e in items
        if e.kind == ClaimKind.WARRANTY.value and e.window.state is not WindowState.NOT_APPLICABLE
    ]
    if not covered:
        return []
    state = order_state(order)
    registered = {r.line_id: r for r in warranty_registrations_for_order(order)}
    out = []
    for item in covered:
        line = state.lines.get(item.line_id)
        registration = registered.get(item.line_id)
        out.append(
            {
                "line_id": item.line_id,
                "title": (line.title or line.sku) if line is not None else item.line_id,
                "variant": line.variant if line is not None else "",
                "until": item.window.closes_at,
                "state": item.window.state.value,
                "claimable": item.open,
                "registration": registration,
            }
        )
    return out


def _render(
    request: HttpRequest,
    opened: Any,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    serials: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    order, language = opened.order, opened.language
    errors, serials = errors or {}, serials or {}
    base = reverse("web:claims", kwargs={"token": token})
    with translation.override(language):
        lines = warranty_lines(order, opened.now)
        for index, line in enumerate(lines):
            line["index"] = index
            line["error"] = errors.get(line["line_id"], "")
            registration = line["registration"]
            line["serial"] = serials.get(line["line_id"], registration.serial_number if registration else "")
            query = {"kind": ClaimKind.WARRANTY.value, "line": line["line_id"], "lang": language}
            line["claim_url"] = f"{base}?{urlencode(query)}"
        context = _frame(
            request,
            opened,
            token,
            lines=lines,
            has_errors=bool(errors),
            registered=request.GET.get("registered", ""),
            register_url=reverse("web:claims-warranty", kwargs={"token": token}),
        )
    return private(render_page(request, "web/claims/warranty.html", context, language, status=status))


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def warranty_page(request: HttpRequest, token: str) -> HttpResponse:
    """``GET``: the order's products under warranty; ``POST`` (``line``, ``serial``): register
    one, then back here (303). A line that is not this order's, or has no warranty, writes nothing."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    if request.method != "POST":
        return _render(request, opened, token)
    assert opened.order is not None
    order = opened.order
    line_id = str(request.POST.get("line", ""))[:128]
    serial = str(request.POST.get("serial", "")).strip()[:MAX_SERIAL]
    with translation.override(opened.language):
        covered = {line["line_id"] for line in warranty_lines(order, opened.now)}
        if line_id not in covered:
            error = _("This item has no warranty to register.")
            return _render(request, opened, token, errors={line_id: error}, status=400)
        try:
            warranty_register(
                store=order.store,
                order=order,
                line_id=line_id,
                serial_number=serial,
                source="tracking_page",
                now=opened.now,
            )
        except WarrantyRefused:
            error = _("This item cannot be registered now. Please try again later.")
            return _render(
                request, opened, token, errors={line_id: error}, serials={line_id: serial}, status=400
            )
    url = reverse("web:claims-warranty", kwargs={"token": token})
    return private(see_other(f"{url}?{urlencode({'lang': opened.language, 'registered': line_id})}"))
