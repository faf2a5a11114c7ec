"""The back office's exception queue: words not codes, search, owner filters, paging, and the
actions (assign, resolve with a note, snooze, contacted), each a service with its refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from aftercart.exceptions import actions
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exceptions_sweep
from aftercart.orders.models import Order
from tests.integration.test_exceptions import MON, ingest, placed, scan, shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(store):
    t = MON + timedelta(hours=3)
    ingest(store, placed("A1"), shipped("A1", tracking="1ZA"), scan("in_transit", t, tracking="1ZA"), now=t)
    ingest(store, placed("C1"), now=MON)
    exceptions_sweep(now=MON + timedelta(days=4))
    assert OrderException.objects.filter(resolved_at__isnull=True).count() == 2
    return {c.kind: c for c in OrderException.objects.all()}


@pytest.fixture
def bea(db):
    return get_user_model().objects.create_user("bea", "bea@example.com", "x", is_staff=True)


def _rows(admin_client, **params):
    response = admin_client.get("/ops/exceptions", params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_queue_speaks_words_not_codes(admin_client, cases):
    page = _rows(admin_client)
    assert page.count('<tr class="case"') == 2
    assert "Parcel stalled" in page and "Not shipped in time" in page
    assert "Parcel 1ZA (UPS)" in page, "a parcel is named by its tracking number"
    assert "No carrier scan for" in page and "no scan since" not in page
    assert "not_shipped_in_sla</td>" not in page and "line:" not in page
    assert 'aria-current="page"' in page and 'href="/ops/" aria-current="page"' in page


@pytest.mark.parametrize("term", ["#A1", "A1", "1za", "ANA@example.com"])
def test_search_finds_a_case_by_order_number_e_mail_or_tracking_number(admin_client, cases, term):
    page = _rows(admin_client, q=term)
    expected = 2 if "@" in term.lower() else 1  # both orders are Ana's
    assert page.count('<tr class="case"') == expected


def test_sort_newest_first_and_paging(admin_client, store, cases):
    OrderException.objects.filter(kind="stalled").update(opened_at=timezone.now())
    oldest = _rows(admin_client)
    newest = _rows(admin_client, sort="newest")
    assert oldest.index('data-kind="not_shipped_in_sla"') < oldest.index('data-kind="stalled"')
    assert newest.index('data-kind="stalled"') < newest.index('data-kind="not_shipped_in_sla"')
    # 60 more cases: two pages of 50, and the filters ride along on the page links.
    order = Order.objects.get(external_id="C1")
    OrderException.objects.bulk_create(
        OrderException(
            store=store,
            order=order,
            kind="delayed",
            subject=f"S{i}",
            severity="warning",
            queue="carrier",
            opened_at=MON,
            detail="reported by carrier",
        )
        for i in range(60)
    )
    first = _rows(admin_client, kind="delayed")
    assert first.count('<tr class="case"') == 50 and "Page 1 of 2" in first
    assert "kind=delayed&amp;page=2" in first
    assert _rows(admin_client, kind="delayed", page=2).count('<tr class="case"') == 10


def test_assign_to_me_then_to_a_colleague_and_the_owner_filters(admin_client, cases, bea):
    stalled = cases["stalled"]
    response = admin_client.post(
        f"/ops/exceptions/cases/{stalled.pk}/assign",
        {"assignee": "me", "view": "row"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="case-{stalled.pk}"' in response.content.decode() and "<html" not in response.content.decode()
    stalled.refresh_from_db()
    assert stalled.assignee.username == "admin"
    assert _rows(admin_client, who="me").count('<tr class="case"') == 1
    assert _rows(admin_client, who="none").count('<tr class="case"') == 1
    admin_client.post(f"/ops/exceptions/cases/{stalled.pk}/assign", {"assignee": str(bea.pk)})
    stalled.refresh_from_db()
    assert stalled.assignee == bea
    assert _rows(admin_client, who=str(bea.pk)).count('<tr class="case"') == 1


def test_resolve_needs_a_note_and_closes_the_case(admin_client, cases):
    late = cases["not_shipped_in_sla"]
    refused = admin_client.post(
        f"/ops/exceptions/cases/{late.pk}/resolve", {"note": "  ", "view": "card"}, HTTP_HX_REQUEST="true"
    )
    assert 'role="alert"' in refused.content.decode()
    late.refresh_from_db()
    assert late.resolved_at is None
    admin_client.post(f"/ops/exceptions/cases/{late.pk}/resolve", {"note": "Shipped from the backup stock"})
    late.refresh_from_db()
    assert late.resolved_at is not None and late.resolution == "resolved by admin"
    assert "Shipped from the backup stock" in late.note
    assert _rows(admin_client).count('<tr class="case"') == 1
    with pytest.raises(actions.CaseClosed):
        actions.exception_assign(case_id=late.pk, assignee=None)


def test_snooze_hides_the_case_until_its_time(admin_client, cases):
    stalled = cases["stalled"]
    admin_client.post(f"/ops/exceptions/cases/{stalled.pk}/snooze", {"hours": "24", "note": "carrier asked"})
    stalled.refresh_from_db()
    assert stalled.snoozed_until > timezone.now() + timedelta(hours=23)
    assert "carrier asked" in stalled.note
    assert _rows(admin_client).count('<tr class="case"') == 1
    assert _rows(admin_client, snoozed="1").count('<tr class="case"') == 1
    OrderException.objects.filter(pk=stalled.pk).update(snoozed_until=timezone.now() - timedelta(minutes=1))
    assert _rows(admin_client).count('<tr class="case"') == 2, "back when the snooze ends"
    with pytest.raises(ValueError):
        actions.exception_snooze(case_id=stalled.pk, user=None, until=MON, now=timezone.now())


def test_the_order_page_offers_a_prefilled_message_and_records_the_contact(admin_client, cases):
    stalled = cases["stalled"]
    page = admin_client.get(f"/ops/exceptions/orders/{stalled.order_id}").content.decode()
    assert "mailto:ana@example.com?subject=" in page
    assert "%2Ft%2F" in page or "/t/" in page, "the message carries the tracking link"
    assert f'id="case-card-{stalled.pk}"' in page and "Write to the customer" in page
    admin_client.post(f"/ops/exceptions/cases/{stalled.pk}/contacted", {"channel": "phone"})
    stalled.refresh_from_db()
    assert "contacted the customer by phone" in stalled.note


def test_actions_are_staff_only_and_post_only(client, admin_client, cases):
    stalled = cases["stalled"]
    assert client.post(f"/ops/exceptions/cases/{stalled.pk}/assign", {"assignee": "me"}).status_code == 302
    assert admin_client.get(f"/ops/exceptions/cases/{stalled.pk}/assign").status_code == 405
    stalled.refresh_from_db()
    assert stalled.assignee is None


def test_ops_root_opens_the_queue(admin_client):
    response = admin_client.get("/ops/")
    assert response.status_code == 302 and response["Location"] == "/ops/exceptions"


def test_a_page_of_the_queue_costs_a_fixed_number_of_queries(
    admin_client, store, cases, django_assert_max_num_queries
):
    order = Order.objects.get(external_id="C1")
    OrderException.objects.bulk_create(
        OrderException(
            store=store, order=order, kind="item_unavailable", subject=f"line:L{i}", severity="critical",
            queue="warehouse", opened_at=MON, detail="1 unit(s)",
        )
        for i in range(80)
    )  # fmt: skip
    # session + user, count, page (with store, order, assignee), line titles, parcels, stores, staff
    with django_assert_max_num_queries(9):
        page = _rows(admin_client)
    assert page.count('<tr class="case"') == 50


def test_every_back_office_page_keeps_the_strict_csp(admin_client, cases):
    from tests.integration.test_csp import assert_strict

    stalled = cases["stalled"]
    for path in ("/ops/exceptions", f"/ops/exceptions/orders/{stalled.order_id}", "/ops/returns/",
                 "/ops/setup/", "/ops/settings/", "/ops/settings/shopify", "/ops/packing-slips"):  # fmt: skip
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)
