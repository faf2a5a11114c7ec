"""Every return next-step code through every touchpoint, in every shipped language: the portal's
return page, the return e-mail (rendered by the e-mail channel, not sent), the API and the ops
console's order page must all show the headline and detail the presenter makes of the domain's
step. Then dates and money in each language's own format, and the two decisions the domain now
owns: a rejected return says why and pays nothing; an exchange is never told as a refund.

Return states are set directly on the row: this is about rendering one step everywhere (the
lifecycle that reaches each state has its own tests)."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from django.utils import timezone, translation

from aftercart.domain.milestones import Milestone
from aftercart.domain.returns.next_step import ReturnStepCode
from aftercart.kernel.i18n import customer_zone
from aftercart.kernel.presenter import present
from aftercart.notifications.channels import Outbound
from aftercart.notifications.channels.email import build_email
from aftercart.notifications.models import Message
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns import selectors
from aftercart.returns.models import LabelPurchase, Return
from tests.integration.test_next_step_consistency import catalogues  # noqa: F401  (fixture)
from tests.integration.test_returns_api import place
from tests.integration.test_returns_flow import ask, outbox, policy, put, sandbox_labels  # noqa: F401

pytestmark = pytest.mark.django_db

LANGS = ("en", "fr", "es", "de", "pt-br")
SHIP_BY = date(2026, 12, 21)
REFUND = [{"line_id": "L1", "reason": "changed_mind", "resolution": "refund"}]

#: The row's fields for each code (``/undated``: no date to send the items by).
SCENARIOS: dict[str, tuple[ReturnStepCode, dict]] = {
    "in_review": (ReturnStepCode.IN_REVIEW, {"status": "requested", "needs_review": True}),
    "requested": (ReturnStepCode.REQUESTED, {"status": "requested", "needs_review": False}),
    "keep_items": (ReturnStepCode.KEEP_ITEMS, {"status": "approved", "keep_items": True}),
    "approved": (ReturnStepCode.APPROVED, {"status": "approved"}),
    "approved/undated": (ReturnStepCode.APPROVED, {"status": "approved", "ship_by": None}),
    # Its prepaid label could not be bought (a failed LabelPurchase is added for it below).
    "label_delayed": (ReturnStepCode.LABEL_DELAYED, {"status": "approved", "label_issued_at": None}),
    "send_items": (ReturnStepCode.SEND_ITEMS, {"status": "label_issued"}),
    "send_items/undated": (ReturnStepCode.SEND_ITEMS, {"status": "label_issued", "ship_by": None}),
    "in_transit": (ReturnStepCode.IN_TRANSIT, {"status": "in_transit"}),
    "received": (ReturnStepCode.RECEIVED, {"status": "received"}),
    "inspected": (ReturnStepCode.INSPECTED, {"status": "inspected"}),
    "resolved": (
        ReturnStepCode.RESOLVED,
        {"status": "resolved", "resolution": "credit_issued,exchange_created"},
    ),
    "rejected": (ReturnStepCode.REJECTED, {"status": "rejected", "rejection_reason": "The jacket was worn"}),
    "cancelled": (ReturnStepCode.CANCELLED, {"status": "cancelled"}),
}

PAGE = re.compile(r'data-step="([^"]+)".*?<h1 id="return-step-heading">(.*?)</h1>\s*<p>(.*?)</p>', re.S)
CONSOLE = re.compile(
    r'<section class="step" data-subject="returns" data-title="([^"]+)" data-step="([^"]+)">\s*'
    r"<h3>(.*?)</h3>\s*<p>(.*?)</p>",
    re.S,
)
ORDER_CONSOLE = re.compile(
    r'<section class="step" data-subject="order" data-step="([^"]+)">\s*<h3>(.*?)</h3>\s*<p>(.*?)</p>', re.S
)


def _text(value: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", value)).split())


@pytest.fixture
def made(api, policy, settings):  # noqa: F811
    settings.AFTERCART_BASE_URL = "https://track.acme.example"

    def make(fields: dict, lang: str = "en", lines=None) -> Return:
        place(api)
        if lang != "en":
            update = {"locale": lang, "updated_at": timezone.now().isoformat()}
            assert api.patch("/api/v1/orders/1001", update).status_code == 200
        ret = Return.objects.get(rma=ask(api, lines or REFUND).json()["rma"])
        Return.objects.filter(pk=ret.pk).update(**{"ship_by": SHIP_BY, **fields})
        if fields is SCENARIOS["label_delayed"][1]:
            now = timezone.now()
            LabelPurchase.objects.create(
                ret=ret,
                store_id=ret.store_id,
                status="failed",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        return Return.objects.select_related("order", "store", "policy").get(pk=ret.pk)

    return make


def page_view(client, ret: Return, lang: str) -> tuple[str, str, str]:
    token = make_tracking_token(ret.order)
    response = client.get(f"/returns/{token}/{ret.rma}?lang={lang}")
    assert response.status_code == 200, f"portal page → {response.status_code}"
    found = PAGE.search(response.content.decode())
    assert found, "portal page: no next-step section"
    return found.group(1), _text(found.group(2)), _text(found.group(3))


def email_view(ret: Return, milestone: Milestone = Milestone.RETURN_RECEIVED) -> dict[str, str]:
    state, step = order_view(ret.order, timezone.now())
    message = Message.objects.create(
        store=ret.store,
        order=ret.order,
        channel="email",
        milestone=milestone.value,
        subject=ret.rma,
        dedupe_key=f"consistency:{ret.rma}:{milestone.value}",
        recipient="ana@example.com",
    )
    email = build_email(Outbound(message=message, state=state, step=step, address="ana@example.com"))
    paragraphs = [p.strip() for p in email.body.strip().split("\n\n")]
    html_part = next(body for body, mime in email.alternatives if mime == "text/html")
    return {
        "subject": email.subject,
        "headline": paragraphs[0],
        "detail": paragraphs[1],
        "text": " ".join(email.body.split()),
        "html_headline": _text(re.search(r"<h1[^>]*>(.*?)</h1>", html_part, re.S).group(1)),
    }


def console_view(admin_client, ret: Return, lang: str) -> tuple[str, str, str]:
    response = admin_client.get(f"/ops/exceptions/orders/{ret.order_id}", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, f"ops console → {response.status_code}"
    found = {m.group(1): m for m in CONSOLE.finditer(response.content.decode())}
    assert ret.rma in found, "ops console: no next step for the return"
    match = found[ret.rma]
    prefix = f"{ret.rma}: "
    headline = _text(match.group(3))
    assert headline.startswith(prefix)
    return match.group(2), headline[len(prefix) :], _text(match.group(4))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_touchpoint_shows_the_same_return_step(
    scenario,
    lang,
    made,
    api,
    client,
    admin_client,
    catalogues,  # noqa: F811
):
    code, fields = SCENARIOS[scenario]
    ret = made(fields, lang)
    step = selectors.return_step(ret)
    assert step.code is code, f"the domain gives {step.code} for {scenario}"
    zone = customer_zone(None, ret.store.timezone)
    with translation.override(lang):
        expected = present(step, zone)
    with translation.override("en"):
        english = present(step, zone)
    want = (code.value, expected.headline, expected.detail)

    assert page_view(client, ret, lang) == want, "portal page"
    mail = email_view(ret)
    assert (mail["headline"], mail["detail"]) == want[1:], "e-mail (plain text)"
    assert mail["html_headline"] == expected.headline, "e-mail (HTML)"
    assert console_view(admin_client, ret, lang) == want, "ops console"
    if lang == "en":
        body = api.get(f"/api/v1/returns/{ret.rma}").json()["next_step"]
        assert (body["code"], body["headline"], body["detail"]) == want, "API"
        assert [a["code"] for a in body["actions"]] == [a.code for a in expected.actions]
    else:
        # Translated, not fallen back to English.
        assert expected.headline != english.headline and expected.detail != english.detail
        if "ship_by" in step.params:
            assert "December" not in expected.detail


def test_the_ops_console_shows_the_orders_next_step(made, admin_client):
    ret = made({"status": "in_transit"})
    page = admin_client.get(f"/ops/exceptions/orders/{ret.order_id}").content.decode()
    found = ORDER_CONSOLE.search(page)
    state, step = order_view(ret.order, timezone.now())
    shown = present(step, customer_zone(state, ret.store.timezone))
    assert found, "ops console: no next step for the order"
    assert (found.group(1), _text(found.group(2)), _text(found.group(3))) == (
        shown.code,
        shown.headline,
        shown.detail,
    )
    assert shown.headline  # the same words the tracking page shows (test_next_step_consistency)


#: Each language's long date, as its customers write it.
DATES = {
    "fr": "21 décembre 2026",
    "de": "21. Dezember 2026",
    "es": "21 de diciembre de 2026",
    # Django's pt_BR catalogue capitalises month names (current Brazilian usage would not).
    "pt-br": "21 de Dezembro de 2026",
}


@pytest.mark.parametrize("lang", list(DATES))
def test_return_page_and_emails_write_dates_and_money_in_the_customers_locale(
    lang,
    made,
    client,
    catalogues,  # noqa: F811
):
    ret = made({"status": "label_issued", "refund_amount": Decimal("63.69")}, lang)
    ret.lines.update(refund_amount=Decimal("63.69"))
    money = format_currency(Decimal("63.69"), "EUR", locale=translation.to_locale(lang))
    assert "63,69" in money  # babel's own format for the locale, whatever its spaces and sign

    _, _, detail = page_view(client, ret, lang)
    assert DATES[lang] in detail
    page = " ".join(
        html.unescape(
            client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}?lang={lang}").content.decode()
        ).split()
    )
    assert " ".join(money.split()) in page, "the page's amounts"

    label = email_view(ret, Milestone.LABEL_READY)
    assert DATES[lang] in label["detail"] and "December" not in label["text"]

    Return.objects.filter(pk=ret.pk).update(status="resolved", resolution="refund_issued")
    ret.refresh_from_db()
    refund = email_view(ret, Milestone.REFUND_ISSUED)
    assert " ".join(money.split()) in refund["text"] and "EUR" not in refund["text"]


def test_a_rejected_return_page_says_why_and_shows_no_amount_back(made, client):
    ret = made({"status": "rejected", "rejection_reason": "The jacket was worn"})
    assert ret.lines.get().refund_amount > 0, "the request priced the refund"
    _, headline, detail = page_view(client, ret, "en")
    assert headline == "Return not accepted"
    assert detail == "We couldn't accept this return. Reason: The jacket was worn."
    page = client.get(f"/returns/{make_tracking_token(ret.order)}/{ret.rma}?lang=en").content.decode()
    assert "You get back" not in page and "€" not in page
    # Nor does the step the API gives: a rejected return pays nothing.
    assert "refund" not in selectors.return_step(ret).params


CHEAPER_EXCHANGE = [
    {
        "line_id": "L1",
        "reason": "size_too_small",
        "resolution": "exchange",
        "exchange_for": {"product_id": "JKT", "variant": "L", "sku": "JKT-L", "unit_price": "100.00"},
    }
]


def test_an_exchange_for_a_cheaper_item_is_told_as_an_exchange_never_a_refund(api, made, client):
    ret = made({}, lines=CHEAPER_EXCHANGE)
    assert ret.refund_amount == Decimal("20.000"), "the difference goes back"
    for action, body in (("receive", {}), ("inspect", {"result": "accept_all"}), ("resolve", {})):
        assert api.post(f"/api/v1/returns/{ret.rma}/{action}", body).status_code == 200, action
    ret.refresh_from_db()
    mails = outbox(ret)
    assert "exchange_shipped" in mails
    assert "refund_issued" not in mails, "the shopper chose an exchange"
    mail = email_view(ret, Milestone.EXCHANGE_SHIPPED)
    assert mail["detail"] == "Your exchange is on its way."
    assert "The price difference, €20.00, goes back to your original payment method." in mail["text"]
    _, _, detail = page_view(client, ret, "en")
    assert detail == "Your exchange is on its way." and "refund" not in detail.lower()
