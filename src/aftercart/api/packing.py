"""Packing slips as PDF: one order's, or a pick list's (many orders in one PDF)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Router, Schema

from aftercart.api.problems import Problem
from aftercart.packing.batch import SlipsRefused, batch_limit, order_for_slip, orders_for_slips
from aftercart.packing.slips import packing_slips_pdf
from aftercart.stores.http import StoreRequest

router = Router(tags=["packing slips"])

OrderId = Annotated[str, Field(min_length=1, max_length=128)]


class SlipsIn(Schema):
    """The orders of a pick list, by the store's own ids, in the order the slips should print."""

    order_ids: list[OrderId] = Field(
        ..., min_length=1, description="One or more; at most AFTERCART_PACKING_SLIPS_MAX (100) ids."
    )


def refusal_problem(refused: SlipsRefused) -> Problem:
    """The problem answering a refused batch (nothing rendered, nothing written)."""
    kind = {404: "not-found", 413: "too-many-orders"}.get(refused.status, "unknown-orders")
    return Problem(refused.status, refused.title, refused.detail, kind=kind, errors=refused.errors)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get(
    "/orders/{order_id}/packing-slip.pdf",
    summary="The order's packing slip (PDF)",
    response={200: bytes},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def order_packing_slip(request: StoreRequest, order_id: str) -> HttpResponse:
    """The insert for the parcel: items, care instructions, QR codes to the order's tracking page,
    the returns portal and the store's review page, in the order's language. 404 problem for an
    order the store does not have."""
    order = order_for_slip(request.store, order_id)
    return _pdf(packing_slips_pdf([order]), f"packing-slip-{order.public_id}.pdf")


@router.post(
    "/packing-slips.pdf",
    summary="Packing slips for a pick list (one PDF)",
    response={200: bytes},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def packing_slips(request: StoreRequest, payload: SlipsIn) -> HttpResponse:
    """One PDF, a slip per order in the order given (a repeated id prints once). A POST because a
    pick list outgrows a URL; it writes nothing. 400 problem naming every unknown id (no PDF
    then), 413 beyond the limit."""
    orders = orders_for_slips(request.store, payload.order_ids, limit=batch_limit())
    return _pdf(packing_slips_pdf(orders), f"packing-slips-{len(orders)}.pdf")
