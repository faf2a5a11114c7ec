"""Orders for the claims tests, written to the ledger as facts: placed, shipped, scanned and
(optionally) delivered at given times."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image

from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.stores.models import Store
from tests.factories import fact


def photo_bytes(color: str = "red", fmt: str = "JPEG", exif: bool = False) -> bytes:
    """A small real photo (with a GPS-like EXIF block when ``exif``)."""
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), color)
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def order_placed(
    store: Store,
    order_id: str,
    *,
    placed: datetime,
    email: str = "ana@example.com",
    country: str = "GB",
    postal_code: str = "LS1 1AA",
    street: str = "1 Dock Road",
) -> Order:
    """An order of a jacket (1 × 120.00) and two pairs of socks (2 × 12.50), 145.00 in all."""
    facts_record(
        store=store,
        facts=[
            fact(
                "order.placed",
                placed,
                f"{order_id}:placed",
                order=order_id,
                number=f"#{order_id}",
                email=email,
                country=country,
                postal_code=postal_code,
                currency="EUR",
                total="145.00",
                shipping_address={"street1": street, "zip": postal_code, "country": country},
                lines=[
                    {
                        "line_id": "L1",
                        "sku": "JKT-M",
                        "product_id": "JKT",
                        "variant": "M",
                        "title": "Rain jacket",
                        "quantity": 1,
                        "unit_price": "120.00",
                        "category": "outerwear",
                    },
                    {
                        "line_id": "L2",
                        "sku": "SCK",
                        "product_id": "SCK",
                        "title": "Wool socks",
                        "quantity": 2,
                        "unit_price": "12.50",
                    },
                ],
            )
        ],
        now=placed,
    )
    return Order.objects.get(store=store, external_id=order_id)


def shipped(
    store: Store,
    order_id: str,
    *,
    at: datetime,
    tracking: str,
    scans: tuple[datetime, ...] = (),
    delivered: datetime | None = None,
    estimate: str | None = None,
    shipment_id: str = "S1",
    lines: tuple[tuple[str, int], ...] = (("L1", 1), ("L2", 2)),
) -> None:
    """The order's parcel: created at ``at``, scanned in transit at ``scans``, delivered."""
    facts = [
        fact(
            "shipment.created",
            at,
            f"{order_id}:{shipment_id}:created",
            order=order_id,
            shipment_id=shipment_id,
            carrier="dhl",
            tracking_number=tracking,
            lines=[{"line_id": line, "quantity": units} for line, units in lines],
            **({"estimated_delivery": estimate} if estimate else {}),
        )
    ]
    for n, when in enumerate(scans):
        facts.append(
            fact(
                "tracking.event",
                when,
                f"{tracking}:scan:{n}",
                order=None,
                tracking=tracking,
                carrier="dhl",
                tag="in_transit",
                subtag="in_transit_001",
                raw_message="Processed at hub",
                location="Leipzig, DE",
            )
        )
    if delivered is not None:
        facts.append(
            fact(
                "tracking.event",
                delivered,
                f"{tracking}:delivered",
                order=None,
                tracking=tracking,
                carrier="dhl",
                tag="delivered",
                subtag="delivered_001",
                raw_message="Delivered to the front door",
                location="Leeds, GB",
            )
        )
    facts_record(store=store, facts=facts, now=delivered or (scans[-1] if scans else at))


def delivered_order(store: Store, order_id: str, *, delivered: datetime, **kwargs) -> Order:
    """An order placed 4 days and shipped 3 days before ``delivered``, then delivered."""
    order = order_placed(store, order_id, placed=delivered - timedelta(days=4), **kwargs)
    shipped(
        store,
        order_id,
        at=delivered - timedelta(days=3),
        tracking=f"JD{order_id}",
        scans=(delivered - timedelta(days=2),),
        delivered=delivered,
    )
    return order
