"""Claims' words reach the customer through the one presenter, in their language: every message id
of a claim's next step is in each shipped catalogue, the e-mails render in the customer's language,
and the store's webhook gets ``claim.*`` events with the claim's payload."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import timezone, translation
from standardwebhooks import Webhook

import aftercart
from aftercart.claims import selectors
from aftercart.claims.messages import claim_email_context
from aftercart.claims.renderers import claim_stale, claim_webhook
from aftercart.claims.services.decide import claim_approve, claim_evidence_request
from aftercart.claims.services.filing import ClaimLineIn, claim_file
from aftercart.claims.services.resolve import claim_resolve
from aftercart.domain.claims import ClaimStatus
from aftercart.domain.claims.next_step import (
    APPROVED_DETAILS,
    CLAIM_ACTION_LABELS,
    CLAIM_TEXTS,
    DENIAL_REASON,
    RESOLVED_DETAILS,
    TOO_EARLY_UNDELIVERED,
    claim_next_step,
)
from aftercart.domain.milestones import Milestone
from aftercart.domain.money import Money
from aftercart.kernel.presenter import present
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import Message
from aftercart.notifications.renderers import renderer_for
from tests.claims_fixtures import delivered_order
from tests.integration.test_channels import Stub, enable

LOCALE = Path(aftercart.__file__).parent / "locale"
LANGS = ("de", "es", "fr", "pt_BR")


def _ids() -> set[str]:
    ids = {m for pair in CLAIM_TEXTS.values() for m in pair if m}
    ids |= set(APPROVED_DETAILS.values()) | set(RESOLVED_DETAILS.values()) | set(CLAIM_ACTION_LABELS.values())
    ids |= {DENIAL_REASON, TOO_EARLY_UNDELIVERED, "Claim {number} is filed. We'll e-mail you our decision."}
    return ids


@pytest.mark.parametrize("lang", LANGS)
def test_every_claim_message_is_translated(lang):
    with (LOCALE / lang / "LC_MESSAGES" / "django.po").open("rb") as source:
        catalogue = read_po(source)
    for msgid in _ids():
        message = catalogue.get(msgid)
        assert message is not None and message.string and message.string != msgid, (lang, msgid)


@pytest.mark.parametrize("status", list(ClaimStatus))
def test_each_step_presents_in_spanish_without_placeholders(status):
    step = claim_next_step(
        status,
        number="C-1",
        decide_by=timezone.now(),
        resolution="refund",
        amount=Money(Decimal("12.50"), "EUR"),
        denial_reason="firmado por usted",
        evidence_request="una foto",
    )
    with translation.override("es"):
        shown = present(step, timezone.get_current_timezone())
    assert "{" not in shown.headline + shown.detail
    with translation.override("en"):
        english = present(step, timezone.get_current_timezone())
    assert shown.headline != english.headline


@pytest.mark.django_db
def test_emails_and_webhooks_of_a_claim(store, settings):
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    now = timezone.now()
    order = delivered_order(store, "4001", delivered=now - timedelta(days=1))
    claim = claim_file(
        store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    assert renderer_for(Milestone.CLAIM_APPROVED.value).name == "claim"
    approved = Message.objects.get(subject=claim.number, milestone="claim_approved", channel="email")
    with translation.override("fr"):
        context = claim_email_context(
            selectors.claim_by_number(store, claim.number), Milestone.CLAIM_APPROVED
        )
    assert context["subject"] == f"Votre réclamation est acceptée · réclamation {claim.number}"
    assert context["lines"] == [{"title": "Wool socks", "variant": "", "quantity": 1}]
    assert context["actions"][0]["url"].startswith("https://track.acme.example")
    event, data = claim_webhook(approved)
    assert event == "claim.approved" and data["claim"]["number"] == claim.number
    assert data["claim"]["lines"][0]["value"] == "12.50"
    claim_resolve(claim=claim, resolution="refund", actor="ops", now=now)
    # The "approved" e-mail still waiting is still news once resolved; a request for evidence
    # would not be.
    assert claim_stale(approved) == ""
    resolved = Message.objects.get(subject=claim.number, milestone="claim_resolved", channel="email")
    event, data = claim_webhook(resolved)
    assert event == "claim.resolved" and data["claim"]["refund"]["transactions"][0]["amount"] == "12.50"


@pytest.mark.django_db
def test_a_stale_evidence_request_is_withdrawn(store):
    now = timezone.now()
    order = delivered_order(store, "4002", delivered=now - timedelta(days=10))
    claim = claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now).claim
    claim_evidence_request(claim=claim, actor="ops", request="a photo of your door", now=now)
    asked = Message.objects.get(subject=claim.number, milestone="claim_evidence_requested", channel="email")
    assert claim_stale(asked) == ""
    claim_approve(claim=claim, actor="ops", now=now)
    assert claim_stale(asked) == "superseded by claim approved"


@pytest.mark.django_db
def test_the_worker_sends_the_claim_email_in_the_customers_language(store, smtp):
    now = timezone.now()
    order = delivered_order(store, "4003", delivered=now - timedelta(days=1))
    claim = claim_file(
        store=store, order=order, kind="missing_item", lines=[ClaimLineIn("L2", 1)], now=now
    ).claim
    claim_resolve(claim=claim, resolution="store_credit", actor="ops", now=now)
    message_deliver_due(now=timezone.now() + timedelta(seconds=1), limit=100)
    subjects = sorted(m["Subject"] for m in smtp.received if "claim" in m["Subject"])
    assert subjects == [
        f"Your claim is approved · claim {claim.number}",
        f"Your claim is settled · claim {claim.number}",
    ]
    settled = next(m for m in smtp.received if "settled" in m["Subject"])
    body = settled.get_body(preferencelist=("plain",)).get_content()
    assert "of store credit is ready to use." in body and "12.50" in body


@pytest.mark.django_db
def test_the_ops_order_page_shows_each_claims_next_step(store, admin_client):
    now = timezone.now()
    order = delivered_order(store, "4004", delivered=now - timedelta(days=10))
    claim = claim_file(store=store, order=order, kind="stolen", lines=[ClaimLineIn("L1", 1)], now=now).claim
    page = admin_client.get(f"/ops/exceptions/orders/{order.pk}").content.decode()
    assert f"Claim {claim.number}" in page
    assert "We&#x27;re reviewing your claim" in page or "We're reviewing your claim" in page


@pytest.fixture
def receiver():
    stub = Stub("/hooks/aftercart", lambda request: None, (204, {}))
    yield stub
    stub.stop()


@pytest.mark.django_db
def test_standard_webhooks_for_each_claim_step(store, receiver):
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    enable(store, "webhook", url=f"{receiver.url}/hooks/aftercart", secret=secret)
    now = timezone.now()
    order = delivered_order(store, "4005", delivered=now - timedelta(days=10))
    claim = claim_file(
        store=store,
        order=order,
        kind="stolen",
        lines=[ClaimLineIn("L1", 1)],
        preferred_resolution="refund",
        now=now,
    ).claim
    claim_evidence_request(claim=claim, actor="ops", request="a photo of the letterbox", now=now)
    claim_approve(claim=claim, actor="ops", now=now)
    claim_resolve(claim=claim, resolution="refund", actor="ops", amount=Decimal("100.00"), now=now)
    message_deliver_due(now=timezone.now() + timedelta(seconds=1), limit=100)
    events = {}
    for request in receiver.requests:
        payload = Webhook(secret).verify(request["body"], request["headers"])
        if payload["type"].startswith("claim."):
            events[payload["type"]] = payload["data"]["claim"]
    assert set(events) == {"claim.filed", "claim.evidence_requested", "claim.approved", "claim.resolved"}
    resolved = events["claim.resolved"]
    assert resolved["number"] == claim.number and resolved["order"]["id"] == "4005"
    assert resolved["payout"] == "100.00" and resolved["refund"]["transactions"][0]["amount"] == "100.00"
    assert resolved["lines"] == [
        {
            "line_id": "L1",
            "sku": "JKT-M",
            "product_id": "JKT",
            "title": "Rain jacket",
            "variant": "M",
            "quantity": 1,
            "value": "120.00",
        }
    ]
