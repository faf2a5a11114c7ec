"""No personal data in logs: the representative flows run with every logger at DEBUG, and no
record names the customer (their e-mail, phone, name or address)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from aftercart.domain.returns import Reason, RequestedLine
from aftercart.notifications.delivery import message_deliver_due
from aftercart.orders.selectors import order_state
from aftercart.returns.submission import SubmittedLine, return_submit
from tests.integration.privacy_data import EMAIL, NEEDLES, POLICY, jpeg, place

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _lookup_limits_from_zero():
    cache.clear()  # the lookup's rate limits live in the shared cache
    yield
    cache.clear()


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write of a record: the message with its arguments, the raw
    arguments, the exception and stack, and any extra attributes."""
    parts = [record.getMessage(), repr(record.args), record.exc_text or "", record.stack_info or ""]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    parts += [
        repr(v)
        for k, v in vars(record).items()
        if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
    ]
    return "\n".join(parts).lower()


def test_ingest_lookup_email_and_return_log_nothing_personal(
    api, client, api_token, store, smtp, settings, tmp_path, caplog, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    store.country = "GB"
    store.save()
    caplog.set_level(logging.DEBUG)  # the root logger: every logger's records reach caplog
    for name in ("aftercart", "django", "ninja", "twilio", "PIL"):
        logging.getLogger(name).setLevel(logging.DEBUG)

    # Ingest: the order (REST), its parcel and the carrier's scans (batch).
    policy = json.dumps(POLICY)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}
    assert (
        client.put("/api/v1/returns/policy", policy, content_type="application/json", **headers).status_code
        == 201
    )
    order = place(api, "1001", email=EMAIL, phone="+44 20 7946 0123", name="Ana Silva", signed_by="SILVA")
    # The tracking page: a lookup by number and e-mail (and one that misses), then the page.
    found = client.post("/track", {"number": "#1001", "contact": EMAIL})
    assert found.status_code == 303
    assert client.get(found["Location"]).status_code == 200
    assert client.post("/track", {"number": "#1001", "contact": "Ana.Silva@Example.org"}).status_code == 200
    # E-mail: what the milestones of an order on its way planned, sent over SMTP.
    place(api, "1002", email=EMAIL, name="Ana Silva", days_ago=1, delivered=False)
    report = message_deliver_due(now=timezone.now() + timedelta(hours=1))
    assert report.sent >= 1 and smtp.received
    # A return with the shopper's words and a photo.
    line = SubmittedLine(
        request=RequestedLine(line_id="1001-L1", quantity=1, reason=Reason.SIZE_TOO_SMALL),
        resolution="refund",
        reason_text="Too small for Ana Silva",
        photos=[("jacket.jpg", jpeg())],
    )
    with django_capture_on_commit_callbacks(execute=True):
        return_submit(
            order=order,
            state=order_state(order),
            lines=[line],
            method="label",
            client_key="k1",
            now=timezone.now(),
        )
    message_deliver_due(now=timezone.now() + timedelta(hours=2))

    assert len(caplog.records) > 0, "the flows log something"
    # Not ours: the test's SMTP server (aiosmtpd's "mail.log"), standing in for the customer's
    # mail provider, which of course logs whom it received mail for.
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]
    leaked = sorted(
        {f"{r.name}:{r.levelname}: {n}" for r in ours for n in NEEDLES if n.lower() in record_text(r)}
    )
    assert leaked == []
