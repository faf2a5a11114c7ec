"""One store must not be able to stall every store's messages (security probe, issue 11).

Store templates are written in a bounded language (no loops, a few tags and filters, bare
variables) checked on save through the real API; every render, at preview and at send, runs within
a budget, and a template that goes over it with real values gives way to the built-in text, which
is sent and says why. The outbox serves stores in turn, so a backlog of one store does not keep
another's message waiting beyond the first batch. E-mails are received by a local SMTP server.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercart.notifications.delivery import message_deliver_due, messages_claim
from aftercart.notifications.models import Message, MessageTemplate
from aftercart.orders.services import facts_record
from tests.factories import fact

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/notifications/templates"
PREVIEW = "/api/v1/notifications/templates/preview"
#: The probe's template: fine with "Ana Souza" (9⁴ iterations), 1.6 billion with a 200-character name.
NESTED = (
    "{% for a in customer_name %}{% for b in customer_name %}{% for c in customer_name %}"
    "{% for d in customer_name %}{{ d }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
)
#: Two levels: 40,000 iterations with a 200-character name (quick to show, before the fix too).
TWO_LEVELS = "{% for a in customer_name %}{% for b in customer_name %}{{ b }}{% endfor %}{% endfor %}"
LONG_NAME = "Ana " + "x" * 196


@pytest.fixture
def now():
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def put(api, data):
    return api.post(TEMPLATES, data, REQUEST_METHOD="PUT")


def placed(at, order="1001", name="Ana Souza", email="ana@example.com"):
    return fact(
        "order.placed",
        at,
        f"placed-{order}",
        order=order,
        number=f"#{order}",
        customer_name=name,
        email=email,
        lines=[{"line_id": "L1", "title": "Rain jacket", "quantity": 1}],
    )


def record(store, *facts, at):
    return facts_record(store=store, facts=list(facts), now=at)


def other_store():
    from aftercart.stores.services import store_create

    return store_create(
        slug="bolt",
        name="Bolt Bikes",
        shopify_webhook_secret="shpss_other_secret",
        aftership_webhook_secret="as_other_secret",
    )


# --- the language: refused on save ----------------------------------------------------------------


def test_the_nested_loop_template_is_refused_on_save_and_in_a_draft_preview(api, store, now):
    refused = put(api, {"channel": "email", "milestone": "shipped", "subject": "Hi", "body": NESTED})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["field"] == "body" and "{% for %} is not allowed" in error["message"], error
    assert not MessageTemplate.objects.exists(), "nothing stored"

    record(store, placed(now), at=now)
    draft = api.post(
        PREVIEW, {"order_number": "#1001", "channel": "email", "milestone": "shipped", "body": NESTED}
    )
    assert draft.status_code == 422 and draft.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("field", "source", "says"),
    [
        ("subject", "{% for c in store_name %}{{ c }}{% endfor %}", "{% for %} is not allowed"),
        ("body", "{% if carrier %}{% cycle 'a' 'b' %}{% endif %}", "{% cycle %} is not allowed"),
        ("body", "{% load i18n %}{% translate 'hi' %}", "{% load %} is not allowed"),
        ("body", "{% include 'admin/base.html' %}", "{% include %} is not allowed"),
        ("body", "{% now 'Y' %}", "{% now %} is not allowed"),
        ("body", "{{ customer_name|ljust:'19000' }}", "the filter 'ljust' is not allowed"),
        ("body", "{{ customer_name.upper }}", "without '.' lookups"),
        ("body", "{% if customer_name.isupper %}shout{% endif %}", "without '.' lookups"),
        ("body", "{{ carrier|default:coupon_code }}", "unknown variable 'coupon_code'"),
        ("body", "{{ store_name }}" * 501, "reads variables more than 500 times"),
    ],
)
def test_what_the_template_language_leaves_out_is_refused_naming_the_field(api, field, source, says):
    template = {"channel": "email", "milestone": "shipped", "subject": "Hi", "body": "Hi"}
    response = put(api, {**template, field: source})
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == field and says in error["message"], error
    assert not MessageTemplate.objects.exists()


def test_what_the_template_language_keeps_renders_in_the_preview(api, store, now):
    record(store, placed(now), at=now)
    body = (
        "{% comment %}for the team{% endcomment %}{# a note #}"
        "{% if carrier == 'UPS' %}UPS{% elif customer_name %}{{ customer_name|upper }}{% else %}?{% endif %}, "
        "{{ return_number|default:'no return' }}, {{ store_name|lower|truncatewords:1 }}, "
        "{{ milestone|capfirst }}, {{ customer_name|truncatechars:4 }}, {{ order_number|title }}"
    )
    saved = put(api, {"channel": "sms", "milestone": "order_confirmed", "body": body})
    assert saved.status_code == 200, saved.content
    preview = api.post(PREVIEW, {"order_number": "#1001", "channel": "sms", "milestone": "order_confirmed"})
    assert preview.status_code == 200, preview.content
    text = preview.json()["text"]
    assert text.startswith("ANA SOUZA, no return, acme …, Order_confirmed, Ana…, #1001 "), text
    assert "built_in" not in preview.json()


# --- the budget: at preview and at send ------------------------------------------------------------


def test_a_stored_loop_template_gives_way_to_the_built_in_text_in_preview_and_when_sent(
    api, store, smtp, now
):
    # Stored before templates were written in the bounded language (or straight into the database).
    MessageTemplate.objects.create(
        store=store, channel="email", milestone="order_confirmed", locale="", subject="Hi", body=TWO_LEVELS
    )
    record(store, placed(now, name=LONG_NAME), at=now)

    preview = api.post(PREVIEW, {"order_number": "#1001", "channel": "email", "milestone": "order_confirmed"})
    assert preview.status_code == 200, preview.content
    shown = preview.json()
    assert "{% for %} is not allowed" in shown["built_in"], shown.get("built_in")
    assert "x" * 400 not in shown["text"] and len(shown["text"]) < 5_000

    report = message_deliver_due(now=now + timedelta(minutes=16))
    assert (report.sent, report.errors) == (1, 0), "the message goes: with the built-in text"
    [email] = smtp.received
    text = email.get_body(("plain",)).get_content()
    assert "x" * 400 not in text and "Rain jacket" in text
    assert email["Subject"] != "Hi", "the built-in subject too: the template is used whole or not at all"
    message = Message.objects.get()
    assert message.status == "sent"
    assert message.reason.startswith("sent with the built-in text: the store's template line 1: {% for %}")


def test_a_template_over_its_length_with_real_values_gives_way_to_the_built_in_text(api, store, smtp, now):
    saved = put(
        api,
        {
            "channel": "email",
            "milestone": "order_confirmed",
            "subject": "{{ customer_name }} {{ customer_name }}",
            "body": "Thanks, {{ customer_name }}.",
        },
    )
    assert saved.status_code == 200, "fine with the example name"
    record(store, placed(now, name=LONG_NAME), placed(now, order="1002", email="bo@example.com"), at=now)

    assert message_deliver_due(now=now + timedelta(minutes=16)).sent == 2
    by_to = {m["To"]: m for m in smtp.received}
    assert by_to["bo@example.com"]["Subject"] == "Ana Souza Ana Souza", "the template, where it fits"
    long_one = by_to["ana@example.com"]
    assert (
        LONG_NAME not in long_one["Subject"] and "Thanks," not in long_one.get_body(("plain",)).get_content()
    )
    reason = Message.objects.get(order__external_id="1001").reason
    assert (
        reason == "sent with the built-in text: the store's template renders to 401 characters; at most 300"
    )
    assert Message.objects.get(order__external_id="1002").reason == ""


def test_the_budget_holds_in_conditions_that_swallow_errors_and_for_long_values():
    from aftercart.notifications.message_templates import VARIABLES
    from aftercart.notifications.template_sandbox import OverBudget, sandbox_compile, sandbox_render

    names = frozenset(VARIABLES)
    # An {% if a == b %} turns an error into False: the budget still stops the render.
    compared = sandbox_compile("{% if store_name == customer_name %}same{% endif %}" * 300, names)
    with pytest.raises(OverBudget, match="more than 500 times"):
        sandbox_render(compared, VARIABLES, limit=20_000)
    read = sandbox_compile("{% if customer_name %}{{ store_name }}{% endif %}", names)
    with pytest.raises(OverBudget, match="characters of variables"):
        sandbox_render(read, {**VARIABLES, "customer_name": "x" * 300_000}, limit=20_000)
    assert sandbox_render(read, VARIABLES, limit=20_000) == "Acme Outfitters"


# --- fairness: stores take turns -------------------------------------------------------------------


def test_a_store_backlog_does_not_delay_another_store_message_beyond_the_first_batch(store, smtp, now):
    other = other_store()
    record(store, *[placed(now, order=f"A{n}", email=f"a{n}@example.com") for n in range(200)], at=now)
    later = now + timedelta(minutes=1)  # due after all 200 of the first store's
    record(other, placed(later, order="B1", email="bo@bolt.example"), at=later)

    report = message_deliver_due(now=now + timedelta(minutes=20), limit=50)
    assert report.sent == 50
    assert "bo@bolt.example" in [m["To"] for m in smtp.received], "served in the first batch"
    assert Message.objects.get(store=other).status == "sent"
    assert Message.objects.filter(store=store, status="pending").count() == 151, "the backlog waits its turn"


def test_stores_with_backlogs_share_each_batch(store, now):
    other = other_store()
    record(store, *[placed(now, order=f"A{n}", email=f"a{n}@example.com") for n in range(60)], at=now)
    later = now + timedelta(minutes=1)
    record(other, *[placed(later, order=f"B{n}", email=f"b{n}@example.com") for n in range(60)], at=later)
    due = now + timedelta(minutes=20)

    first = messages_claim(now=due, limit=50)
    shares = Counter(Message.objects.filter(pk__in=first).values_list("store_id", flat=True))
    assert shares == {store.pk: 25, other.pk: 25}
    oldest = Message.objects.filter(store=store).order_by("next_attempt_at", "pk")[:25]
    assert set(oldest.values_list("pk", flat=True)) <= set(first), "within a store, oldest first"
    rest = messages_claim(now=due, limit=200)
    assert len(rest) == 70 and not set(rest) & set(first), "each message claimed once"
