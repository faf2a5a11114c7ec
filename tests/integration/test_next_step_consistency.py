"""Every next-step code through every touchpoint: they must all say the same thing.

For each :class:`StepCode` the facts that reach it (``CASES`` from the domain's unit tests) go in
through the real ledger (``facts_record``); then the order is read through each touchpoint as a
customer or a store would meet it, and the headline each shows is compared, in English and in
Spanish:

* the API, ``GET /api/v1/orders/{id}`` (``next_step.code`` and ``next_step.headline``);
* the tracking page, ``/t/<token>`` (the ``<h1>`` of the next-step section);
* the e-mail (:func:`aftercart.notifications.channels.email.build_email`, rendered, not sent):
  its subject, the first line of the plain-text body and the ``<h1>`` of the HTML part;
* the SMS (:func:`aftercart.notifications.channels.sms.sms_body`, rendered, not sent): the text
  between the store's name and the tracking link;
* the support answer to "where is my order?" (:func:`aftercart.support.services.message_take`):
  the automated reply when the order's state is routine, the reply drafted for the agent when it
  is not — the line after "Order <number>:".

A touchpoint that cannot show a code fails here with a message naming it; none is skipped.
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import trans_real

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.next_step import TEXTS, StepCode
from aftercart.kernel.i18n import DAY_PARAMS
from aftercart.notifications.channels import Outbound
from aftercart.notifications.channels.email import build_email
from aftercart.notifications.channels.sms import sms_body
from aftercart.notifications.models import Message
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_view
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token
from tests.unit.test_next_step import CASES, NOW, shipped

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LANGS = ("en", "es")
ORDER_REF = "o1"
NUMBER = "#7"
H1 = re.compile(r'<h1 id="next-step-heading">(.*?)</h1>', re.S)
DETAIL = re.compile(r'<h1 id="next-step-heading">.*?</h1>\s*<p>(.*?)</p>', re.S)
DATA_STEP = re.compile(r'<section class="step"[^>]*data-step="([^"]+)"')
EMAIL_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def _no_carrier(facts: list[Fact]) -> list[Fact]:
    """The same facts with the shipment's carrier left out (a store that names none)."""
    return [
        dataclasses.replace(f, payload={**f.payload, "carrier": ""})
        if f.kind is FactKind.SHIPMENT_CREATED
        else f
        for f in facts
    ]


#: Every code (from the domain's own table), plus situations whose params need translating.
SCENARIOS: dict[str, tuple[StepCode, list[Fact]]] = {
    **{code.value: (code, facts) for code, facts in CASES.items()},
    "attempt_failed/no_carrier": (
        StepCode.ATTEMPT_FAILED,
        _no_carrier(shipped(("attempt_fail", "attempt_fail.addressee_unavailable", "No one home"))),
    ),
    "shipped/no_carrier": (
        StepCode.SHIPPED,
        _no_carrier(shipped(("in_transit", None, "Departed"), estimate="2026-03-06")),
    ),
}


def test_every_code_has_a_scenario():
    assert {code for code, _ in SCENARIOS.values()} == set(StepCode), "CASES must cover every StepCode"


@pytest.fixture(scope="module")
def catalogues():
    """Compiled message catalogues (built, not committed): the Spanish checks need them."""
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture
def frozen(monkeypatch, settings):
    """The clock every touchpoint reads, set to the moment the domain's CASES are judged at."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    settings.AFTERCART_BASE_URL = "https://track.acme.example"
    settings.DEFAULT_FROM_EMAIL = "orders@acme.example"
    return NOW


def ingest(store, facts: list[Fact], lang: str) -> Order:
    """The scenario's facts through the ledger, with the customer's language on the order."""
    localised = [
        dataclasses.replace(f, payload={**f.payload, "locale": lang, "email": "ana@example.com"})
        if f.kind is FactKind.ORDER_PLACED
        else f
        for f in facts
    ]
    result = facts_record(store=store, facts=localised, now=NOW, notify=False)
    assert result.accepted == len(facts), result
    return Order.objects.get(store=store, external_id=ORDER_REF)


def expected_headline(code: StepCode, params: dict[str, str], lang: str) -> str:
    """The catalogue's headline for the code, filled in: what every touchpoint should show."""
    with translation.override(lang):
        filled = translation.gettext(TEXTS[code][0]).format(
            **{
                k: translation.gettext(v)
                if v in ("the carrier", "the pickup point", "soon")
                # A moment shown as the customer's day, in their language's date format.
                else formats.date_format(datetime.fromisoformat(v).astimezone(UTC).date(), "DATE_FORMAT")
                if k in DAY_PARAMS
                else v
                for k, v in params.items()
            }
        )
    return filled[:1].upper() + filled[1:]


