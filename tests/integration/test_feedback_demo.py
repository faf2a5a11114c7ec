"""The demo shows feedback and retention in every state, with nothing for a new user to guess."""

from __future__ import annotations

import pytest
from django.utils import timezone

from aftercart.demo.services import seed_demo
from aftercart.domain.feedback.reasons import REASONS
from aftercart.exceptions.models import OrderException
from aftercart.feedback.impact import impact_report
from aftercart.feedback.models import Assignment, Reminder, Survey
from aftercart.notifications.models import Message
from aftercart.orders.tokens import make_tracking_token
from aftercart.stores.models import Store

pytestmark = pytest.mark.django_db


def test_demo_feedback_in_every_state(admin_client):
    # Now, not a fixed date: the pages below judge the links' age by the clock.
    NOW = timezone.now().replace(minute=0, second=0, microsecond=0)
    seed_demo(seed=7, orders=260, now=NOW)
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert answered.filter(score__gte=4).exists(), "happy customers"
    unhappy_reasons = set(answered.filter(score__lte=2).exclude(reason="").values_list("reason", flat=True))
    assert unhappy_reasons == set(REASONS) - {"satisfied", "delivered_early"}, "unhappy with each reason"
    assert answered.filter(scale="nps").exists() and answered.filter(scale="csat").exists()
    waiting = Survey.objects.filter(status="waiting")
    assert (
        waiting.filter(note__startswith="a return is open").exists()
        or waiting.filter(note__startswith="an exception is open").exists()
    ), "suppressed while something is open"
    assert Survey.objects.filter(status="held_out").exists()
    assert Survey.objects.filter(status="sent", answered_at__isnull=True).exists(), "some never answer"
    # Review requests only to the satisfied; a person for every unhappy answer.
    requested = Survey.objects.filter(review_requested_at__isnull=False)
    assert requested.exists() and not requested.filter(score__lt=4, scale="csat").exists()
    assert not requested.filter(score__lt=9, scale="nps").exists()
    follow_ups = OrderException.objects.filter(kind="customer_follow_up", subject__startswith="survey:")
    assert (
        follow_ups.count()
        == answered.filter(score__lte=2, scale="csat").count()
        + answered.filter(score__lte=6, scale="nps").count()
    )
    # Replenishment learned from the repeat buyers, sent to one, held for the one who rated us low
    # or left for later; onboarding sent where there is care text.
    refills = Reminder.objects.filter(kind="replenishment").exclude(product="")
    assert refills.exists() and set(refills.values_list("status", flat=True)) & {
        "sent",
        "scheduled",
        "held_out",
    }
    assert Reminder.objects.filter(kind="onboarding", status="sent").exists()
    assert Message.objects.filter(milestone="feedback_survey", status="pending").exists(), "to the mailbox"
    # Every journey ran with a holdout group: the impact is reported for both groups.
    northwind = Store.objects.get(slug="northwind")
    report = impact_report(store_id=northwind.pk, experiment="survey", start=None, end=None, now=NOW)
    assert report["orders"]["treated"] and report["orders"]["held_out"]
    # The Trail Club card on a happy customer's tracking page (unless held out), never on the page
    # of one a person still has to call back.
    happy = [s.order for s in answered.filter(store=northwind, score=5).select_related("order")]
    shown = [
        o
        for o in happy
        if "Join the Trail Club" in admin_client.get(f"/t/{make_tracking_token(o)}").content.decode()
    ]
    assert shown and Assignment.objects.filter(experiment__startswith="placement:", held_out=False).exists()
    called = follow_ups.filter(resolved_at__isnull=True, store=northwind).first().order
    assert "Join the Trail Club" not in admin_client.get(f"/t/{make_tracking_token(called)}").content.decode()
    page = admin_client.get(f"/ops/feedback?store={northwind.slug}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-experiment="survey"' in html and 'data-metric="repeat_purchase_rate"' in html
    assert 'data-reason="low_quality"' in html and 'data-held="waiting"' in html
