"""What a claim is judged on, from the order's ledger: the parcels with their scans
(:class:`ParcelEvidence`), the lines with what was paid for them (:class:`ClaimableLine`), the
customer's earlier claims (:class:`ClaimHistory`) and the warranty periods that apply
(:class:`WarrantyTerms`). Built by the claims app's selectors; pure data here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "ClaimHistory",
    "ClaimRequest",
    "ClaimableLine",
    "OrderForClaim",
    "ParcelEvidence",
    "RequestedUnits",
    "WarrantyTerms",
]


@dataclass(frozen=True)
class ParcelEvidence:
    """One parcel of the order as its carrier reported it."""

    key: str
    carrier: str = ""
    tracking_number: str = ""
    #: Lines and units it carries (empty: the whole order).
    lines: Mapping[str, int] = field(default_factory=dict)
    #: It crosses a border (the store's country differs from the destination's).
    international: bool = False
    created_at: datetime | None = None
    first_scan_at: datetime | None = None
    #: The carrier's latest scan or status change (any update).
    last_update_at: datetime | None = None
    delivered_at: datetime | None = None
    estimated_delivery: date | None = None
    #: The carrier's current status tag (``delivered``, ``in_transit``, ``exception`` ...).
    tag: str = "pending"

    @property
    def delivered(self) -> bool:
        """The carrier says it was delivered."""
        return self.tag == "delivered" and self.delivered_at is not None

    @property
    def last_activity(self) -> datetime | None:
        """When anything last happened to it: the last update, else the first scan, else when the
        label was made."""
        return self.last_update_at or self.first_scan_at or self.created_at

    def carries(self, line_id: str) -> bool:
        """Whether the parcel carries ``line_id`` (a parcel listing no lines carries them all)."""
        return not self.lines or line_id in self.lines


@dataclass(frozen=True)
class ClaimableLine:
    """One order line: what was paid for all its units and how many may still be claimed."""

    line_id: str
    quantity: int
    #: Everything paid for the line's units (merchandise after discounts, tax, shipping).
    paid: Decimal
    sku: str = ""
    product_id: str = ""
    title: str = ""
    category: str = ""
    #: Units already returned (not cancelled or rejected) or never sent: not claimable.
    returned_quantity: int = 0
    unsent_quantity: int = 0
    #: Units in other claims that still stand (not denied), by the parcel they are about ("" for
    #: warranty claims, which are about the product).
    claimed: Mapping[str, int] = field(default_factory=dict)
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class OrderForClaim:
    """The order a claim is filed on."""

    currency: str
    placed_at: datetime
    lines: tuple[ClaimableLine, ...]
    parcels: tuple[ParcelEvidence, ...] = ()
    cancelled: bool = False

    def line(self, line_id: str) -> ClaimableLine | None:
        """The line ``line_id``, or ``None``."""
        return next((ln for ln in self.lines if ln.line_id == line_id), None)

    def parcel(self, key: str) -> ParcelEvidence | None:
        """The parcel with key, shipment id or tracking number ``key``, or ``None``."""
        wanted = key.strip()
        for parcel in self.parcels:
            if wanted and wanted in (parcel.key, parcel.tracking_number):
                return parcel
        return None


@dataclass(frozen=True)
class RequestedUnits:
    """Units of one line the claim is about."""

    line_id: str
    quantity: int


@dataclass(frozen=True)
class ClaimRequest:
    """What the customer asks: the kind, the lines, the parcel (transit kinds; "" picks the only
    parcel carrying the lines), how many photos came with it and the resolution they prefer."""

    kind: str
    lines: tuple[RequestedUnits, ...]
    parcel_key: str = ""
    photos: int = 0
    preferred_resolution: str = ""


@dataclass(frozen=True)
class ClaimHistory:
    """The customer's earlier claims (not this one), as times they were filed: by the same
    customer (e-mail), to the same delivery address, paid with the same card, and the "delivered
    but not received" ones at that address."""

    by_customer: tuple[datetime, ...] = ()
    by_address: tuple[datetime, ...] = ()
    by_card: tuple[datetime, ...] = ()
    not_received_at_address: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class WarrantyTerms:
    """The store's warranty periods in days, by product id (or SKU) and by category."""

    by_product: Mapping[str, int] = field(default_factory=dict)
    by_category: Mapping[str, int] = field(default_factory=dict)

    def days_for(self, line: ClaimableLine, default: int | None) -> int | None:
        """The line's warranty in days: its product's, else its SKU's, else its category's, else
        ``default`` (``None``: no warranty)."""
        for key in (line.product_id, line.sku):
            if key and key in self.by_product:
                return self.by_product[key]
        if line.category and line.category in self.by_category:
            return self.by_category[line.category]
        return default
