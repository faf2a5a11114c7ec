"""A customer's personal data in the key's store: export (a zip) and erasure (with its receipt)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema

from aftercart.api.problems import Problem, field_problem
from aftercart.privacy.services import NothingHeld, PrivacyRefused, customer_erase, customer_export
from aftercart.stores.http import StoreRequest

router = Router(tags=["privacy"])

_ERRORS: dict[int | str, Any] = {
    400: {"description": 'A body that does not fit this document (e.g. erase without `confirm: "erase"`).'},
    401: {"description": "No valid API key."},
    404: {"description": "Nothing held about this customer in this store."},
    422: {"description": "No e-mail or phone given, or one that is not an address or a number."},
}


class CustomerIn(Schema):
    """Who: the customer's e-mail address or phone number (either; both narrow nothing, they add)."""

    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32, description="E.164, or national in the store's country.")


class EraseIn(CustomerIn):
    confirm: Literal["erase"] = Field(description='Must be "erase": an erasure cannot be undone.')


class ReceiptOut(Schema):
    """The erasure's receipt: no personal data, the customer only by their pseudonym."""

    id: int
    kind: str
    subject: str
    requested_by: str
    matched_by: str
    requested_at: str
    completed_at: str
    counts: dict[str, dict[str, int]]


def refused_problem(refused: PrivacyRefused) -> Problem:
    """A request naming no usable customer (see :mod:`aftercart.api.v1`)."""
    return field_problem(
        "Invalid request", [{"field": refused.field, "message": refused.message}], status=422
    )


def nothing_held_problem(_: NothingHeld) -> Problem:
    return Problem(404, "Not found", "Nothing is held about this customer in this store.")


def _key_prefix(request: StoreRequest) -> str:
    # The receipt names the key by its public prefix ("ack_<prefix>_<secret>"), never the secret.
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    parts = token.split("_")
    return parts[1] if len(parts) > 2 else "?"


@router.post(
    "/export",
    response={200: None, 400: dict, 401: dict, 404: dict},
    summary="Export everything held about a customer",
    openapi_extra={
        "responses": {
            200: {
                "description": "A zip: personal-data.json (docs/privacy.md) and the customer's photos.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            },
            **_ERRORS,
        }
    },
)
def export(request: StoreRequest, payload: CustomerIn) -> HttpResponse:
    """Everything the key's store holds about the customer with this e-mail or phone number."""
    found = customer_export(request.store, email=payload.email, phone=payload.phone)
    response = HttpResponse(found.zip_bytes(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="personal-data.zip"'
    return response


@router.post(
    "/erase",
    response={200: ReceiptOut, 400: dict, 401: dict, 404: dict},
    summary="Erase a customer's personal data",
    openapi_extra={"responses": _ERRORS},
)
def erase(request: StoreRequest, payload: EraseIn) -> dict[str, Any]:
    """Pseudonymise everything the key's store holds about the customer (docs/privacy.md);
    ``confirm`` must be ``"erase"``. Answers the erasure's receipt."""
    receipt = customer_erase(
        request.store,
        email=payload.email,
        phone=payload.phone,
        requested_by=f"api-key:{_key_prefix(request)}",
    )
    return {
        "id": receipt.pk,
        "kind": receipt.kind,
        "subject": receipt.subject,
        "requested_by": receipt.requested_by,
        "matched_by": receipt.matched_by,
        "requested_at": receipt.requested_at.isoformat(),
        "completed_at": receipt.completed_at.isoformat(),
        "counts": receipt.counts,
    }
