"""Reads for claims and warranties: the store's policy, claims by number and in lists (the ops
queue), each claim's next step, the order as the claims policy sees it (the ledger's evidence),
the customer's earlier claims for the fraud guard, eligibility ("can I claim, and from when?")
and the warranty periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db.models import QuerySet

from aftercart.claims.models import (
    Claim,
    ClaimPhoto,
    ClaimPolicyVersion,
    WarrantyPeriod,
    WarrantyRegistration,
)
from aftercart.domain.claims import (
    ClaimHistory,
    ClaimPolicy,
    OrderForClaim,
    WarrantyTerms,
    Window,
)
from aftercart.domain.claims.next_step import ClaimNextStep
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.stores.models import Store


@dataclass(frozen=True)
class Eligibility:
    """Whether a claim of ``kind`` can be filed about one parcel (transit kinds, ``parcel_key``)
    or one line (warranty, ``line_id``): its :class:`Window`, the units still claimable, and the
    customer's next step when it is too early (the date it opens)."""

    kind: str
    window: Window
    parcel_key: str = ""
    tracking_number: str = ""
    carrier: str = ""
    line_id: str = ""
    #: ``(line_id, units)`` still claimable.
    lines: tuple[tuple[str, int], ...] = ()
    photos_required: bool = False
    resolutions: tuple[str, ...] = ()
    step: ClaimNextStep | None = None


def policy_current(store: Store) -> ClaimPolicyVersion | None:
    """The store's newest claims policy version (``None``: the defaults, never saved)."""
    raise NotImplementedError


def policy_of(version: ClaimPolicyVersion | None) -> ClaimPolicy:
    """The policy of ``version`` (the defaults for ``None``)."""
    raise NotImplementedError


def claim_by_number(store: Store, number: str) -> Claim | None:
    """The store's claim ``number`` with its order, policy, lines, photos and carrier claim."""
    raise NotImplementedError


def claims_list(
    store: Store,
    *,
    status: str | None = None,
    kind: str | None = None,
    needs_review: bool | None = None,
    overdue: bool | None = None,
    order_id: str | None = None,
) -> QuerySet[Claim]:
    """The store's claims, newest first, filtered (the ops queue: waiting statuses with
    ``needs_review=True``)."""
    raise NotImplementedError


def claims_for_order(order: Order) -> list[Claim]:
    """The order's claims, oldest first."""
    raise NotImplementedError


def claim_step(claim: Claim) -> ClaimNextStep:
    """The customer's next step on ``claim`` (render it with :func:`aftercart.kernel.presenter.present`)."""
    raise NotImplementedError


def claim_steps_for_order(order: Order) -> list[tuple[str, ClaimNextStep]]:
    """Each claim of ``order`` titled by its number, with its next step (the ops console)."""
    raise NotImplementedError


def order_for_claim(order: Order, state: OrderState, *, store_country: str = "") -> OrderForClaim:
    """The order as the claims policy sees it: each line with what was paid for it, what is
    already returned or claimed, and each parcel with its scans."""
    raise NotImplementedError


def claim_history(
    store: Store, *, email: str, address_key: str, payment_fingerprint: str = ""
) -> ClaimHistory:
    """The customer's earlier claims (not denied ones too: a denial is still a claim made)."""
    raise NotImplementedError


def warranty_terms(store: Store) -> WarrantyTerms:
    """The store's warranty periods by product and category."""
    raise NotImplementedError


def warranty_periods(store: Store) -> list[WarrantyPeriod]:
    """The store's warranty periods, products then categories."""
    raise NotImplementedError


def warranty_registrations_for_order(order: Order) -> list[WarrantyRegistration]:
    """The order's registered purchases."""
    raise NotImplementedError


def claim_eligibility(order: Order, *, now: datetime) -> list[Eligibility]:
    """For each kind, each parcel (transit kinds) or line (warranty): can a claim be filed now,
    from when, and until when. What the tracking page and ``GET /claims/eligibility`` show."""
    raise NotImplementedError


def claim_photo_file(photo: ClaimPhoto) -> Path:
    """Where ``photo`` is kept on disk."""
    raise NotImplementedError
