"""Typed events (aftercart.kernel.events), and the wiring that subscribes every handler once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import transaction

from aftercart.claims.renderers import CLAIM_MESSAGES
from aftercart.domain.milestones import CLAIM_MILESTONES, FEEDBACK_MILESTONES, RETURN_MILESTONES, Milestone
from aftercart.exceptions.receivers import sync_exceptions
from aftercart.feedback.renderers import FEEDBACK_MESSAGES
from aftercart.kernel import events
from aftercart.notifications.receivers import plan_notifications
from aftercart.notifications.renderers import SubjectRenderer, own_milestones, renderer_for, renderer_register
from aftercart.orders.events import ForeignParcelEvents, MilestonesReached, OrderProjected
from aftercart.returns.receivers import track_returns
from aftercart.returns.renderers import RETURN_MESSAGES

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Happened:
    what: str


@pytest.fixture
def seen():
    calls: list[tuple[str, str]] = []

    def now(event):
        calls.append(("now", event.what))

    def later(event):
        calls.append(("on commit", event.what))

    events.subscribe(Happened, now)
    events.subscribe(Happened, later, on_commit=True)
    yield calls
    events.unsubscribe(Happened, now)
    events.unsubscribe(Happened, later)
    assert not events.has_subscribers(Happened)


def test_handlers_run_in_the_transaction_and_on_commit(seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(Happened("a"))
        assert seen == [("now", "a")], "on_commit handlers wait for the commit"
    assert seen == [("now", "a"), ("on commit", "a")]


def test_on_commit_handlers_never_run_when_the_transaction_rolls_back(
    seen, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.publish(Happened("b"))
        raise RuntimeError
    assert seen == [("now", "b")] and callbacks == []


def test_subscribing_twice_is_ignored_and_nobody_listens_to_other_types(seen):
    events.subscribe(Happened, events.subscriptions(Happened)[0].handler)
    assert len(events.subscriptions(Happened)) == 2
    events.publish(object())  # no subscriber: nothing happens
    assert seen == []


def test_the_wiring_subscribes_every_handler_once_however_often_it_runs():
    apps.get_app_config("wiring").ready()
    apps.get_app_config("wiring").ready()
    assert [s.handler for s in events.subscriptions(MilestonesReached)] == [plan_notifications]
    assert [s.handler for s in events.subscriptions(OrderProjected)] == [sync_exceptions]
    assert [s.handler for s in events.subscriptions(ForeignParcelEvents)] == [track_returns]
    assert all(renderer_for(m) is RETURN_MESSAGES for m in RETURN_MILESTONES)
    assert renderer_for(Milestone.SHIPPED) is None
    assert all(renderer_for(m) is CLAIM_MESSAGES for m in CLAIM_MILESTONES)
    assert all(renderer_for(m) is FEEDBACK_MESSAGES for m in FEEDBACK_MILESTONES)
    assert own_milestones() == frozenset(
        m.value for m in RETURN_MILESTONES | CLAIM_MILESTONES | FEEDBACK_MILESTONES
    )


def test_a_milestone_has_one_subject():
    with pytest.raises(ValueError, match="already has a renderer"):
        renderer_register([Milestone.RETURN_RECEIVED], SubjectRenderer(name="claim"))
