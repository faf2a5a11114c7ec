"""The operators' packing slips: every order of a store with its printable slip, and the slips of
all orders still to pack in one PDF (staff only, like the exception queue)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from aftercart.orders.models import Order
from aftercart.packing.batch import UNSHIPPED, batch_limit, unshipped_orders
from aftercart.packing.slips import packing_slips_pdf
from aftercart.stores.models import Store

PAGE_SIZE = 50


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_member_required
def packing_list(request: HttpRequest) -> HttpResponse:
    """A store's orders (those to pack first, then the rest, newest first), each with its slip."""
    stores = list(Store.objects.order_by("name"))
    store = next((s for s in stores if s.slug == request.GET.get("store")), stores[0] if stores else None)
    to_pack_only = request.GET.get("show") != "all"
    orders = Order.objects.filter(store=store).order_by("-placed_at", "-pk")
    if to_pack_only:
        orders = orders.filter(stage__in=UNSHIPPED)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/ops/packing_slips.html",
        {
            "stores": stores,
            "store": store,
            "to_pack_only": to_pack_only,
            "page": page,
            "limit": batch_limit(),
        },
    )


@staff_member_required
def packing_slip(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order's slip, as the API makes it."""
    order = get_object_or_404(Order.objects.select_related("store"), pk=order_id)
    return _pdf(packing_slips_pdf([order]), f"packing-slip-{order.public_id}.pdf")


@staff_member_required
def packing_slips_to_pack(request: HttpRequest, store: str) -> HttpResponse:
    """The slips of the store's orders still to pack, oldest first, up to the API's limit (a page
    request has the same budget; ``aftercart packing-slips --unshipped`` prints any number)."""
    found = get_object_or_404(Store, slug=store)
    orders = unshipped_orders(found)[: batch_limit()]
    if not orders:
        raise Http404("No orders to pack.")
    return _pdf(packing_slips_pdf(orders), f"packing-slips-{found.slug}.pdf")