def api_view(api, lang: str) -> dict:
    response = api.get(f"/api/v1/orders/{ORDER_REF}", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, f"API: GET /api/v1/orders/{ORDER_REF} → {response.status_code}"
    return response.json()["next_step"]


def page_view(client, order: Order, lang: str) -> tuple[str, str]:
    response = client.get(f"/t/{make_tracking_token(order)}?lang={lang}")
    assert response.status_code == 200, f"tracking page → {response.status_code}"
    body = response.content.decode()
    heading, step = H1.search(body), DATA_STEP.search(body)
    assert heading and step, "tracking page: no next-step section with an <h1 id=next-step-heading>"
    return step.group(1), html.unescape(heading.group(1)).strip()


def sms_view(store, order: Order) -> tuple[str, str]:
    """The step code and the SMS's headline: ``<store>: <headline> <tracking link> <footer>``."""
    state, step = order_view(order, NOW)
    message = Message(
        store=store,
        order=order,
        channel="sms",
        milestone=step.code.value,
        dedupe_key=f"consistency:{order.pk}:{step.code.value}:sms",
        recipient="+447700900123",
    )
    text = sms_body(Outbound(message=message, state=state, step=step, address="+447700900123"))
    prefix = f"{store.name}: "
    assert text.startswith(prefix) and " https://" in text, f"SMS: unexpected shape {text!r}"
    return step.code.value, text[len(prefix) : text.index(" https://")]


def email_view(store, order: Order) -> dict[str, str]:
    state, step = order_view(order, NOW)
    message = Message.objects.create(
        store=store,
        order=order,
        channel="email",
        milestone=step.code.value,
        dedupe_key=f"consistency:{order.pk}:{step.code.value}:email",
        recipient="ana@example.com",
    )
    email = build_email(Outbound(message=message, state=state, step=step, address="ana@example.com"))
    html_part = next((body for body, mime in email.alternatives if mime == "text/html"), "")
    heading = EMAIL_H1.search(html_part)
    return {
        "code": step.code.value,
        "subject": email.subject,
        "text": email.body.strip().splitlines()[0].strip(),
        "html": html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip() if heading else "",
    }


def support_view(store, order: Order, lang: str, monkeypatch) -> tuple[str, str]:
    """The decision and the headline line of the support answer to "where is my order?"."""
    from aftercart.domain.support.intents import IntentPrediction
    from aftercart.support.models import Conversation
    from aftercart.support.services import Inbound, message_take

    monkeypatch.setattr(
        "aftercart.support.process.classify", lambda text: IntentPrediction("track_order", 0.99)
    )
    inbound = Inbound(
        channel="api", text="Where is my order?", order_id=order.pk, language=lang, message_id=f"c-{lang}"
    )
    received, automation = message_take(store_id=store.pk, inbound=inbound, now=NOW)
    assert automation is not None, "support: the message was not decided"
    conversation = Conversation.objects.get(pk=received.conversation.pk)
    text = automation.reply.body if automation.reply is not None else conversation.draft_reply
    lines = text.splitlines()
    marker = next((i for i, line in enumerate(lines) if NUMBER in line and line.endswith(":")), None)
    assert marker is not None, f"support: no 'Order {NUMBER}:' line in {text!r}"
    return automation.decision, lines[marker + 1]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_touchpoint_shows_the_same_next_step(
    scenario, lang, api, client, store, frozen, catalogues, monkeypatch
):
    code, facts = SCENARIOS[scenario]
    order = ingest(store, facts, lang)
    _, step = order_view(order, NOW)
    assert step.code is code, f"the domain gives {step.code} for the {scenario} facts"
    expected = expected_headline(code, step.params, lang)
    english = expected_headline(code, step.params, "en")

    seen: dict[str, str] = {}
    problems: list[str] = []

    api_step = api_view(api, lang)
    if api_step["code"] != code.value:
        problems.append(f"API code is {api_step['code']!r}, not {code.value!r}")
    seen["api"] = api_step["headline"]

    page_code, seen["page"] = page_view(client, order, lang)
    if page_code != code.value:
        problems.append(f"tracking page data-step is {page_code!r}, not {code.value!r}")

    sms_code, seen["sms"] = sms_view(store, order)
    if sms_code != code.value:
        problems.append(f"SMS code is {sms_code!r}, not {code.value!r}")

    decision, seen["support"] = support_view(store, order, lang, monkeypatch)
    if decision not in ("answered", "escalated"):
        problems.append(f"support decided {decision!r}")

    mail = email_view(store, order)
    seen["email subject"] = mail["subject"]
    seen["email text"] = mail["text"]
    seen["email html"] = mail["html"]
    with translation.override(lang):
        subject = translation.gettext("%(headline)s · order %(number)s") % {
            "headline": expected,
            "number": NUMBER,
        }

    wanted = {
        # The API is language-neutral: it answers in English (the message ids) with the code and
        # params for the client to translate; Accept-Language does not change it.
        "api": english,
        "page": expected,
        "email subject": " ".join(subject.split()),
        "email text": expected,
        "email html": expected,
        "sms": " ".join(expected.split()),
        "support": expected,
    }
    for touchpoint, want in wanted.items():
        if seen[touchpoint] != want:
            problems.append(f"{touchpoint}: {seen[touchpoint]!r}, expected {want!r}")
    assert not problems, f"{scenario} [{lang}] touchpoints disagree:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_page_and_the_email_give_the_same_detail(scenario, lang, client, store, frozen, catalogues):
    """The sentence under the headline (dates, carrier, place) reads the same on the page and in
    the e-mail the customer clicked through from."""
    _, facts = SCENARIOS[scenario]
    order = ingest(store, facts, lang)
    body = client.get(f"/t/{make_tracking_token(order)}?lang={lang}").content.decode()
    found = DETAIL.search(body)
    assert found, "tracking page: no detail paragraph under the next-step headline"
    page_detail = html.unescape(found.group(1)).strip()
    state, step = order_view(order, NOW)
    message = Message.objects.create(
        store=store,
        order=order,
        channel="email",
        milestone=step.code.value,
        dedupe_key=f"consistency-detail:{order.pk}:email",
        recipient="ana@example.com",
    )
    email = build_email(Outbound(message=message, state=state, step=step, address="ana@example.com"))
    paragraphs = [p.strip() for p in email.body.strip().split("\n\n")]
    assert page_detail == paragraphs[1], (
        f"{scenario} [{lang}]: page says {page_detail!r}, e-mail says {paragraphs[1]!r}"
    )


#: The e-mail's own words around the next step (subject, button, footer).
EMAIL_FRAME = (
    "%(headline)s · order %(number)s",
    "Order %(order_number)s",
    "View your order",
    "Unsubscribe or choose which updates you get",
)


def test_the_email_frame_is_translated_in_spanish(catalogues):
    with translation.override("es"):
        missing = [m for m in EMAIL_FRAME if translation.gettext(m) == m]
    assert not missing, (
        f"e-mail strings with no Spanish translation (the subject reads 'order' in es): {missing}"
    )
