"""Customer options on an unavailable item: the page offers wait/refund as real buttons, each answer
is a ``customer.choice`` fact in the ledger, and the next step follows from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from aftercart.domain.facts import FactKind
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import make_tracking_token

pytestmark = pytest.mark.django_db

ORDER = {
    "order_id": "1001",
    "number": "#1001",
    "placed_at": "2026-07-10T09:00:00Z",
    "email": "ana@example.com",
    "postal_code": "SW1A 1AA",
    "currency": "GBP",
    "lines": [
        {"line_id": "L1", "sku": "JKT-M", "title": "Rain jacket", "quantity": 1},
        {"line_id": "L2", "sku": "SCK", "title": "Wool socks", "quantity": 2},
    ],
}


@pytest.fixture(autouse=True)
def _the_day_after_the_order(monkeypatch):
    """The clock the pages read: the day after the order, within the store's handling SLA (months
    later the order would be late to ship, a next step of its own)."""
    moment = datetime(2026, 7, 11, 12, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(api, store):
    store.branding = {"support_email": "help@acme.example"}
    store.save()
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    response = api.post(
        "/api/v1/events/batch",
        {
            "events": [
                {
                    "kind": "line.status",
                    "order_id": "1001",
                    "line_id": "L2",
                    "status": "unavailable",
                    "occurred_at": "2026-07-11T10:00:00Z",
                },
                {
                    "kind": "line.status",
                    "order_id": "1001",
                    "line_id": "L1",
                    "status": "picking",
                    "occurred_at": "2026-07-11T10:00:00Z",
                },
            ]
        },
    )
    assert response.status_code == 202, response.content
    return Order.objects.get(external_id="1001")


def choice_facts(order: Order) -> list:
    return list(order.facts.filter(kind=FactKind.CUSTOMER_CHOICE.value))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the choice form carries a CSRF token"
    return match.group(1)


def test_refund_from_the_page_is_a_fact_and_moves_the_next_step_on(order):
    client = Client(enforce_csrf_checks=True)
    url = f"/t/{make_tracking_token(order)}"
    html = client.get(url).content.decode()
    assert 'data-step="item_unavailable"' in html
    assert (
        f'<form class="choice" method="post" action="{url}/choices" data-situation="item_unavailable">'
        in html
    )
    assert 'name="subject" value="line:L2"' in html
    assert 'name="choice" value="wait"' in html and 'name="choice" value="refund"' in html
    assert 'name="choice" value="substitute"' not in html, "no substitute the store has not offered"
    assert "What would you like us to do about Wool socks?" in html

    response = client.post(
        f"{url}/choices", {"line": "L2", "choice": "refund", "csrfmiddlewaretoken": csrf_of(html)}
    )
    assert response.status_code == 303
    assert response["Location"] == f"{url}?answered=1"

    facts = choice_facts(order)
    assert len(facts) == 1
    assert facts[0].payload == {"line_id": "L2", "choice": "refund"}
    state, step = order_view(order, facts[0].occurred_at)
    assert state.lines["L2"].customer_choice == "refund"
    assert step.code.value == "being_prepared"

    page = client.get(response["Location"]).content.decode()
    assert 'data-step="being_prepared"' in page
    assert "Thank you, we have your answer" in page
    assert "You chose a refund" in page
    assert 'data-situation="item_unavailable"' not in page, "an answered line offers no more buttons"


def test_waiting_keeps_the_item_to_come_and_shows_the_answer(client, order):
    url = f"/t/{make_tracking_token(order)}"
    response = client.post(f"{url}/choices", {"line": "L2", "choice": "wait"})
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert 'data-step="being_prepared"' in page
    assert "You chose to wait" in page


def test_a_double_submit_keeps_the_first_choice(client, order):
    url = f"/t/{make_tracking_token(order)}/choices"
    assert client.post(url, {"line": "L2", "choice": "wait"}).status_code == 303
    # A second click after the answer is recorded is refused (the line no longer needs one)...
    assert client.post(url, {"line": "L2", "choice": "refund"}).status_code == 400
    facts = choice_facts(order)
    assert len(facts) == 1 and facts[0].payload["choice"] == "wait"
    state, _step = order_view(order, facts[0].occurred_at)
    assert state.lines["L2"].customer_choice == "wait"


def test_two_submits_racing_record_one_fact(client, order, monkeypatch):
    """Both requests read the state before either wrote: the idempotency key keeps one fact."""
    from aftercart.web import views

    url = f"/t/{make_tracking_token(order)}/choices"
    stale = order_view(order, order.last_event_at)
    monkeypatch.setattr(views, "order_view", lambda o, now: stale)
    assert client.post(url, {"line": "L2", "choice": "wait"}).status_code == 303
    assert client.post(url, {"line": "L2", "choice": "refund"}).status_code == 303
    facts = choice_facts(order)
    assert [f.payload["choice"] for f in facts] == ["wait"]


def test_a_tampered_token_is_404_and_writes_nothing(client, order):
    token = make_tracking_token(order)
    response = client.post(f"/t/{token[:-2]}xx/choices", {"line": "L2", "choice": "refund"})
    assert response.status_code == 404
    assert choice_facts(order) == []


@pytest.mark.parametrize(
    ("line", "choice"),
    [("L1", "refund"), ("L2", "substitute"), ("L2", "cancel"), ("L9", "wait"), ("", "")],
)
def test_a_choice_that_is_not_on_offer_is_400_and_writes_nothing(client, order, line, choice):
    response = client.post(f"/t/{make_tracking_token(order)}/choices", {"line": line, "choice": choice})
    assert response.status_code == 400
    assert "We could not record your choice" in response.content.decode()
    assert choice_facts(order) == []


def test_get_on_the_choices_url_is_405(client, order):
    assert client.get(f"/t/{make_tracking_token(order)}/choices").status_code == 405
    assert choice_facts(order) == []


def test_the_choice_form_is_csrf_protected(order):
    strict = Client(enforce_csrf_checks=True)
    url = f"/t/{make_tracking_token(order)}/choices"
    assert strict.post(url, {"line": "L2", "choice": "refund"}).status_code == 403
    assert choice_facts(order) == []
