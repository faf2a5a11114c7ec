"""Warranty periods (per product or category) and registered purchases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aftercart.claims.models import WarrantyPeriod, WarrantyRegistration
from aftercart.orders.models import Order
from aftercart.stores.models import Store


class WarrantyRefused(Exception):
    """A registration that cannot be made (``code``: ``unknown_line``, ``order_cancelled``,
    ``order_not_placed``); nothing was written."""

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
    category (``scope="category"``) to ``days`` from delivery."""
    raise NotImplementedError


def warranty_period_delete(*, store: Store, scope: str, key: str) -> bool:
    """Remove a period; whether one was there."""
    raise NotImplementedError


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
    its warranty: the period that applies now and its end are kept with it. Registering the same
    line again updates the serial number (``created=False``)."""
    raise NotImplementedError
