"""Feedback and retention end to end on the database: surveys planned after delivery and e-mailed
through the outbox, answered only by a POST, the gate holding everything back while something is
open, review requests to the satisfied (a signed ``review.requested`` webhook, Klaviyo), a person
for the unhappy, replenishment and onboarding, placements, holdouts and the impact report."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from aftercart.domain.exceptions import ExceptionKind
from aftercart.domain.feedback.holdout import assigned_to_holdout
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.exceptions.models import OrderException
from aftercart.exceptions.services import exception_record_open, exception_record_resolve
from aftercart.feedback.holdouts import customer_key
from aftercart.feedback.models import Assignment, FeedbackSettings, Placement, Reminder, Survey
from aftercart.feedback.worker import feedback_pass
from aftercart.notifications.delivery import message_deliver_due
from aftercart.notifications.models import ChannelConfig, Message
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.orders.tokens import make_tracking_token, read_tracking_token
from aftercart.stores.care import care_instruction_put
from aftercart.support.models import Conversation
from tests.factories import fact
from tests.integration.test_channels import Stub

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.AFTERCART_BASE_URL = "https://track.acme.example"


@pytest.fixture
def now():
    # A little before the clock: pages and the impact report judge by the real time.
    return timezone.now().replace(microsecond=0) - timedelta(minutes=5)


def deliver(store, n, *, delivered, email=None, lines=None, placed=None, locale=""):
    """Order ``n`` placed ``placed`` (default: 4 days before delivery) and delivered at ``delivered``."""
    order = str(n)
    placed = placed or delivered - timedelta(days=4)
    tracking = f"1Z{int(n):016d}"
    lines = lines or [
        {"line_id": "L1", "title": "Rain jacket", "sku": "JKT", "product_id": "JKT", "quantity": 1}
    ]
    facts = [
        fact(
            "order.placed",
            placed,
            f"placed-{order}",
            order=order,
            number=f"#{order}",
            email=email or f"customer{order}@example.com",
            currency="EUR",
            total="40.00",
            lines=lines,
            **({"locale": locale} if locale else {}),
        ),
        fact("shipment.created", placed + timedelta(hours=2), f"ship-{order}", order=order,
             shipment_id=f"S{order}", carrier="UPS", tracking_number=tracking,
             lines=[{"line_id": ln["line_id"], "quantity": ln["quantity"]} for ln in lines]),
        fact("tracking.event", delivered, f"scan-{order}", order=None, tracking=tracking, carrier="ups",
             tag="delivered", raw_message="Delivered"),
    ]  # fmt: skip
    facts_record(store=store, facts=facts, now=delivered)
    return Order.objects.get(store=store, external_id=order)


def survey_messages(order):
    return Message.objects.filter(order=order, milestone=Milestone.FEEDBACK_SURVEY.value)


def test_survey_waits_for_the_delay_then_goes_by_email_with_one_link_per_score(store, now):
    order = deliver(store, 1001, delivered=now - timedelta(hours=30))
    feedback_pass(now=now)
    assert not Survey.objects.exists(), "default delay is 48 hours after delivery"
    FeedbackSettings.objects.create(store=store, survey_delay_hours=24)
    feedback_pass(now=now)
    survey = Survey.objects.get(order=order)
    assert (survey.status, survey.about, survey.scale) == ("sent", "delivery", "csat")
    message_deliver_due(now=now + timedelta(minutes=1))
    assert survey_messages(order).get().status == "sent"
    email = mail.outbox[-1]
    assert email.subject == "How did we do? · order #1001"
    html = email.alternatives[0][0]
    links = re.findall(r'href="(https://track\.acme\.example/t/[^"]+/feedback\?[^"]+)"', html)
    assert [link.rsplit("score=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    for link in links:
        token = re.search(r"/t/([^/]+)/feedback\?about=delivery&amp;score=", link).group(1)
        assert read_tracking_token(token) == order
    assert "How satisfied are you with your order?" in email.body
    feedback_pass(now=now + timedelta(hours=1))
    assert survey_messages(order).count() == 1, "asked once"


def test_link_scanners_never_vote_only_a_post_records(store, client, now):
    order = deliver(store, 1002, delivered=now - timedelta(days=3))
    feedback_pass(now=now)
    url = f"/t/{make_tracking_token(order)}/feedback?about=delivery&score=5"
    for _ in range(20):  # a scanner following every link, a client prefetching
        assert client.get(url).status_code == 200
        assert client.head(url).status_code == 200
        assert client.get(url.replace("score=5", "score=1")).status_code == 200
    survey = Survey.objects.get(order=order)
    assert survey.answered_at is None and survey.score is None
    assert not OrderException.objects.filter(kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value).exists()
    page = client.get(url).content.decode()
    assert re.search(r'value="5" [^>]*checked', page), "the e-mail's score is preselected"
    answer = client.post(
        url,
        {"about": "delivery", "score": "5", "reason": "satisfied", "text": "Lovely jacket", "via": "email"},
    )
    assert answer.status_code == 303
    survey.refresh_from_db()
    assert (survey.score, survey.reason, survey.text, survey.answered_via) == (
        5,
        "satisfied",
        "Lovely jacket",
        "email",
    )
    assert survey.theme == "satisfied" and survey.classified_reason and survey.confidence is not None
    assert client.post(url, {"about": "delivery", "score": "9"}).status_code == 400
    survey.refresh_from_db()
    assert survey.score == 5


def test_no_survey_while_an_exception_is_open_then_ask_about_the_resolution(store, now):
    order = deliver(store, 1003, delivered=now - timedelta(days=3))
    exception_record_open(
        store_id=store.pk, order_id=order.pk, kind=ExceptionKind.RETURN_LABEL_FAILED,
        subject="return:R1", detail="label", now=now,
    )  # fmt: skip
    feedback_pass(now=now)
    survey = Survey.objects.get(order=order)
    assert survey.status == "waiting" and "exception is open" in survey.note
    assert not survey_messages(order).exists()
    exception_record_resolve(
        order_id=order.pk,
        kind=ExceptionKind.RETURN_LABEL_FAILED,
        subject="return:R1",
        resolution="fixed",
        now=now,
    )
    feedback_pass(now=now + timedelta(hours=1))
    survey.refresh_from_db()
    assert (survey.status, survey.about) == ("sent", "resolution")
    message_deliver_due(now=now + timedelta(hours=1, minutes=1))
    assert "How satisfied are you with how we handled your problem?" in mail.outbox[-1].body


def test_a_survey_planned_before_a_problem_is_withdrawn_when_sent(store, now):
    order = deliver(store, 1004, delivered=now - timedelta(days=3))
    feedback_pass(now=now)
    exception_record_open(
        store_id=store.pk, order_id=order.pk, kind=ExceptionKind.RETURN_LABEL_FAILED,
        subject="return:R2", detail="label", now=now,
    )  # fmt: skip
    message_deliver_due(now=now + timedelta(minutes=1))
    message = survey_messages(order).get()
    assert message.status == "superseded" and "exception is open" in message.reason
    assert not [m for m in mail.outbox if m.subject.startswith("How did we do?")]


def test_consent_muting_surveys_suppresses_them(store, now):
    from aftercart.notifications.services import preference_set

    order = deliver(store, 1005, delivered=now - timedelta(days=3), email="ana@example.com")
    preference_set(
        store_id=store.pk, channel=Channel.EMAIL, address="ana@example.com", opted_in=False,
        milestone=Milestone.FEEDBACK_SURVEY, source="preference_page", now=now,
    )  # fmt: skip
    feedback_pass(now=now)
    assert survey_messages(order).get().status == "suppressed"


@pytest.fixture
def hooks():
    stub = Stub("/hooks/aftercart", lambda request: None, (204, {}))
    yield stub
    stub.stop()


def test_satisfied_customer_review_request_is_a_signed_webhook_and_a_klaviyo_event(
    store, client, hooks, settings, now
):
    klaviyo = Stub("/api/events/", lambda request: None, (202, {}))
    settings.AFTERCART_KLAVIYO_BASE_URL = klaviyo.url
    try:
        ChannelConfig.objects.create(
            store=store, channel="webhook", settings={"url": f"{hooks.url}/hooks/aftercart", "secret": SECRET}
        )
        ChannelConfig.objects.create(store=store, channel="klaviyo", settings={"api_key": "pk_test"})
        lines = [
            {"line_id": "L1", "title": "Rain jacket", "sku": "JKT-M", "product_id": "JKT", "quantity": 1},
            {"line_id": "L2", "title": "Wool socks", "sku": "SCK", "product_id": "SCK", "quantity": 2},
        ]
        order = deliver(store, 1006, delivered=now - timedelta(days=3), lines=lines)
        url = f"/t/{make_tracking_token(order)}/feedback"
        assert client.post(url, {"about": "delivery", "score": "5"}).status_code == 303
        events = Message.objects.filter(order=order, milestone="review_requested")
        assert sorted(events.values_list("channel", flat=True)) == ["klaviyo", "webhook"]
        message_deliver_due(now=timezone.now() + timedelta(minutes=1))  # answered just now
        assert set(events.values_list("status", flat=True)) == {"sent"}
        (request,) = [r for r in hooks.requests if json.loads(r["body"])["type"] == "review.requested"]
        headers = request["headers"]
        body = Webhook(SECRET).verify(request["body"].decode(), headers)  # raises on a bad signature
        review = body["data"]["review"]
        assert review["order"]["number"] == "#1006"
        assert [p["product_id"] for p in review["products"]] == ["JKT", "SCK"]
        assert review["rating"] == {"scale": "csat", "score": 5, "max": 5}
        sent = [json.loads(r["body"])["data"]["attributes"] for r in klaviyo.requests]
        (attributes,) = [
            a for a in sent if a["metric"]["data"]["attributes"]["name"] == "Aftercart Review Requested"
        ]
        assert attributes["properties"]["review"]["rating"]["score"] == 5
        assert attributes["properties"]["order"]["number"] == "#1006"
    finally:
        klaviyo.stop()


def test_unhappy_customer_reaches_a_person_and_is_never_asked_for_a_review(store, client, hooks, now):
    ChannelConfig.objects.create(
        store=store, channel="webhook", settings={"url": f"{hooks.url}/hooks/aftercart", "secret": SECRET}
    )
    Placement.objects.create(store=store, slot="tracking_page", kind="cross_sell", title="Matching gloves",
                             link_url="https://shop.example/gloves", link_label="See gloves")  # fmt: skip
    order = deliver(store, 1007, delivered=now - timedelta(days=3))
    token = make_tracking_token(order)
    assert "Matching gloves" in client.get(f"/t/{token}").content.decode()
    response = client.post(
        f"/t/{token}/feedback",
        {"about": "delivery", "score": "1", "reason": "low_quality", "text": "Seams came apart"},
    )
    assert response.status_code == 303
    case = OrderException.objects.get(order=order, kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value)
    assert case.is_open and case.queue == "customer" and "Rated 1/5 (low_quality)" in case.detail
    assert "Seams" not in case.detail, "the customer's words stay on the survey"
    assert not Message.objects.filter(order=order, milestone="review_requested").exists()
    page = client.get(f"/t/{token}").content.decode()
    assert "Matching gloves" not in page, "nothing promotional until a person has resolved it"
    assert "data-feedback" in page, "the customer still sees (and may change) their answer"


def test_late_and_unexplained_gets_a_follow_up_before_any_survey(store, now):
    from aftercart.orders.models import DeliveryPromise

    order = deliver(store, 1008, delivered=now - timedelta(days=3))
    DeliveryPromise.objects.create(
        order=order, store=store, earliest=(now - timedelta(days=8)).date(), latest=(now - timedelta(days=6)).date(),
        share=0.9, promised_at=now - timedelta(days=9), made_at=now - timedelta(days=9),
    )  # fmt: skip
    feedback_pass(now=now)
    case = OrderException.objects.get(order=order, kind=ExceptionKind.CUSTOMER_FOLLOW_UP.value)
    assert case.subject == f"late:{order.public_id}"
    assert Survey.objects.get(order=order).status == "waiting"
    exception_record_resolve(order_id=order.pk, kind=ExceptionKind.CUSTOMER_FOLLOW_UP, subject=case.subject,
                             resolution="apologised", now=now)  # fmt: skip
    feedback_pass(now=now + timedelta(hours=1))
    assert Survey.objects.get(order=order).status == "sent"
    assert OrderException.objects.filter(order=order).count() == 1, "one follow-up, not one per pass"


def test_holdout_customers_never_receive_the_held_out_journey(store, client, now):
    FeedbackSettings.objects.create(store=store, holdout={"survey": 0.5})
    orders = [deliver(store, 2000 + i, delivered=now - timedelta(days=3)) for i in range(24)]
    feedback_pass(now=now)
    message_deliver_due(now=now + timedelta(minutes=1))
    held = [o for o in orders if Assignment.objects.get(order=o, experiment="survey").held_out]
    treated = [o for o in orders if o not in held]
    assert held and treated, "a half share splits 24 customers"
    for order in held:
        expected = assigned_to_holdout(customer_key=customer_key(order), experiment="survey", share=0.5)
        assert expected, "the group is the pure function's"
        assert Survey.objects.get(order=order).status == "held_out"
        assert not survey_messages(order).exists()
        assert "data-feedback" not in client.get(f"/t/{make_tracking_token(order)}").content.decode()
    recipients = {m.to[0] for m in mail.outbox if m.subject.startswith("How did we do?")}
    assert recipients == {f"customer{o.external_id}@example.com" for o in treated}
    assert not recipients & {f"customer{o.external_id}@example.com" for o in held}


def test_impact_and_metrics_api(store, api, client, now):
    FeedbackSettings.objects.create(store=store, holdout={"survey": 0.5})
    orders = [deliver(store, 3000 + i, delivered=now - timedelta(days=3)) for i in range(16)]
    feedback_pass(now=now)
    treated = [o for o in orders if not Assignment.objects.get(order=o, experiment="survey").held_out]
    for i, order in enumerate(treated):
        client.post(
            f"/t/{make_tracking_token(order)}/feedback", {"about": "delivery", "score": str(5 - i % 2)}
        )
    # Two treated customers come back: their next orders are retained revenue.
    for i, order in enumerate(treated[:2]):
        facts_record(store=store, facts=[fact("order.placed", now - timedelta(hours=1), f"again-{i}", order=f"R{i}",
                     number=f"#R{i}", email=order.email, total="25.00", currency="EUR",
                     lines=[{"line_id": "L1", "quantity": 1}])], now=now)  # fmt: skip
    # "Where is my order?" twice about one held-out order, once about a treated one; a refund
    # question is not WISMO and an unmatched conversation is no order's.
    held = [o for o in orders if o not in treated]
    for order, intent in [
        (held[0], "track_order"),
        (held[0], "delivery_period"),
        (treated[0], "track_order"),
        (treated[1], "get_refund"),
        (None, "track_order"),
    ]:
        Conversation.objects.create(store=store, channel="email", order=order, intent=intent,
                                    created_at=now, updated_at=now)  # fmt: skip
    report = api.get("/api/v1/feedback/impact?experiment=survey").json()
    assert report["orders"] == {"treated": len(treated), "held_out": 16 - len(treated)}
    wismo = report["metrics"]["wismo_per_100_orders"]
    assert wismo["treated_mean"] == pytest.approx(100 / len(treated))
    assert wismo["held_out_mean"] == pytest.approx(200 / len(held))
    repeat = report["metrics"]["repeat_purchase_rate"]
    assert repeat["treated_mean"] == pytest.approx(2 / len(treated)) and repeat["held_out_mean"] == 0.0
    assert repeat["difference"] == pytest.approx(2 / len(treated))
    assert repeat["low"] is not None and repeat["low"] <= repeat["difference"] <= repeat["high"]
    assert report["metrics"]["retained_revenue"]["treated_mean"] == pytest.approx(50 / len(treated))
    assert (
        report["metrics"]["csat"]["n_treated"] == len(treated)
        and report["metrics"]["csat"]["n_held_out"] == 0
    )
    assert api.get("/api/v1/feedback/impact?experiment=nonsense").status_code in (400, 422)
    bad = api.get(
        "/api/v1/feedback/impact?experiment=survey&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    )
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"] == [{"field": "to", "message": "must be after 'from'"}]
    metrics = api.get("/api/v1/feedback/metrics").json()
    assert metrics["answers"] == len(treated)
    assert metrics["surveys_sent"] == len(treated) and metrics["response_rate"] == 1.0
    assert metrics["csat"]["mean"] == pytest.approx(
        sum(5 - i % 2 for i in range(len(treated))) / len(treated)
    )


def test_replenishment_learned_from_history_after_onboarding_and_gated(store, now):
    FeedbackSettings.objects.create(store=store, replenishment_min_intervals=3, replenishment_min_customers=3)
    coffee = [{"line_id": "L1", "title": "Coffee beans", "sku": "COF", "product_id": "COF", "quantity": 1}]
    # Three customers rebought coffee 30, 28 and 32 days apart in the past.
    for i, gap in enumerate((30, 28, 32)):
        first = now - timedelta(days=200)
        deliver(
            store,
            4000 + 2 * i,
            delivered=first + timedelta(days=2),
            placed=first,
            email=f"c{i}@example.com",
            lines=coffee,
        )
        deliver(store, 4001 + 2 * i, delivered=first + timedelta(days=gap + 2), placed=first + timedelta(days=gap),
                email=f"c{i}@example.com", lines=coffee)  # fmt: skip
    care_instruction_put(store=store, category="coffee", language="en", text="Keep the beans airtight.")
    placed = now - timedelta(days=3)
    order = deliver(store, 4100, delivered=now - timedelta(days=1), placed=placed, email="new@example.com",
                    lines=[{**coffee[0], "category": "coffee"}])  # fmt: skip
    feedback_pass(now=now)
    onboarding = Reminder.objects.get(order=order, kind="onboarding")
    refill = Reminder.objects.get(order=order, kind="replenishment")
    assert refill.product == "COF" and refill.due_at == placed + timedelta(days=30 - 3)
    assert refill.due_at > onboarding.due_at
    assert onboarding.status == "sent"
    message_deliver_due(now=now + timedelta(minutes=1))
    assert "Keep the beans airtight." in mail.outbox[-1].body
    # On the day, an exception is open: held back, then sent once resolved.
    exception_record_open(store_id=store.pk, order_id=order.pk, kind=ExceptionKind.RETURN_LABEL_FAILED,
                          subject="return:R9", detail="x", now=now)  # fmt: skip
    feedback_pass(now=refill.due_at)
    refill.refresh_from_db()
    assert refill.status == "waiting" and "exception" in refill.note
    exception_record_resolve(order_id=order.pk, kind=ExceptionKind.RETURN_LABEL_FAILED, subject="return:R9",
                             resolution="ok", now=now)  # fmt: skip
    feedback_pass(now=refill.due_at + timedelta(hours=1))
    refill.refresh_from_db()
    assert refill.status == "sent"
    assert Message.objects.filter(order=order, milestone="replenishment_reminder").exists()


def test_placements_in_the_delivered_email_only_for_ungated_customers(store, now):
    Placement.objects.create(store=store, slot="delivered_email", kind="loyalty", title="Join the club",
                             body="Points on every order.", link_url="https://shop.example/club", link_label="Join")  # fmt: skip
    deliver(store, 5001, delivered=now - timedelta(minutes=5))
    message_deliver_due(now=now + timedelta(hours=1))
    delivered = [m for m in mail.outbox if "#5001" in m.subject]
    assert delivered and "Join the club" in delivered[-1].body
    assert 'href="https://shop.example/club"' in delivered[-1].alternatives[0][0]


def test_an_order_delivered_before_the_window_is_never_asked_nor_looked_at_again(store, now):
    order = deliver(store, 6001, delivered=now - timedelta(days=40))
    feedback_pass(now=now)
    survey = Survey.objects.get(order=order)
    assert survey.status == "expired" and not survey_messages(order).exists()
    onboarding = Reminder.objects.filter(order=order, kind="onboarding").first()
    assert onboarding is None or onboarding.status == "skipped", "no 'getting started' weeks later"
    feedback_pass(now=now + timedelta(hours=1))
    assert Survey.objects.filter(order=order).count() == 1


def test_erasure_removes_the_customers_words_and_keys_keeps_the_figures(store, client, now):
    from aftercart.feedback import personal_data
    from aftercart.kernel.personal_data import DataSubject

    order = deliver(store, 6002, delivered=now - timedelta(days=3))
    client.post(
        f"/t/{make_tracking_token(order)}/feedback", {"about": "delivery", "score": "2", "text": "Ana here"}
    )
    subject = DataSubject(store_id=store.pk, order_ids=frozenset({order.pk}))
    assert personal_data.export(subject)["surveys"][0]["text"] == "Ana here"
    assert personal_data.erase(subject)["surveys"] == 1
    survey = Survey.objects.get(order=order)
    assert (survey.text, survey.customer_key, survey.score) == ("", "", 2)


def test_an_open_claim_holds_everything_back_until_it_is_settled(store, settings, tmp_path, now):
    from aftercart.claims.services.filing import ClaimLineIn
    from aftercart.claims.services.seed import claim_seed
    from tests.claims_fixtures import delivered_order

    settings.MEDIA_ROOT = str(tmp_path / "media")
    order = delivered_order(store, "7001", delivered=now - timedelta(days=8))
    claim = claim_seed(
        store=store, order=order, kind="stolen", lines=[ClaimLineIn("L2", 1)], status="needs_evidence",
        reason="a photo of the doorstep", now=now - timedelta(days=1),
    )  # fmt: skip
    assert claim.status == "needs_evidence"
    feedback_pass(now=now)
    survey = Survey.objects.get(order=order)
    assert survey.status == "waiting" and survey.note == "a claim is open"
    assert not survey_messages(order).exists()
    # A claim decided for good (here denied) is no longer open: the survey asks about the outcome.
    other = delivered_order(store, "7002", delivered=now - timedelta(days=8))
    claim_seed(
        store=store, order=other, kind="stolen", lines=[ClaimLineIn("L2", 1)], status="denied",
        reason="delivered to the door with a photo", now=now - timedelta(days=1),
    )  # fmt: skip
    feedback_pass(now=now + timedelta(minutes=5))
    assert Survey.objects.get(order=other).about == "resolution"


def test_the_survey_speaks_the_customers_language(store, now):
    order = deliver(store, 8001, delivered=now - timedelta(days=3), locale="fr")
    feedback_pass(now=now)
    message_deliver_due(now=now + timedelta(minutes=1))
    (email,) = [
        m for m in mail.outbox if "#8001" in m.subject and "commande" in m.subject and "Comment" in m.subject
    ]
    assert "Êtes-vous satisfait de votre commande ?" in email.body
    assert "Très insatisfait" in email.body and email.extra_headers["Content-Language"] == "fr"
    assert Survey.objects.get(order=order).status == "sent"


def test_a_placements_holdout_group_never_sees_it(store, now):
    card = Placement.objects.create(store=store, slot="delivered_email", kind="cross_sell", title="Matching gloves",
                                    link_url="https://shop.example/gloves", link_label="See gloves",
                                    holdout_share=0.5)  # fmt: skip
    for i in range(16):
        deliver(store, 9000 + i, delivered=now - timedelta(minutes=5))
    message_deliver_due(now=now + timedelta(hours=1))
    groups = dict(
        Assignment.objects.filter(experiment=card.experiment).values_list("order__external_id", "held_out")
    )
    assert len(groups) == 16 and 0 < sum(groups.values()) < 16
    for email in mail.outbox:
        number = re.search(r"#(9\d{3})", email.subject).group(1)
        assert ("Matching gloves" in email.body) is not groups[number], number


def test_a_group_of_one_has_no_bound_rather_than_an_infinite_one():
    # Welch's interval is unbounded for a group of one: the report says null (valid JSON), not
    # Infinity (which json.dumps would write and no JSON parser reads).
    from aftercart.feedback.impact import _estimate

    estimate = _estimate({False: [1.0, 0.0, 1.0], True: [0.0]}, 0.95)
    assert estimate["difference"] == pytest.approx(2 / 3)
    assert estimate["low"] is None and estimate["high"] is None
    assert json.loads(json.dumps(estimate), parse_constant=lambda c: pytest.fail(c)) == estimate
