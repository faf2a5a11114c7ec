"""``aftercart demo``: the simulated shops cover every situation, deterministically, idempotently."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from aftercart.demo.feedback import HISTORY_ORDERS, HISTORY_PREFIX
from aftercart.demo.services import DEMO_SLUGS, demo_api_keys_issue, demo_reset, seed_demo
from aftercart.demo.simulate import simulate
from aftercart.orders.models import DeliveryPromise, Fact, Order, OrderLine, Shipment
from aftercart.orders.selectors import order_state
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import LabelPurchase, Return, ReturnFact, StockLevel
from aftercart.returns.portal import exchange_options, product_options, returnable_lines
from aftercart.stores.models import Store

pytestmark = pytest.mark.django_db

#: A Wednesday afternoon in both shops' time zones (11:00 in New York, 16:00 in Paris): carriers
#: are out delivering, warehouses are packing.
NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)

REQUIRED_STEPS = {
    "lost",
    "damaged",
    "attempt_failed",
    "delayed",
    "ready_for_pickup",
    "item_unavailable",
    "partially_shipped",
    "delivered",
    "out_for_delivery",
    "being_prepared",
    "cancelled",
}


def snapshot() -> list[tuple[str, str, str, str, str]]:
    return sorted(
        Order.objects.filter(store__slug__in=DEMO_SLUGS).values_list(
            "store__slug", "number", "external_id", "stage", "next_step"
        )
    )


def test_seed_covers_every_situation(client, monkeypatch) -> None:
    summary = seed_demo(seed=7, orders=520, now=NOW)

    orders = Order.objects.filter(store__slug__in=DEMO_SLUGS)
    # The month's orders, and the repeat-purchase history replenishment learns from.
    assert orders.count() == summary.orders == 520 + HISTORY_ORDERS
    assert summary.facts_accepted == Fact.objects.filter(store__slug__in=DEMO_SLUGS).count() > 5_000
    # carrier scans arrive by tracking number only, like webhooks, and all find their order — or,
    # for a return's parcel, its return
    return_parcels = Return.objects.exclude(tracking_number="").values("tracking_number")
    assert summary.orphaned == 0
    assert not Fact.objects.filter(order__isnull=True).exclude(tracking_number__in=return_parcels).exists()
    assert Fact.objects.filter(order__isnull=True, tracking_number__in=return_parcels).exists()
    assert not Fact.objects.filter(occurred_at__gt=NOW).exists(), "the simulation is cut at now"
    month = orders.exclude(external_id__startswith=HISTORY_PREFIX)  # the repeat buyers' history is older
    assert month.filter(placed_at__lt=datetime(2026, 2, 16, tzinfo=UTC)).count() == 0  # last 30 days

    steps = set(orders.values_list("next_step", flat=True))
    assert steps >= REQUIRED_STEPS, f"missing: {REQUIRED_STEPS - steps}"
    assert set(summary.by_next_step) == steps and sum(summary.by_next_step.values()) == 520 + HISTORY_ORDERS
    for code in REQUIRED_STEPS:
        assert summary.examples[code], code

    northwind, lumiere = Store.objects.get(slug="northwind"), Store.objects.get(slug="lumiere")
    assert (northwind.name, northwind.country, northwind.timezone, northwind.default_locale) == (
        "Northwind Outfitters",
        "US",
        "America/New_York",
        "en",
    )
    assert (lumiere.name, lumiere.country, lumiere.timezone, lumiere.default_locale) == (
        "Maison Lumière",
        "FR",
        "Europe/Paris",
        "fr",
    )
    for store in (northwind, lumiere):
        assert {"primary_colour", "accent_colour", "logo_url", "support_email", "support_phone"} <= set(
            store.branding
        )
        assert store.branding["logo_url"].startswith("data:image/svg+xml")
        assert store.branding["footer_links"]
    assert summary.carriers == {
        "lumiere": ["dhl_express", "dpd", "laposte", "ups"],
        "northwind": ["dhl_express", "fedex", "ups", "usps"],
    }
    assert set(summary.orders_by_store) == {"northwind", "lumiere"}

    shipments = Shipment.objects.filter(store__slug__in=DEMO_SLUGS)
    assert shipments.filter(subtag="exception.lost").exists()
    assert shipments.filter(subtag="exception.damaged").exists()
    delayed = shipments.filter(subtag="exception.delayed")
    assert delayed.exists()
    assert all(s.estimated_delivery > s.first_estimated_delivery for s in delayed)
    assert shipments.filter(subtag__startswith="attempt_fail.addressee_unavailable").exists()
    # a failed attempt that was delivered the next day
    redelivered = Fact.objects.filter(kind="tracking.event", payload__tag="attempt_fail").values_list(
        "order_id", flat=True
    )
    assert orders.filter(pk__in=list(redelivered), next_step="delivered").exists()
    assert OrderLine.objects.filter(order__in=orders, status="unavailable").exists()
    # the issue-4 journeys end to end, one of each listed with its tracking link
    assert [label for label, _number, _url in summary.showcase] == [
        "delayed, with the new date",
        "lost parcel",
        "stalled parcel: no scan since, being chased",
        "failed delivery attempt",
        "unavailable item: wait, refund or substitute",
        "late to ship: keep waiting or cancel",
        "pickup about to expire: extend once or deliver",
    ]
    assert all("/t/" in url for _label, _number, url in summary.showcase)
    # The silent parcel and the late order, on their tracking pages: since when, and the choice.
    pages = {label: client.get(url[url.index("/t/") :]) for label, _number, url in summary.showcase}
    stalled = pages["stalled parcel: no scan since, being chased"].content.decode()
    assert 'data-step="stalled"' in stalled and "has not scanned your parcel since" in stalled
    late = pages["late to ship: keep waiting or cancel"].content.decode()
    assert 'data-step="late_to_ship"' in late and 'data-situation="delayed_not_shipped"' in late
    # Both shops learned their delivery windows from the month's deliveries while it was replayed
    # (issue 16): an order still on its way shows one, with its explanation, on its tracking page
    # and in the API; orders placed once a shop had enough history kept the promise made then.
    tokens = demo_api_keys_issue()
    for store in (northwind, lumiere):
        moving = orders.filter(store=store, next_step="shipped").order_by("number").first()
        assert moving is not None, store.slug
        html = client.get(f"/t/{make_tracking_token(moving)}").content.decode()
        assert "data-earliest=" in html and "data-learning" not in html, store.slug
        body = client.get(
            f"/api/v1/orders/{moving.external_id}", HTTP_AUTHORIZATION=f"Bearer {tokens[store.slug]}"
        ).json()
        window = body["delivery_window"]
        assert window is not None and "recent deliveries" in window["explanation"], store.slug
        assert f'data-earliest="{window["earliest"]}"' in html
        promised = DeliveryPromise.objects.filter(store=store)
        assert promised.exists() and all(p.promised_at <= NOW for p in promised), store.slug
    # the shop names a substitute for a missing line when the product comes in another variant
    offered = Fact.objects.filter(
        store__slug__in=DEMO_SLUGS, kind="line.status", payload__status="unavailable"
    )
    assert any(f.payload.get("substitute") for f in offered)
    # returns in every state, made through the services, each with its facts
    assert summary.returns == {
        "in_review": "requested",
        "approved": "approved",
        "label_issued": "label_issued",
        "dropoff": "label_issued",
        "in_transit": "in_transit",
        "received": "received",
        "inspected": "inspected",
        "refunded": "resolved",
        "credited": "resolved",
        "exchanged": "resolved",
        "rejected": "rejected",
        "cancelled": "cancelled",
    }
    returns = Return.objects.filter(store__slug__in=DEMO_SLUGS)
    assert {r.resolution for r in returns.filter(status="resolved")} == {
        "refund_issued",
        "credit_issued",
        "exchange_created",
    }
    assert returns.filter(status="requested", needs_review=True).exists()
    assert all(r.facts.filter(kind="requested").exists() for r in returns)
    assert returns.filter(method="dropoff").exclude(dropoff_code="").exists()
    # Exchange first, with no stock feed: the demo's exchanges go back by QR drop-off, for
    # another variant of the same product, and delivered orders are offered exchanges.
    dropoff_exchanges = returns.filter(method="dropoff", lines__resolution="exchange").distinct()
    assert dropoff_exchanges.count() >= 2
    for ret in dropoff_exchanges:
        line = ret.lines.get()
        assert line.exchange_for["product_id"] == line.product_id
        assert line.exchange_for["variant"] not in ("", line.variant)
        assert "(next size)" not in line.exchange_for["variant"], "a variant the shop sells"
    assert not StockLevel.objects.filter(store__slug__in=DEMO_SLUGS).exists()
    delivered = list(orders.filter(next_step="delivered").order_by("pk")[:60])
    offered = 0
    for order in delivered:
        state = order_state(order)
        lines = returnable_lines(order, state, NOW)
        offered += any(exchange_options(order, line) for line in lines)
    assert offered >= len(delivered) // 2, f"{offered} of {len(delivered)} delivered orders offer an exchange"
    # The outdoor shop's rule lets a base layer go for a fleece (and back): another product's card.
    others = [
        option
        for order in delivered
        for line in returnable_lines(order, order_state(order), NOW)
        for option in product_options(order, line)
    ]
    assert others and all(o.other for o in others)
    assert {o.product_id for o in others} <= {"nw-bl", "nw-fl"}
    # each listed with its page in the shoppers' portal, which opens and shows that return (seen
    # on the demo's day: links expire some time after delivery)
    assert set(summary.return_links) == set(summary.returns)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    for number, url in summary.return_links.values():
        page = client.get(url[url.index("/returns/") :])
        assert page.status_code == 200 and url.rsplit("/", 1)[1] in page.content.decode(), number
    # click and collect, waiting and collected
    assert orders.filter(next_step="ready_for_pickup", stage="pickup").exists()
    assert OrderLine.objects.filter(order__in=orders, status="picked_up").exists()
    # split shipments: two parcels, and orders still being prepared at each warehouse step
    partial = orders.filter(next_step="partially_shipped")
    assert all(o.shipments.count() == 1 and o.lines.filter(shipped_quantity=0).exists() for o in partial)
    assert any(o.shipments.count() == 2 for o in orders.filter(next_step="delivered"))
    preparing = set(
        OrderLine.objects.filter(order__next_step="being_prepared").values_list("status", flat=True)
    )
    assert preparing & {"allocated", "picking", "packed"}


def test_same_seed_same_shops_and_seeding_twice_adds_nothing() -> None:
    first = seed_demo(seed=7, orders=520, now=NOW)
    before = snapshot()
    facts = Fact.objects.count()

    returns = sorted(Return.objects.values_list("rma", "status"))
    return_facts = ReturnFact.objects.count()

    again = seed_demo(seed=7, orders=520, now=NOW)
    assert again.facts_accepted == 0 and again.duplicates == again.facts_received == first.facts_received
    assert snapshot() == before and Fact.objects.count() == facts
    assert sorted(Return.objects.values_list("rma", "status")) == returns
    assert ReturnFact.objects.count() == return_facts

    assert demo_reset() == 520 + HISTORY_ORDERS
    assert not Store.objects.filter(slug__in=DEMO_SLUGS).exists() and Fact.objects.count() == 0
    seed_demo(seed=7, orders=520, now=NOW)
    assert snapshot() == before  # same numbers, same ids, same stages and next steps


def test_simulation_is_deterministic_and_depends_on_the_seed() -> None:
    def keys(seed: int) -> list[tuple[str, str]]:
        return [
            (f.idempotency_key, f.occurred_at.isoformat())
            for o in simulate(seed=seed, orders=60, now=NOW)
            for f in o.facts()
        ]

    assert keys(7) == keys(7)
    assert keys(7) != keys(8)


def test_demo_command(client) -> None:
    out = StringIO()
    # The EasyPost stand-in on any free port (8377 may be another demo's).
    call_command("aftercart_demo", "--orders", "60", "--easypost-port", "0", stdout=out)
    text = out.getvalue()
    assert f"Seeded {60 + HISTORY_ORDERS} orders" in text  # and the repeat buyers' history
    # The US shop's prepaid labels were bought from the stand-in while seeding, and the returns
    # list shows them issued (as they are now, not as they were before the worker's pass).
    bought = LabelPurchase.objects.filter(store__slug="northwind", status="bought")
    assert bought.exists() and f"Prepaid return labels: {bought.count()} bought" in text
    listed = next(ln.split() for ln in text.splitlines() if ln.strip().startswith("label_issued "))
    assert listed[1] == "label_issued", listed
    issued = Return.objects.get(rma=listed[-1].rsplit("/", 1)[1])
    assert (issued.store.slug, issued.label_provider, issued.label_cost) == (
        "northwind",
        "easypost",
        Decimal("7.58"),
    )
    assert issued.label_purchase in bought
    assert "demo / aftercart-demo" in text
    assert "/api/v1/docs" in text
    # one order of each exception journey, with its tracking link
    showcase = text.split("Exceptions end to end")[1].split("Orders worth opening")[0]
    for label in ("delayed, with the new date", "lost parcel", "unavailable item", "pickup about to expire"):
        line = next(ln for ln in showcase.splitlines() if label in ln)
        assert "/t/" in line, line
    check_thank_you_pages(client, text)
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser and user.is_staff and user.check_password("aftercart-demo")

    # every order has its printable packing slip on the operator side, found from the printed link
    packing = next(line for line in text.splitlines() if "/ops/packing-slips" in line).split()[1]
    client.force_login(user)
    for slug in DEMO_SLUGS:
        listing = client.get(packing.split("8000")[1], {"store": slug, "show": "all"}).content.decode()
        order = Order.objects.filter(store__slug=slug).order_by("-placed_at", "-pk").first()
        assert order is not None and f"/ops/packing-slips/orders/{order.pk}.pdf" in listing
    slip = client.get(f"/ops/packing-slips/orders/{order.pk}.pdf")
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    client.logout()

    # the printed key works against the API, for the printed example order
    curl = next(line for line in text.splitlines() if "curl" in line)
    token = curl.split("Bearer ")[1].split('"')[0]
    path = curl.split("8000")[1]
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert (
        response.json()["next_step"]["code"]
        == Order.objects.get(external_id=path.rsplit("/", 1)[1]).next_step
    )

    out = StringIO()
    call_command("aftercart_demo", "--orders", "60", stdout=out)
    assert "not seeding again" in out.getvalue()
    assert Order.objects.filter(store__slug__in=DEMO_SLUGS).count() == 60 + HISTORY_ORDERS
    # the earlier key was revoked when new ones were issued
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    out = StringIO()
    call_command("aftercart_demo", "--reset", "--orders", "40", "--seed", "3", stdout=out)
    assert f"Removed the demo shops and their {60 + HISTORY_ORDERS} orders" in out.getvalue()
    assert Order.objects.filter(store__slug__in=DEMO_SLUGS).count() == 40 + HISTORY_ORDERS


def check_thank_you_pages(client, text: str) -> None:
    """Each demo shop's thank-you page is listed, embeds the widget under a policy that allows
    Aftercart's address to run the loader and fill the frame, and the widget opens for its order,
    frameable by the installation's own address (either loopback name) and offering the SMS opt-in."""
    listed = [line.split()[1] for line in text.splitlines() if line.strip().startswith("Thank-you")]
    assert [url.rsplit("/", 1)[1] for url in listed] == list(DEMO_SLUGS)
    for url in listed:
        page = client.get(url[url.index("/demo/") :])
        assert page.status_code == 200
        policy = page["Content-Security-Policy"]
        assert "frame-src http://127.0.0.1:8000" in policy and "script-src http://127.0.0.1:8000" in policy
        html = page.content.decode()
        widget = re.search(r'<div data-aftercart-widget="(/w/[^"]+)"', html)
        assert widget is not None and "/static/aftercart/widget.js" in html and "<noscript><iframe" in html
        framed = client.get(widget.group(1))
        assert framed.status_code == 200
        assert (
            "frame-ancestors http://127.0.0.1:8000 http://localhost:8000;"
            in framed["Content-Security-Policy"]
        )
        body = framed.content.decode()
        assert 'id="widget-heading"' in body and 'name="consent"' in body
    assert client.get("/demo/thank-you/not-a-demo-shop").status_code == 404
