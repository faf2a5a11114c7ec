"""The return lifecycle: every legal path, and illegal moves refused with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.money import Money
from aftercart.domain.returns.lifecycle import (
    TERMINAL,
    IllegalTransition,
    Inspection,
    Resolution,
    ReturnEvent,
    ReturnStatus,
    next_status,
)
from aftercart.domain.returns.next_step import (
    RETURN_TEXTS,
    ReturnAmounts,
    ReturnStepCode,
    return_next_step,
)

S, E = ReturnStatus, ReturnEvent


def walk(*steps, start=S.REQUESTED):
    status = start
    for step in steps:
        event, kw = (step, {}) if isinstance(step, E) else step
        status = next_status(status, event, **kw)
    return status


def test_label_path_to_resolution():
    assert (
        walk(
            E.APPROVE,
            E.ISSUE_LABEL,
            E.MARK_IN_TRANSIT,
            E.MARK_RECEIVED,
            (E.INSPECT, {"inspection": Inspection.ACCEPT_PART}),
            E.RESOLVE,
        )
        == S.RESOLVED
    )


def test_in_store_and_drop_off_skip_the_label():
    assert walk(E.APPROVE, E.MARK_RECEIVED) == S.RECEIVED
    assert walk(E.APPROVE, E.MARK_IN_TRANSIT) == S.IN_TRANSIT


def test_inspection_rejecting_everything_ends_rejected_and_needs_a_reason():
    received = walk(E.APPROVE, E.MARK_RECEIVED)
    with pytest.raises(IllegalTransition, match="needs a reason"):
        next_status(received, E.INSPECT, inspection=Inspection.REJECT)
    assert next_status(received, E.INSPECT, inspection=Inspection.REJECT, reason="worn") == S.REJECTED
    with pytest.raises(IllegalTransition, match="inspection found"):
        next_status(received, E.INSPECT)


def test_keep_it_returns_resolve_on_approval_only():
    with pytest.raises(IllegalTransition, match="not come back"):
        next_status(S.APPROVED, E.RESOLVE)
    assert next_status(S.APPROVED, E.RESOLVE, keep_items=True) == S.RESOLVED


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.REQUESTED, E.MARK_RECEIVED),
        (S.IN_TRANSIT, E.CANCEL),
        (S.RECEIVED, E.RESOLVE),
        (S.INSPECTED, E.APPROVE),
        (S.REQUESTED, E.INSPECT),
    ],
)
def test_illegal_moves_say_what_is_allowed(status, event):
    with pytest.raises(IllegalTransition) as caught:
        next_status(status, event, inspection=Inspection.ACCEPT_ALL)
    assert "allowed now:" in caught.value.reason


@pytest.mark.parametrize("status", sorted(TERMINAL))
@pytest.mark.parametrize("event", list(E))
def test_nothing_leaves_a_final_state(status, event):
    with pytest.raises(IllegalTransition, match="already"):
        next_status(status, event, inspection=Inspection.ACCEPT_ALL, reason="x", keep_items=True)


def test_reject_from_review_needs_a_reason():
    with pytest.raises(IllegalTransition):
        next_status(S.REQUESTED, E.REJECT, reason="  ")
    assert next_status(S.REQUESTED, E.REJECT, reason="outside policy") == S.REJECTED


def test_every_status_has_a_next_step():
    codes = {return_next_step(status, rma="R-1").code for status in S}
    assert len(codes) == len(S)
    assert set(RETURN_TEXTS) == set(ReturnStepCode)
    step = return_next_step(S.LABEL_ISSUED, rma="R-1", ship_by=date(2026, 4, 3))
    # Raw params: the presenter writes the date in the shopper's language.
    assert step.action == "get_label" and step.params["ship_by"] == "2026-04-03"
    assert "{ship_by}" in step.detail[0]
    # Approved, the label not issued yet: nothing to download, the date still said.
    approved = return_next_step(S.APPROVED, rma="R-1", ship_by=date(2026, 4, 3))
    assert approved.action == "" and "{ship_by}" in approved.detail[0]
    undated = return_next_step(S.APPROVED, rma="R-1")
    assert "ship_by" not in undated.params and "{ship_by}" not in undated.detail[0]
    assert return_next_step(S.REQUESTED, rma="R-1", needs_review=True).code == "return_in_review"


def test_a_rejected_return_says_why_and_pays_nothing():
    amounts = ReturnAmounts("EUR", refund=Decimal("79.05"))
    step = return_next_step(S.REJECTED, rma="R-1", rejection_reason="worn", amounts=amounts)
    assert step.code is ReturnStepCode.REJECTED and step.params["rejection_reason"] == "worn."
    assert len(step.detail) == 2 and "{rejection_reason}" in step.detail[1]
    assert "refund" not in step.params and not step.shows_amounts
    assert step.actions[0].code == "contact_us"
    approved = return_next_step(S.APPROVED, rma="R-1", amounts=amounts)
    assert approved.params["refund"] == Money(Decimal("79.05"), "EUR") and approved.shows_amounts


def test_a_return_resolved_by_exchange_says_the_exchange_never_a_refund():
    step = return_next_step(S.RESOLVED, rma="R-1", resolutions=(Resolution.EXCHANGE_CREATED,))
    assert step.detail == ("Your exchange is on its way.",)
    mixed = return_next_step(
        S.RESOLVED, rma="R-1", resolutions=(Resolution.CREDIT_ISSUED, Resolution.EXCHANGE_CREATED)
    )
    assert mixed.detail == ("Your store credit is ready to use.", "Your exchange is on its way.")
    assert mixed.params["resolution"] == "credit_issued,exchange_created"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(E)),
            st.sampled_from([None, *Inspection]),
            st.sampled_from(["", "worn"]),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_any_sequence_of_steps_keeps_the_machine_consistent(steps):
    status = S.REQUESTED
    for event, inspection, reason, keep in steps:
        before = status
        try:
            status = next_status(status, event, inspection=inspection, reason=reason, keep_items=keep)
        except IllegalTransition as refused:
            assert refused.reason and status == before
            continue
        assert before not in TERMINAL, "nothing moves a finished return"
        if status == S.RESOLVED:
            assert before == S.INSPECTED or (before == S.APPROVED and keep)
        if status == S.REJECTED:
            assert reason


def test_an_approved_return_whose_label_could_not_be_bought_says_it_is_delayed():
    step = return_next_step(ReturnStatus.APPROVED, rma="R-1", label_failed=True)
    assert step.code is ReturnStepCode.LABEL_DELAYED
    assert step.action == "contact_us", "no label to download: the shopper may ask"
    assert return_next_step(ReturnStatus.APPROVED, rma="R-1").code is ReturnStepCode.APPROVED
    # Only an approved return waits for a label: a label issued since, or a keep-it return, is not delayed.
    assert (
        return_next_step(ReturnStatus.LABEL_ISSUED, rma="R-1", label_failed=True).code
        is ReturnStepCode.SEND_ITEMS
    )
    kept = return_next_step(ReturnStatus.APPROVED, rma="R-1", keep_items=True, label_failed=True)
    assert kept.code is ReturnStepCode.KEEP_ITEMS
