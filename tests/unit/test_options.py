"""Customer options, as pure functions: what is offered when, which answers the projection keeps, and
why a choice is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.domain.choices import recorded_choices
from aftercart.domain.exceptions import DetectionRules
from aftercart.domain.facts import CustomerChoice, Fact, FactKind
from aftercart.domain.milestones import Milestone, reached
from aftercart.domain.next_step import StepCode, next_step
from aftercart.domain.options import (
    ChoiceRefused,
    Refusal,
    Situation,
    check_choice,
    choice_key,
    choice_payload,
    customer_options,
)
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.snapshot import from_snapshot, to_snapshot

MON = datetime(2026, 3, 2, 9, tzinfo=UTC)
RULES = DetectionRules()
_n = [0]


def fact(kind, at, **payload):
    _n[0] += 1
    return Fact(FactKind(kind), at, f"k{_n[0]}", "test", order_ref="o1", payload=payload)


def placed(at=MON):
    return fact("order.placed", at, number="#1", lines=[{"line_id": "L1", "title": "Jacket", "quantity": 1}])


def ready(deadline, at=MON + timedelta(hours=1)):
    return fact(
        "pickup.ready",
        at,
        lines=[{"line_id": "L1"}],
        location={"name": "Soho"},
        deadline=deadline.isoformat(),
    )


def choose(state_facts, now, subject, choice):
    """Check a choice against the state and return the facts with its fact added (as the service does)."""
    state = project(state_facts)
    offer = check_choice(state, now, subject, choice, RULES)
    wanted = CustomerChoice(choice)
    answer = Fact(
        FactKind.CUSTOMER_CHOICE,
        now,
        choice_key("o1", offer, wanted),
        "test",
        "o1",
        payload=choice_payload(offer, wanted),
    )
    return [*state_facts, answer]


def test_a_pickup_is_offered_only_near_its_deadline_and_extended_once():
    deadline = MON + timedelta(days=4)
    facts = [placed(), ready(deadline)]
    assert customer_options(project(facts), MON + timedelta(days=1), RULES) == []
    near = deadline - timedelta(hours=3)
    [offer] = customer_options(project(facts), near, RULES)
    assert (offer.situation, offer.subject) == (Situation.PICKUP_NOT_COLLECTED, "line:L1")
    assert offer.choices == (CustomerChoice.EXTEND_PICKUP, CustomerChoice.SWITCH_TO_DELIVERY)
    assert offer.new_deadline == deadline + timedelta(days=3)

    facts = choose(facts, near, "line:L1", "extend_pickup")
    state = project(facts)
    assert state.lines["L1"].pickup.deadline == deadline + timedelta(days=3)
    assert state.lines["L1"].pickup.extended_from == deadline
    # Near the new deadline only the switch is left; a second extension is refused with its reason.
    later = deadline + timedelta(days=3) - timedelta(hours=1)
    [offer] = customer_options(state, later, RULES)
    assert offer.choices == (CustomerChoice.SWITCH_TO_DELIVERY,)
    with pytest.raises(ChoiceRefused) as refused:
        check_choice(state, later, "line:L1", "extend_pickup", RULES)
    assert refused.value.reason is Refusal.ALREADY_EXTENDED


def test_a_passed_deadline_is_extended_from_now_and_a_repeated_extension_fact_changes_nothing():
    deadline = MON + timedelta(days=2)
    facts = [placed(), ready(deadline)]
    late = deadline + timedelta(hours=5)
    facts = choose(facts, late, "line:L1", "extend_pickup")
    rogue = fact(
        "customer.choice",
        late + timedelta(hours=1),
        line_id="L1",
        choice="extend_pickup",
        deadline=(late + timedelta(days=30)).isoformat(),
    )
    state = project([*facts, rogue])
    assert state.lines["L1"].pickup.deadline == late + timedelta(days=3), "extended once, from now"


def test_switching_to_delivery_ends_the_pickup_step_and_its_exception():
    deadline = MON + timedelta(days=2)
    facts = choose(
        [placed(), ready(deadline)], deadline + timedelta(hours=1), "line:L1", "switch_to_delivery"
    )
    state = project(facts)
    now = deadline + timedelta(hours=2)
    assert next_step(state, now).code is StepCode.BEING_PREPARED
    assert customer_options(state, now, RULES) == []
    assert state.stage.value != "pickup"
    snap = from_snapshot(to_snapshot(state))
    assert snap.lines["L1"].pickup.delivery_requested and next_step(snap, now).code is StepCode.BEING_PREPARED


def test_a_late_unshipped_order_offers_keep_waiting_or_cancel_and_cancel_cancels():
    facts = [placed(), fact("line.status", MON + timedelta(hours=1), line_id="L1", status="picking")]
    assert customer_options(project(facts), MON + timedelta(days=1), RULES) == [], "within the SLA"
    late = MON + timedelta(days=4)
    [offer] = customer_options(project(facts), late, RULES)
    assert (offer.situation, offer.subject) == (Situation.DELAYED_NOT_SHIPPED, "")
    facts = choose(facts, late, "", "cancel")
    state = project(facts)
    assert state.cancelled_at == late and next_step(state, late).code is StepCode.CANCELLED
    assert Milestone.CANCELLED in {r.milestone for r in reached(state)}


def test_a_cancel_recorded_after_a_shipment_is_ignored_and_refused_up_front():
    facts = [placed(), fact("line.status", MON + timedelta(hours=1), line_id="L1", status="picking")]
    shipment = fact("shipment.created", MON + timedelta(days=3), shipment_id="S1", lines=[{"line_id": "L1"}])
    state = project([*facts, shipment])
    with pytest.raises(ChoiceRefused) as refused:
        check_choice(state, MON + timedelta(days=4), "", "cancel", RULES)
    assert refused.value.reason is Refusal.ALREADY_SHIPPED
    # A cancel that raced the shipment into the ledger still cannot cancel what has left.
    raced = fact("customer.choice", MON + timedelta(days=4), choice="cancel")
    assert project([*facts, shipment, raced]).cancelled_at is None


def test_a_substitute_is_offered_only_when_the_store_names_one_and_reaches_the_store():
    plain = [placed(), fact("line.status", MON + timedelta(hours=1), line_id="L1", status="unavailable")]
    [offer] = customer_options(project(plain), MON + timedelta(hours=2), RULES)
    assert CustomerChoice.SUBSTITUTE not in offer.choices
    named = [
        placed(),
        fact(
            "line.status",
            MON + timedelta(hours=1),
            line_id="L1",
            status="unavailable",
            substitute="Jacket (navy)",
        ),
    ]
    [offer] = customer_options(project(named), MON + timedelta(hours=2), RULES)
    assert offer.choices[0] is CustomerChoice.SUBSTITUTE and offer.substitute == "Jacket (navy)"
    state = project(choose(named, MON + timedelta(hours=2), "line:L1", "substitute"))
    [recorded] = recorded_choices(state)
    assert (recorded.choice, recorded.substitute) == (CustomerChoice.SUBSTITUTE, "Jacket (navy)")
    assert [r.key for r in reached(state) if r.milestone is Milestone.CUSTOMER_CHOICE] == [
        "customer_choice:line:L1:substitute"
    ]
    # Answered: the order waits for the substitute like any line still to come.
    assert next_step(state, MON + timedelta(hours=3)).code is StepCode.AWAITING_FULFILMENT


@pytest.mark.parametrize("choice", ["teleport", "wait", "cancel", ""])
def test_what_is_not_on_offer_is_refused(choice):
    state = project([placed()])
    with pytest.raises(ChoiceRefused) as refused:
        check_choice(state, MON + timedelta(hours=1), "line:L1", choice, RULES)
    assert refused.value.reason is Refusal.NOT_OFFERED
