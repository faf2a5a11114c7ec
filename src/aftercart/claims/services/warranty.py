"""Warranty periods (per product or category) and registered purchases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from aftercart.claims import selectors
from aftercart.claims.models import WarrantyPeriod, WarrantyRegistration
from aftercart.domain.claims import ClaimKind, claim_window
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.stores.models import Store

#: The longest warranty a store can set (days): 30 years.
MAX_DAYS = 30 * 366


class WarrantyRefused(Exception):
    """A registration or period that cannot be saved (``code``: ``unknown_line``,
    ``order_cancelled``, ``order_not_placed``, ``invalid_period``); nothing was written."""

    def __init__(self, code: str, text: str, field: str = "line_id"):
        super().__init__(text)
        self.code, self.text, self.field = code, text, field


@dataclass(frozen=True)
class RegisterResult:
    registration: WarrantyRegistration
    created: bool


def warranty_period_set(
    *, store: Store, scope: str, key: str, days: int, now: datetime | None = None
) -> WarrantyPeriod:
    """Set the warranty of a product (``scope="product"``, ``key`` its product id or SKU) or a
    category (``scope="category"``) to ``days`` from delivery (1 to 30 years' worth)."""
    now = now or timezone.now()
    if scope not in WarrantyPeriod.Scope.values:
        raise WarrantyRefused("invalid_period", "scope is 'product' or 'category'", "scope")
    key = key.strip()
    if not key or len(key) > 128:
        raise WarrantyRefused(
            "invalid_period", "name the product or category (at most 128 characters)", "key"
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise WarrantyRefused("invalid_period", f"days must be between 1 and {MAX_DAYS}", "days")
    period, _created = WarrantyPeriod.objects.update_or_create(
        store=store, scope=scope, key=key, defaults={"days": days, "updated_at": now}
    )
    return period


def warranty_period_delete(*, store: Store, scope: str, key: str) -> bool:
    """Remove a period; whether one was there."""
    deleted, _ = WarrantyPeriod.objects.filter(store=store, scope=scope, key=key.strip()).delete()
    return deleted > 0


def warranty_register(
    *,
    store: Store,
    order: Order,
    line_id: str,
    serial_number: str = "",
    source: str = "tracking_page",
    now: datetime | None = None,
) -> RegisterResult:
    """Register the purchase of ``line_id`` on ``order`` (the order the signed link resolved) for
    its warranty: the period that applies now and its end are kept with it (no period: kept
    without one, so a claim later still finds the registration). Registering the same line again
    updates the serial number (``created=False``)."""
    now = now or timezone.now()
    if order.store_id != store.pk:
        raise WarrantyRefused("unknown_order", "not an order of this store", "order_id")
    with transaction.atomic():
        state = order_state(order)
        if not selectors.order_placed(order, state):
            raise WarrantyRefused("order_not_placed", "the order has no lines yet", "order_id")
        the_order = selectors.order_for_claim(order, state)
        if the_order.cancelled:
            raise WarrantyRefused("order_cancelled", "the order was cancelled", "order_id")
        line = the_order.line(line_id)
        if line is None:
            raise WarrantyRefused("unknown_line", "not an item of this order")
        policy = selectors.policy_of(selectors.policy_current(store))
        window = claim_window(
            policy,
            ClaimKind.WARRANTY,
            now=now,
            placed_at=the_order.placed_at,
            line=line,
            warranty=selectors.warranty_terms(store),
        )
        start = window.opens_at or line.delivered_at or the_order.placed_at
        days = None
        if window.closes_at is not None and window.opens_at is not None:
            days = (window.closes_at - window.opens_at) // timedelta(days=1)
        existing = (
            WarrantyRegistration.objects.select_for_update().filter(order=order, line_id=line_id).first()
        )
        if existing is not None:
            if serial_number.strip():
                existing.serial_number = serial_number.strip()[:128]
                existing.save(update_fields=["serial_number"])
            return RegisterResult(existing, created=False)
        registration = WarrantyRegistration.objects.create(
            store=store,
            order=order,
            line_id=line_id,
            product_id=line.product_id,
            sku=line.sku,
            title=line.title,
            serial_number=serial_number.strip()[:128],
            email=(state.email or order.email).strip().lower(),
            source=source[:32],
            days=days,
            covered_from=start,
            expires_at=window.closes_at,
            registered_at=now,
        )
    return RegisterResult(registration, created=True)
