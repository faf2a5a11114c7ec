"""E-mails put a URL from outside (the store's logo and support links, a carrier's tracking URL) in
front of a customer only under the tracking page's rule (aftercart.domain.outbound_urls): sent
through the real delivery to a local SMTP server and read back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.notifications.delivery import message_deliver_due
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db

HREF = re.compile(r"""(?:href|src)="([^"]*)\"""")


def lost_parcel_email(store, smtp, *, tracking_url: str):
    """An order shipped with ``tracking_url``, then lost: the e-mail goes at once."""
    now = timezone.now().replace(microsecond=0)
    facts = [
        fact(
            "order.placed",
            now - timedelta(days=2),
            "placed",
            number="#1001",
            email="ana@example.com",
            lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
        ),
        fact(
            "shipment.created",
            now - timedelta(days=1),
            "ship",
            shipment_id="S1",
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            tracking_url=tracking_url,
            lines=[{"line_id": "L1", "quantity": 1}],
        ),
        fact(
            "tracking.event",
            now,
            "lost",
            order=None,
            tracking="1Z999AA10123456784",
            carrier="ups",
            tag="exception",
            subtag="exception.lost",
        ),
    ]
    facts_record(store=store, facts=facts, now=now)
    assert message_deliver_due(now=now).sent == 1
    [received] = smtp.received
    html = received.get_body(("html",)).get_content()
    text = received.get_body(("plain",)).get_content()
    return received, html, text


def test_javascript_urls_from_branding_and_carriers_are_dropped(store, smtp):
    store.branding = {
        "logo_url": "javascript:alert(document.cookie)",
        "support_url": " JavaScript:alert(1)",
        "support_email": "help@acme.example?bcc=everyone@example.com",
    }
    store.save()
    received, html, text = lost_parcel_email(store, smtp, tracking_url="javascript:alert(2)")
    assert "javascript:" not in html.lower() and "javascript:" not in text.lower()
    assert "<img" not in html, "no logo: the store's name instead"
    assert "Acme Outfitters" in html
    assert "bcc=" not in html and "bcc=" not in text and received["Reply-To"] is None
    for url in HREF.findall(html):
        assert url.startswith("https://track.acme.example/"), url


def test_safe_urls_are_kept_and_the_support_link_opens_on_the_order(store, smtp):
    store.branding = {
        "logo_url": "https://cdn.acme.example/logo.png",
        "support_url": "https://help.acme.example/orders/{order_number}",
        "support_email": "help@acme.example",
    }
    store.save()
    received, html, _text = lost_parcel_email(
        store, smtp, tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    urls = HREF.findall(html)
    assert "https://cdn.acme.example/logo.png" in urls
    assert "https://help.acme.example/orders/%231001" in urls
    assert received["Reply-To"] == "help@acme.example"


def test_contact_us_leads_to_the_same_place_from_the_e_mail_and_the_page(store, smtp, client):
    """One rule (domain.outbound_urls.contact_href): the store's address with the order named,
    though it also has a help centre; the e-mail used to open the help centre, the page to write."""
    store.branding = {
        "support_url": "https://help.acme.example/orders/{order_number}",
        "support_email": "help@acme.example",
    }
    store.save()
    _received, html, _text = lost_parcel_email(store, smtp, tracking_url="")
    expected = "mailto:help@acme.example?subject=Question%20about%20order%20%231001"
    [in_email] = re.findall(r'href="([^"]*)"[^>]*>\s*Contact us about this order', html)
    assert in_email == expected
    tracking = next(u for u in HREF.findall(html) if u.startswith("https://track.acme.example/t/"))
    page = client.get(tracking.removeprefix("https://track.acme.example")).content.decode()
    assert f'href="{expected}"' in page
