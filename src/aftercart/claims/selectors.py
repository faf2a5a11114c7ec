"""Reads for claims and warranties: the store's policy, claims by number and in lists (the ops
queue), each claim's next step, the order as the claims policy sees it (the ledger's evidence),
the customer's earlier claims for the fraud guard, eligibility ("can I claim, and from when?")
and the warranty periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db.models import Q, QuerySet

from aftercart.claims.models import (
    Claim,
    ClaimLine,
    ClaimPhoto,
    ClaimPolicyVersion,
    WarrantyPeriod,
    WarrantyRegistration,
)
from aftercart.domain.addresses import postal_code_key
from aftercart.domain.claims import (
    TRANSIT_KINDS,
    ClaimableLine,
    ClaimHistory,
    ClaimKind,
    ClaimPolicy,
    ClaimStatus,
    OrderForClaim,
    ParcelEvidence,
    ResolutionKind,
    WarrantyTerms,
    Window,
    WindowState,
    available_units,
    claim_window,
)
from aftercart.domain.claims.next_step import ClaimNextStep, claim_next_step, claim_too_early_step
from aftercart.domain.facts import FactKind
from aftercart.domain.money import Money
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import quantize
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.returns import selectors as returns_selectors
from aftercart.returns.photos import photos_root
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

    @property
    def open(self) -> bool:
        """A claim can be filed now (the window is open and units are left)."""
        return self.window.state is WindowState.OPEN and any(units for _, units in self.lines)


# -- the policy --------------------------------------------------------------------------------------


def policy_current(store: Store) -> ClaimPolicyVersion | None:
    """The store's newest claims policy version (``None``: the defaults, never saved)."""
    return ClaimPolicyVersion.objects.filter(store=store).order_by("-version").first()


def policy_of(version: ClaimPolicyVersion | None) -> ClaimPolicy:
    """The policy of ``version`` (the defaults for ``None``)."""
    if version is None:
        return ClaimPolicy(version=0)
    return ClaimPolicy.from_dict(version.data, version=version.version)


# -- claims ------------------------------------------------------------------------------------------


def _claims(store: Store) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(store=store)
        .select_related("order", "policy", "store", "carrier_claim", "registration")
        .prefetch_related("lines", "photos", "facts")
    )


