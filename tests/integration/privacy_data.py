"""A customer with data in every part of a store (orders, facts, messages, consent, a return with
a photo), and a scan of the whole database and media folder for their strings: shared by the
privacy, retention and backup tests."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from PIL import Image

from aftercart.domain.messaging import Channel
from aftercart.domain.returns import Reason, RequestedLine
from aftercart.notifications.models import Preference, PreferenceSource
from aftercart.notifications.services import preference_set
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.returns.submission import SubmittedLine, return_submit

EMAIL = "Ana.Silva@Example.com"
PHONE = "+44 20 7946 0123"
#: Every way the customer's identity may be written, searched for after erasure (any case).
NEEDLES = (
    "ana.silva@example.com",
    "+442079460123",
    "2079460123",
    "7946 0123",
    "Ana Silva",
    "Silva",
    "SW1A 1AA",
    "SW1A1AA",
    "12 Long Acre Flat 3",
)
POLICY = {"window_days": 30, "methods": ["label"]}


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def jpeg() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, format="JPEG")
    return image.getvalue()


def place(
    api, order_id, *, email, phone="", name="", postal="SW1A 1AA", days_ago=6, signed_by="", delivered=True
):
    """An order of a jacket, shipped and (unless not ``delivered``) delivered; the carrier's words
    may name the signer."""
    now = timezone.now()
    placed = now - timedelta(days=days_ago)
    order = {
        "order_id": order_id, "number": f"#{order_id}", "placed_at": iso(placed), "email": email,
        "phone": phone, "customer_name": name, "postal_code": postal, "country": "GB",
        "currency": "EUR", "total": "120.00", "sms_consent": bool(phone),
        "lines": [{"line_id": f"{order_id}-L1", "sku": "JKT-M", "product_id": "JKT", "variant": "M",
                   "title": "Rain jacket", "quantity": 1, "unit_price": "120.00"}],
    }  # fmt: skip
    assert api.post("/api/v1/orders", order).status_code == 201
    tracking = f"1Z{order_id}X"
    events = [
        {"kind": "shipment.created", "order_id": order_id, "shipment_id": "S1", "carrier": "UPS",
         "tracking_number": tracking, "occurred_at": iso(placed + timedelta(days=1)),
         "lines": [{"line_id": f"{order_id}-L1", "quantity": 1}]},
        {"kind": "tracking.event", "tracking_number": tracking, "carrier": "ups", "tag": "delivered",
         "raw_message": f"Delivered, signed by {signed_by}" if signed_by else "Delivered",
         "location": "London, GB", "occurred_at": iso(now - timedelta(days=max(days_ago - 3, 0)))},
    ][: 2 if delivered else 1]  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": events}).status_code == 202
    return Order.objects.get(external_id=order_id)


def customer_everywhere(api, client, api_token, store, django_capture_on_commit_callbacks):
    """Ana's two orders (her e-mail typed two ways), her consent choices and a return with a photo
    and her own words; Bruno's order beside them. Returns (ana's orders, bruno's order)."""
    store.country = "GB"
    store.save()
    response = client.put(
        "/api/v1/returns/policy",
        json.dumps(POLICY),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert response.status_code == 201, response.content
    first = place(api, "1001", email=EMAIL, phone=PHONE, name="Ana Silva", signed_by="SILVA")
    second = place(api, "1002", email=EMAIL.lower(), phone="020 7946 0123", name="Ana Silva")
    bruno = place(api, "2001", email="bruno@example.com", name="Bruno Costa", postal="EC1A 1BB")
    now = timezone.now()
    preference_set(
        store_id=store.pk, channel=Channel.SMS, address="+442079460123", opted_in=False,
        source=PreferenceSource.SMS_KEYWORD, detail="STOP", order_id=first.pk, now=now,
    )  # fmt: skip
    preference_set(
        store_id=store.pk, channel=Channel.EMAIL, address="ana.silva@example.com", opted_in=True,
        source=PreferenceSource.PREFERENCE_PAGE, order_id=first.pk, now=now,
    )  # fmt: skip
    # An operator changed her SMS choice in the admin: its history names the preference, address and all.
    stop = Preference.objects.get(address="+442079460123")
    LogEntry.objects.create(
        user=User.objects.create_user("alice"), content_type=ContentType.objects.get_for_model(Preference),
        object_id=str(stop.pk), object_repr=str(stop)[:200], action_flag=CHANGE, change_message="[]",
    )  # fmt: skip
    line = SubmittedLine(
        request=RequestedLine(line_id="1001-L1", quantity=1, reason=Reason.SIZE_TOO_SMALL),
        resolution="refund",
        reason_text="Too small for me, Ana Silva, 12 Long Acre Flat 3",
        photos=[("jacket.jpg", jpeg())],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = return_submit(
            order=first, state=order_state(first), lines=[line], method="label", client_key="k1", now=now
        )
    assert result.created
    return [first, second], bruno


def database_text() -> list[tuple[str, str, str]]:
    """Every non-empty value of every column of every table, as text (JSON as its text):
    ``(table, column, text)``."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, ensure_ascii=False)
                    elif isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("latin-1")
                    found.append((table, column, str(value)))
    return found


def leaks(needles=NEEDLES, media: Path | None = None) -> list[str]:
    """Where any needle is still found: ``table.column: needle`` and ``file: needle``."""
    out = []
    for table, column, text in database_text():
        lowered = text.lower()
        out += [f"{table}.{column}: {n}" for n in needles if n.lower() in lowered]
    if media is not None and media.exists():
        for path in media.rglob("*"):
            if path.is_file():
                text = path.read_bytes().decode("latin-1").lower()
                out += [f"{path}: {n}" for n in needles if n.lower() in text]
    return out
