"""Filing a claim: judged by the store's current claims policy from the order's ledger, recorded
with its lines and photos, approved at once under the store's limits or queued for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aftercart.claims.models import Claim
from aftercart.orders.models import Order
from aftercart.stores.models import Store


class ClaimRefused(Exception):
    """The request cannot become a claim as asked; nothing was written. ``code`` names the first
    problem (``unknown_line``, ``over_quantity``, ``already_claimed``, ``order_cancelled``,
    ``window_closed``, ``too_early``, ``photos_required``, ``photo_too_large``,
    ``photo_not_an_image``, ``resolution_not_offered``, ``duplicate_submission`` …), ``errors``
    all of them by field; ``open_from`` is set for ``too_early`` (``None``: once delivered)."""

    def __init__(
        self,
        code: str,
        text: str,
        *,
        errors: list[dict[str, str]] | None = None,
        open_from: datetime | None = None,
        existing: Claim | None = None,
    ):
        super().__init__(text)
        self.code, self.text = code, text
        self.errors = errors or [{"field": "body", "code": code, "message": text}]
        self.open_from, self.existing = open_from, existing


@dataclass(frozen=True)
class ClaimLineIn:
    """Units of one order line the claim is about."""

    line_id: str
    quantity: int = 1


@dataclass(frozen=True)
class ClaimPhotoIn:
    """A photo as uploaded: its file name, its bytes, and the line it shows ("" for the parcel)."""

    name: str
    data: bytes
    line_id: str = ""


@dataclass(frozen=True)
class FileResult:
    claim: Claim
    created: bool


def claim_file(
    *,
    store: Store,
    order: Order,
    kind: str,
    lines: Sequence[ClaimLineIn],
    shipment: str = "",
    description: str = "",
    preferred_resolution: str = "",
    photos: Sequence[ClaimPhotoIn] = (),
    client_key: str = "",
    payment_fingerprint: str = "",
    source: str = "api",
    actor: str = "",
    now: datetime | None = None,
) -> FileResult:
    """File a claim of ``kind`` on ``order`` — the order the caller's signed link or API key
    resolved; the caller must never pass an order the customer did not prove is theirs.

    ``shipment`` names the parcel (its key, shipment id or tracking number; "" picks the only
    parcel carrying the lines). Photos are checked by content (size cap, real image decode) and
    kept re-encoded without EXIF, written only once the claim commits. Judged by the store's
    current policy: approved at once under its limits, else queued for a person
    (``needs_review``). Anything refused — including too early, which carries the date from which
    it can be filed — raises :class:`ClaimRefused` and writes nothing. The same ``client_key``
    again returns the claim already made (``created=False``)."""
    raise NotImplementedError