def claim_by_number(store: Store, number: str) -> Claim | None:
    """The store's claim ``number`` with its order, policy, lines, photos and carrier claim."""
    return _claims(store).filter(number=number.strip().upper()).first()


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
    qs = (
        Claim.objects.filter(store=store)
        .select_related("order", "policy", "carrier_claim")
        .prefetch_related("lines", "photos")
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if needs_review is not None:
        qs = qs.filter(needs_review=needs_review)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    if order_id:
        qs = qs.filter(order__external_id=order_id)
    return qs.order_by("-created_at", "-pk")


def claims_for_order(order: Order) -> list[Claim]:
    """The order's claims, oldest first."""
    return list(
        Claim.objects.filter(order=order)
        .select_related("order", "policy", "carrier_claim")
        .prefetch_related("lines", "photos")
        .order_by("created_at", "pk")
    )


def claim_money(claim: Claim) -> Money:
    """What a money resolution of ``claim`` pays: what was paid out, else the claimed value."""
    amount = claim.payout_amount if claim.payout_amount > 0 else claim.claimed_value
    return Money(quantize(amount, claim.currency), claim.currency)


def claim_step(claim: Claim) -> ClaimNextStep:
    """The customer's next step on ``claim`` (render it with :func:`aftercart.kernel.presenter.present`)."""
    return claim_next_step(
        ClaimStatus(claim.status),
        number=claim.number,
        decide_by=claim.decision_due_at,
        resolution=claim.resolution or claim.preferred_resolution,
        amount=claim_money(claim),
        denial_reason=claim.denial_reason,
        evidence_request=claim.evidence_request,
        replacement_tracking=claim.reship_tracking_number,
        replacement_carrier=claim.reship_carrier,
    )


def claim_steps_for_order(order: Order) -> list[tuple[str, ClaimNextStep]]:
    """Each claim of ``order`` titled by its number, with its next step (the ops console)."""
    return [(f"Claim {c.number}", claim_step(c)) for c in claims_for_order(order)]


# -- the order as the claims policy sees it -----------------------------------------------------------


def _order_payloads(order: Order) -> list[Mapping[str, Any]]:
    rows = (
        FactRow.objects.filter(
            order=order, kind__in=[FactKind.ORDER_PLACED.value, FactKind.ORDER_UPDATED.value]
        )
        .order_by("occurred_at", "pk")
        .values_list("payload", flat=True)
    )
    return [p for p in rows if isinstance(p, Mapping)]


def address_key(order: Order, state: OrderState) -> str:
    """The delivery address as the fraud guard compares it: the shipping address's first street
    line, postal code and country without case, spaces or punctuation (the latest the order's facts
    give), else the order's postal code and country; "" when nothing is known."""
    street, postal, country = "", state.postal_code, state.country
    for payload in _order_payloads(order):
        shipping = payload.get("shipping_address")
        if isinstance(shipping, Mapping):
            street = str(shipping.get("street1") or "")
            postal = str(shipping.get("zip") or postal)
            country = str(shipping.get("country") or country)
    postal = postal_code_key(postal)
    if not postal and not street:
        return ""
    words = "".join(ch for ch in street.casefold() if ch.isalnum())
    return f"{country.upper()}:{postal}:{words}"[:300]


def claimed_units(order: Order, *, exclude: Claim | None = None) -> dict[str, dict[str, int]]:
    """Units of each line in the order's claims that stand, by the parcel they are about: a
    transit claim not denied counts against its parcel; a warranty claim not denied (and not
    settled by a repair or a replacement, after which the item may fail again), and any claim
    settled in money, count against the product (key ``""``)."""
    rows = ClaimLine.objects.filter(claim__order=order).exclude(claim__status=ClaimStatus.DENIED.value)
    if exclude is not None:
        rows = rows.exclude(claim=exclude)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    money = {ResolutionKind.REFUND.value, ResolutionKind.STORE_CREDIT.value}
    for line_id, units, kind, key, status, resolution in rows.values_list(
        "line_id", "quantity", "claim__kind", "claim__shipment_key", "claim__status", "claim__resolution"
    ):
        per = out[line_id]
        if kind != ClaimKind.WARRANTY.value:
            per[key] = per.get(key, 0) + units
        settled_in_kind = status == ClaimStatus.RESOLVED.value and resolution not in money
        if resolution in money or (kind == ClaimKind.WARRANTY.value and not settled_in_kind):
            per[""] = per.get("", 0) + units
    return dict(out)


def _parcel(shipment: Any, international: bool) -> ParcelEvidence:
    return ParcelEvidence(
        key=shipment.key,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        lines=dict(shipment.lines),
        international=international,
        created_at=shipment.created_at,
        first_scan_at=shipment.first_scan_at,
        last_update_at=shipment.last_checkpoint_at or shipment.status_at,
        delivered_at=shipment.delivered_at,
        estimated_delivery=shipment.estimated_delivery,
        tag=shipment.tag.value,
    )


def order_placed(order: Order, state: OrderState) -> bool:
    """Whether the store sent the order itself (its lines): an order known only from a carrier
    scan has nothing to claim yet."""
    return returns_selectors.order_placed(order, state)


def order_for_claim(order: Order, state: OrderState, *, store_country: str = "") -> OrderForClaim:
    """The order as the claims policy sees it: each line with what was paid for it, what is
    already returned or claimed, and each parcel with its scans. Call for a placed order."""
    paid = returns_selectors.order_for_return(order, state)
    catalogue = returns_selectors.policy_of(returns_selectors.policy_current(order.store))
    claimed = claimed_units(order)
    lines = tuple(
        ClaimableLine(
            line_id=ln.line_id,
            quantity=ln.quantity,
            paid=ln.amounts.paid,
            sku=ln.sku,
            product_id=ln.product_id,
            title=ln.title,
            category=catalogue.category_of(product_id=ln.product_id, sku=ln.sku, given=ln.category),
            returned_quantity=ln.returned_quantity,
            unsent_quantity=ln.unsent_quantity,
            claimed=claimed.get(ln.line_id, {}),
            delivered_at=ln.delivered_at,
        )
        for ln in paid.lines
    )
    home = (store_country or order.store.country).upper()
    away = (state.country or "").upper()
    international = bool(home and away and home != away)
    parcels = tuple(_parcel(s, international) for s in state.shipments.values())
    return OrderForClaim(
        currency=paid.currency,
        placed_at=paid.placed_at,
        lines=lines,
        parcels=parcels,
        cancelled=state.cancelled_at is not None and not state.shipments,
    )


def claim_history(
    store: Store, *, email: str, address_key: str, payment_fingerprint: str = ""
) -> ClaimHistory:
    """The customer's earlier claims (denied ones too: a denial is still a claim made), by the
    same e-mail, to the same address, paid with the same card; and the "delivered but not
    received" ones at that address."""
    who = Q(pk__in=[])
    if email:
        who |= Q(email=email)
    if address_key:
        who |= Q(address_key=address_key)
    if payment_fingerprint:
        who |= Q(payment_fingerprint=payment_fingerprint)
    rows = list(
        Claim.objects.filter(who, store=store)
        .order_by("created_at")
        .values_list("created_at", "email", "address_key", "payment_fingerprint", "kind")
    )
    return ClaimHistory(
        by_customer=tuple(t for t, e, _a, _p, _k in rows if email and e == email),
        by_address=tuple(t for t, _e, a, _p, _k in rows if address_key and a == address_key),
        by_card=tuple(t for t, _e, _a, p, _k in rows if payment_fingerprint and p == payment_fingerprint),
        not_received_at_address=tuple(
            t for t, _e, a, _p, k in rows if address_key and a == address_key and k == ClaimKind.STOLEN.value
        ),
    )


# -- warranties --------------------------------------------------------------------------------------


def warranty_periods(store: Store) -> list[WarrantyPeriod]:
    """The store's warranty periods, products then categories."""
    return list(WarrantyPeriod.objects.filter(store=store).order_by("-scope", "key"))


def warranty_terms(store: Store) -> WarrantyTerms:
    """The store's warranty periods by product and category."""
    periods = warranty_periods(store)
    return WarrantyTerms(
        by_product={p.key: p.days for p in periods if p.scope == WarrantyPeriod.Scope.PRODUCT},
        by_category={p.key: p.days for p in periods if p.scope == WarrantyPeriod.Scope.CATEGORY},
    )


def warranty_registrations_for_order(order: Order) -> list[WarrantyRegistration]:
    """The order's registered purchases."""
    return list(WarrantyRegistration.objects.filter(order=order).order_by("registered_at", "pk"))


# -- eligibility -------------------------------------------------------------------------------------


def claim_eligibility(order: Order, *, now: datetime) -> list[Eligibility]:
    """For each kind, each parcel (transit kinds) or line (warranty): can a claim be filed now,
    from when, and until when. What the tracking page and ``GET /claims/eligibility`` show.
    An order not placed yet (only its tracking known) or cancelled before shipping: nothing."""
    state = order_state(order)
    if not order_placed(order, state):
        return []
    policy = policy_of(policy_current(order.store))
    the_order = order_for_claim(order, state)
    if the_order.cancelled:
        return []
    terms = warranty_terms(order.store)
    out: list[Eligibility] = []
    for kind in ClaimKind:
        photos = policy.needs_photos(kind)
        offered = tuple(r.value for r in policy.resolutions_for(kind))
        if kind in TRANSIT_KINDS:
            for parcel in the_order.parcels:
                window = claim_window(policy, kind, now=now, placed_at=the_order.placed_at, parcel=parcel)
                units = tuple(
                    (ln.line_id, available_units(ln, kind, parcel))
                    for ln in the_order.lines
                    if parcel.carries(ln.line_id)
                )
                out.append(
                    Eligibility(
                        kind.value,
                        window,
                        parcel_key=parcel.key,
                        tracking_number=parcel.tracking_number,
                        carrier=parcel.carrier,
                        lines=units,
                        step=claim_too_early_step(window.opens_at)
                        if window.state is WindowState.TOO_EARLY
                        else None,
                        photos_required=photos,
                        resolutions=offered,
                    )
                )
        else:
            for line in the_order.lines:
                window = claim_window(
                    policy, kind, now=now, placed_at=the_order.placed_at, line=line, warranty=terms
                )
                out.append(
                    Eligibility(
                        kind.value,
                        window,
                        line_id=line.line_id,
                        lines=((line.line_id, available_units(line, kind, None)),),
                        photos_required=photos,
                        resolutions=offered,
                    )
                )
    return out


def claim_photo_file(photo: ClaimPhoto) -> Path:
    """Where ``photo`` is kept on disk."""
    return photos_root() / photo.path
