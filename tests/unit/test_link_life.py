"""link_live(): a shopper's link works while the order is under way, for the grace period after it
ended, and while any of its returns is open and for the grace period after the last one closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftercart.domain.link_life import LinkedReturn, link_live, order_ended_at
from aftercart.domain.projection.fold import project
from aftercart.domain.returns.lifecycle import TERMINAL, ReturnStatus
from tests.unit.test_next_step import placed, shipped
from tests.unit.test_projection import T0, fact

GRACE = timedelta(days=90)
DELIVERED = project(shipped(("delivered", None, "Signed")))
#: When the parcel above was delivered (the scan ``shipped`` makes at minute 60).
DELIVERED_AT = T0 + timedelta(minutes=60)
OPEN = [s for s in ReturnStatus if s not in TERMINAL]


def test_the_order_ends_when_it_is_delivered():
    assert order_ended_at(DELIVERED) == DELIVERED_AT
    assert order_ended_at(project(shipped(("in_transit", None, "Departed")))) is None


def test_a_link_works_until_the_grace_period_after_delivery():
    assert link_live(DELIVERED, [], DELIVERED_AT + GRACE - timedelta(seconds=1), grace=GRACE)
    assert not link_live(DELIVERED, [], DELIVERED_AT + GRACE, grace=GRACE)


def test_a_link_never_expires_while_the_order_is_under_way():
    under_way = project(shipped(("in_transit", None, "Departed")))
    assert link_live(under_way, [], T0 + timedelta(days=5000), grace=GRACE)


def test_a_cancelled_order_expires_the_grace_period_after_cancellation():
    cancelled = project(placed(fact("order.cancelled", 10, "c")))
    assert link_live(cancelled, [], T0 + timedelta(minutes=10) + GRACE - timedelta(seconds=1), grace=GRACE)
    assert not link_live(cancelled, [], T0 + timedelta(minutes=10) + GRACE, grace=GRACE)


@pytest.mark.parametrize("status", OPEN)
def test_an_open_return_keeps_the_link_working_however_late(status):
    long_after = DELIVERED_AT + 10 * GRACE
    opened = LinkedReturn(status, changed_at=DELIVERED_AT + timedelta(days=1))
    assert link_live(DELIVERED, [opened], long_after, grace=GRACE)
    # An open return among closed ones is enough.
    closed = LinkedReturn(ReturnStatus.RESOLVED, changed_at=DELIVERED_AT + timedelta(days=2))
    assert link_live(DELIVERED, [closed, opened], long_after, grace=GRACE)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_a_closed_return_keeps_the_link_for_the_grace_period_after_it_closed(status):
    closed_at = DELIVERED_AT + timedelta(days=200)
    closed = LinkedReturn(status, changed_at=closed_at)
    assert link_live(DELIVERED, [closed], closed_at + GRACE - timedelta(seconds=1), grace=GRACE)
    assert not link_live(DELIVERED, [closed], closed_at + GRACE, grace=GRACE)


def test_the_last_closed_return_decides():
    early = LinkedReturn(ReturnStatus.REJECTED, changed_at=DELIVERED_AT + timedelta(days=10))
    late = LinkedReturn(ReturnStatus.CANCELLED, changed_at=DELIVERED_AT + timedelta(days=150))
    at = DELIVERED_AT + timedelta(days=200)
    assert link_live(DELIVERED, [early, late], at, grace=GRACE)
    assert not link_live(DELIVERED, [early], at, grace=GRACE)


def test_returns_are_not_read_within_the_orders_own_grace_period():
    def never():
        raise AssertionError("the returns were read")
        yield  # pragma: no cover

    assert link_live(DELIVERED, never(), DELIVERED_AT + timedelta(days=1), grace=GRACE)


def test_arrival_is_one_rule_for_the_link_and_the_next_step():
    from aftercart.domain.arrival import arrived_at
    from aftercart.domain.next_step import StepCode, next_step

    under_way = project(shipped(("in_transit", None, "Departed")))
    assert arrived_at(under_way) is None
    assert arrived_at(DELIVERED) == DELIVERED_AT == order_ended_at(DELIVERED)
    step = next_step(DELIVERED, DELIVERED_AT + timedelta(days=1))
    assert step.code is StepCode.DELIVERED
    assert step.params["delivered_on"] == DELIVERED_AT.date().isoformat()
