"""What the customer may claim on an order, as the pages show it: each kind the policy allows now
(or from a date), the lines and units it covers, the resolutions it allows, and whether photos
are required — all read from :func:`aftercart.claims.selectors.claim_eligibility` (the policy's
windows), never decided here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aftercart.claims.selectors import Eligibility, claim_eligibility
from aftercart.domain.claims import ClaimKind, WindowState
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order


@dataclass
class ClaimRow:
    """One line (or the units of it in one parcel) the customer can pick on the form."""

    index: int
    line_id: str
    parcel: str
    title: str
    variant: str
    units: int
    tracking_number: str = ""
    picked: int = 0
    error: str = ""

    @property
    def choices(self) -> list[int]:
        return list(range(0, self.units + 1))


@dataclass
class KindOffer:
    """One kind of claim as the order allows it now."""

    kind: str
    open: list[Eligibility] = field(default_factory=list)
    #: Not yet open: the one that opens first (its ``step`` says from when).
    too_early: Eligibility | None = None

    @property
    def is_open(self) -> bool:
        return bool(self.open)

    @property
    def resolutions(self) -> tuple[str, ...]:
        found = self.open or ([self.too_early] if self.too_early else [])
        return found[0].resolutions if found else ()

    @property
    def photos_required(self) -> bool:
        return any(e.photos_required for e in self.open)


def kind_offers(
    order: Order, now: datetime, eligibility: Sequence[Eligibility] | None = None
) -> dict[str, KindOffer]:
    """The kinds a claim can be filed under now, or later (too early), in the policy's order of
    kinds; kinds whose window is closed or that do not apply to the order are left out.
    ``eligibility`` is :func:`claim_eligibility`'s answer when the caller has it already."""
    offers: dict[str, KindOffer] = {}
    for item in claim_eligibility(order, now=now) if eligibility is None else eligibility:
        if item.open:
            offers.setdefault(item.kind, KindOffer(item.kind)).open.append(item)
        elif item.window.state is WindowState.TOO_EARLY:
            offer = offers.setdefault(item.kind, KindOffer(item.kind))
            if offer.too_early is None or _opens(item) < _opens(offer.too_early):
                offer.too_early = item
    order_of = {k.value: i for i, k in enumerate(ClaimKind)}
    return dict(sorted(offers.items(), key=lambda kv: order_of.get(kv[0], 99)))


def _opens(item: Eligibility) -> float:
    # Opening "once delivered" (no date) comes after any date.
    return item.window.opens_at.timestamp() if item.window.opens_at else float("inf")


def claim_rows(offer: KindOffer, state: OrderState) -> list[ClaimRow]:
    """The form's rows for an open kind: each line with units left, per parcel (transit kinds)."""
    rows: list[ClaimRow] = []
    for item in offer.open:
        for line_id, units in item.lines:
            if units <= 0:
                continue
            line = state.lines.get(line_id)
            rows.append(
                ClaimRow(
                    index=len(rows),
                    line_id=line_id,
                    parcel=item.parcel_key,
                    title=(line.title or line.sku) if line is not None else line_id,
                    variant=line.variant if line is not None else "",
                    units=units,
                    tracking_number=item.tracking_number,
                )
            )
    return rows
