"""Deleting a store (an admin action) takes all of its data with it: orders, shipments, the
ledger's facts, the outbox and its delivery attempts, exception cases, return policies, returns
with their lines, facts and photos, stock — and leaves every other store's data alone."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db.models import RestrictedError
from django.utils import timezone
from PIL import Image

from aftercart.exceptions.models import OrderException
from aftercart.notifications.models import Message
from aftercart.orders.models import Fact, Order, Shipment
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import Return, ReturnFact, ReturnLine, ReturnPolicyVersion
from aftercart.returns.photos import photos_root
from aftercart.returns.services.stock import StockItem, stock_set
from aftercart.stores.models import Store
from aftercart.stores.services import api_key_issue, store_create
from tests.integration.test_returns_api import place

pytestmark = pytest.mark.django_db

POLICY = {"window_days": 30, "methods": ["label", "dropoff"]}


@pytest.fixture(autouse=True)
def _labels_and_media(settings, tmp_path):
    settings.AFTERCART_RETURN_LABEL_PROVIDER = "sandbox"
    settings.MEDIA_ROOT = str(tmp_path / "media")


class StoreApi:
    """The store's API through the test client, with its own key."""

    def __init__(self, client, store):
        self.client, self.key = client, api_key_issue(store=store).token

    def send(self, method, path, data):
        return getattr(self.client, method)(
            path, json.dumps(data), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {self.key}"
        )

    def post(self, path, data):
        return self.send("post", path, data)


def jpeg() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(image, format="JPEG")
    return image.getvalue()


def fill(client, store, on_commit) -> None:
    """Everything a store collects: orders and shipments (their facts, outbox rows, a case for a
    lost parcel), a return policy, returns (one through the portal, with a photo, whose parcel the
    carrier scanned; one through the API), and stock."""
    api = StoreApi(client, store)
    assert api.send("put", "/api/v1/returns/policy", POLICY).status_code == 201
    place(api, "1001")
    place(api, "2002")
    now = timezone.now().isoformat()
    second = [
        {"kind": "shipment.created", "order_id": "2002", "shipment_id": "S2", "carrier": "UPS",
         "tracking_number": "1Z2002Y", "occurred_at": now},
        {"kind": "tracking.event", "tracking_number": "1Z2002Y", "carrier": "ups", "tag": "exception",
         "subtag": "exception.lost", "occurred_at": now},
    ]  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": second}).status_code == 202
    # A return through the portal, with a photo on disk.
    order = Order.objects.get(store=store, external_id="1001")
    token = make_tracking_token(order)
    page = client.get(f"/returns/{token}/review", {"line-0": "L1", "qty-0": "1", "reason-0": "defective"})
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()))
    hidden.pop("csrfmiddlewaretoken", None)
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("jacket.jpg", jpeg(), content_type="image/jpeg")
    with on_commit(execute=True):  # the photo is written once the request commits
        posted = client.post(
            f"/returns/{token}/submit",
            {**hidden, "choice-0": "refund", "method": "label", "photos-0": [photo]},
        )
    assert posted.status_code == 303, posted.content.decode()
    # The return parcel's first scan: a fact with no order, and the return moves.
    ret = Return.objects.get(store=store)
    scan = {"kind": "tracking.event", "tracking_number": ret.tracking_number, "carrier": "sandbox",
            "tag": "in_transit", "occurred_at": timezone.now().isoformat()}  # fmt: skip
    assert api.post("/api/v1/events/batch", {"events": [scan]}).status_code == 202
    # A second return through the API.
    asked = {"order_id": "1001", "lines": [{"line_id": "L2", "quantity": 1, "reason": "changed_mind",
             "resolution": "store_credit"}]}  # fmt: skip
    assert api.post("/api/v1/returns", asked).status_code == 201
    stock_set(store=store, items=[StockItem(sku="JKT-L", product_id="JKT", variant="L", available=2)])


def counts(store) -> dict[str, int]:
    """Rows of each model (by app label: two apps have a Message) that belong to ``store`` (directly
    or through its orders or returns)."""
    found = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if model is Store:
            found[model._meta.label] = Store.objects.filter(pk=store.pk).count()
        elif "store" in names:
            found[model._meta.label] = model.objects.filter(store_id=store.pk).count()
        elif "order" in names:
            found[model._meta.label] = model.objects.filter(order__store_id=store.pk).count()
        elif "ret" in names:
            found[model._meta.label] = model.objects.filter(ret__store_id=store.pk).count()
        elif "message" in names:
            found[model._meta.label] = model.objects.filter(message__store_id=store.pk).count()
    return found


@pytest.fixture
def stores(client, django_capture_on_commit_callbacks):
    doomed = store_create(slug="doomed", name="Doomed Goods")
    kept = store_create(slug="kept", name="Kept Goods")
    fill(client, doomed, django_capture_on_commit_callbacks)
    fill(client, kept, django_capture_on_commit_callbacks)
    return doomed, kept


def test_the_fixture_fills_every_kind_of_row(stores):
    doomed, _ = stores
    rows = counts(doomed)
    for model in (Order, Shipment, Fact, Message, OrderException, ReturnPolicyVersion, Return, ReturnLine,
                  ReturnFact):  # fmt: skip
        assert rows[model._meta.label] > 0, model._meta.label
    assert Fact.objects.filter(store=doomed, order__isnull=True).exists(), "the return parcel's scan"
    assert any(ln.photos for ln in ReturnLine.objects.filter(ret__store=doomed))


def photo_files(store) -> list[Path]:
    paths = [p for ln in ReturnLine.objects.filter(ret__store=store) for p in ln.photos]
    return [photos_root() / p for p in paths]


def test_deleting_a_store_takes_all_its_data_and_leaves_the_others(
    stores, django_capture_on_commit_callbacks
):
    doomed, kept = stores
    before, doomed_photos, kept_photos = counts(kept), photo_files(doomed), photo_files(kept)
    assert all(p.is_file() for p in doomed_photos + kept_photos)
    with django_capture_on_commit_callbacks(execute=True):
        doomed.delete()
    assert {name: n for name, n in counts(doomed).items() if n} == {}
    assert counts(kept) == before
    assert not any(p.exists() for p in doomed_photos)
    assert not any(p.parent.exists() for p in doomed_photos), "the emptied folder goes too"
    assert all(p.is_file() for p in kept_photos)


def test_a_policy_version_a_return_was_judged_under_cannot_be_deleted_on_its_own(stores):
    doomed, _ = stores
    with pytest.raises(RestrictedError):
        ReturnPolicyVersion.objects.filter(store=doomed).delete()


def test_the_admin_deletes_a_store_with_returns(client, stores, django_capture_on_commit_callbacks):
    doomed, kept = stores
    before, doomed_photos = counts(kept), photo_files(doomed)
    client.force_login(User.objects.create_superuser("op", "op@example.com", "pw-long-enough"))
    url = f"/admin/stores/store/{doomed.pk}/delete/"
    confirm = client.get(url)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Are you sure" in html, html
    # A summary of what goes, by kind, not every row.
    orders = Order.objects.filter(store=doomed).count()
    assert re.search(rf"<li>orders: {orders}</li>", html, re.I), html
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"post": "yes"})
    assert done.status_code == 302
    assert {name: n for name, n in counts(doomed).items() if n} == {}
    assert counts(kept) == before
    assert not any(p.exists() for p in doomed_photos)
