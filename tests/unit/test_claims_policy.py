"""The claims policy, pure: its windows (lost, not received, damaged, warranty), too early with the
date, the value of claimed units, the fraud guard, automatic approval, the lifecycle; and the
hypothesis properties: nothing approved outside the policy's windows, never more paid than was
paid for the claimed lines, the same inputs always the same decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.claims import (
    ClaimableLine,
    ClaimEvent,
    ClaimHistory,
    ClaimIllegalTransition,
    ClaimKind,
    ClaimPolicy,
    ClaimRequest,
    ClaimStatus,
    OrderForClaim,
    ParcelEvidence,
    PolicyError,
    RequestedUnits,
    Verdict,
    WarrantyTerms,
    judge_claim,
    lost_opens_at,
    next_claim_status,
)
from aftercart.domain.claims.next_step import ClaimStepCode, claim_next_step, claim_too_early_step
from aftercart.domain.claims.notices import claim_stale_reason, milestones_for_claim_step
from aftercart.domain.milestones import Milestone
from aftercart.domain.money import Money

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
PLACED = NOW - timedelta(days=40)


def parcel(**kw) -> ParcelEvidence:
    base = {
        "key": "S1",
        "carrier": "dhl",
        "tracking_number": "JD1",
        "lines": {"L1": 1, "L2": 2},
        "created_at": PLACED + timedelta(days=1),
        "first_scan_at": PLACED + timedelta(days=1),
        "last_update_at": PLACED + timedelta(days=2),
    }
    return ParcelEvidence(**{**base, **kw})


def delivered(days_ago: float) -> ParcelEvidence:
    at = NOW - timedelta(days=days_ago)
    return parcel(tag="delivered", delivered_at=at, last_update_at=at)


def order(p: ParcelEvidence | None = None, **kw) -> OrderForClaim:
    lines = (
        ClaimableLine(
            "L1",
            1,
            Decimal("120.00"),
            product_id="JKT",
            category="outerwear",
            delivered_at=p and p.delivered_at,
        ),
        ClaimableLine("L2", 2, Decimal("25.01"), product_id="SCK", delivered_at=p and p.delivered_at),
    )
    return OrderForClaim(
        currency="EUR", placed_at=PLACED, lines=kw.pop("lines", lines), parcels=(p,) if p else (), **kw
    )


def judge(kind: str, o: OrderForClaim, *units: tuple[str, int], photos: int = 1, **kw) -> object:
    request = ClaimRequest(
        kind=kind, lines=tuple(RequestedUnits(i, q) for i, q in units), photos=photos, **kw
    )
    return judge_claim(
        policy=ClaimPolicy(),
        order=o,
        request=request,
        history=ClaimHistory(),
        now=NOW,
    )


# -- windows -----------------------------------------------------------------------------------------


def test_lost_opens_seven_days_after_the_last_scan_or_48_hours_past_the_estimate():
    policy = ClaimPolicy()
    quiet = parcel(last_update_at=NOW - timedelta(days=3))
    assert lost_opens_at(policy, quiet, PLACED) == NOW + timedelta(days=4)
    abroad = parcel(last_update_at=NOW - timedelta(days=3), international=True)
    assert lost_opens_at(policy, abroad, PLACED) == NOW + timedelta(days=17)
    # The estimate was yesterday and nothing came since the day before: 48 h past its end.
    late = parcel(last_update_at=NOW - timedelta(days=3), estimated_delivery=date(2026, 6, 14))
    assert lost_opens_at(policy, late, PLACED) == datetime(2026, 6, 17, tzinfo=UTC)
    # A scan after the estimate: only the days without a scan count.
    scanned = parcel(
        last_update_at=datetime(2026, 6, 15, 9, tzinfo=UTC), estimated_delivery=date(2026, 6, 10)
    )
    assert lost_opens_at(policy, scanned, PLACED) == datetime(2026, 6, 22, 9, tzinfo=UTC)


def test_too_early_names_the_date_and_is_not_a_refusal():
    decision = judge("lost", order(parcel(last_update_at=NOW - timedelta(days=2))), ("L1", 1), photos=0)
    assert decision.verdict is Verdict.TOO_EARLY
    assert decision.open_from == NOW + timedelta(days=5)
    stolen = judge("stolen", order(delivered(2)), ("L1", 1), photos=0)
    assert stolen.verdict is Verdict.TOO_EARLY and stolen.open_from == NOW + timedelta(days=3)
    # Damage before delivery: it opens with the delivery, no date to give.
    undelivered = judge("damaged", order(parcel()), ("L1", 1))
    assert undelivered.verdict is Verdict.TOO_EARLY and undelivered.open_from is None


@pytest.mark.parametrize(
    ("kind", "days_ago", "verdict", "code"),
    [
        ("stolen", 4.9, Verdict.TOO_EARLY, "too_early"),
        ("stolen", 5, Verdict.FILE, ""),
        ("stolen", 30, Verdict.FILE, ""),
        ("stolen", 30.1, Verdict.REFUSED, "window_closed"),
        ("damaged", 0, Verdict.FILE, ""),
        ("damaged", 31, Verdict.REFUSED, "window_closed"),
        ("wrong_item", 29, Verdict.FILE, ""),
        ("missing_item", 31, Verdict.REFUSED, "window_closed"),
        ("lost", 1, Verdict.REFUSED, "delivered"),
    ],
)
def test_windows_after_delivery(kind, days_ago, verdict, code):
    decision = judge(kind, order(delivered(days_ago)), ("L2", 1))
    assert decision.verdict is verdict
    if code and verdict is Verdict.REFUSED:
        assert decision.notes[0].code == code


def test_photos_are_required_for_damage_not_for_missing_items():
    o = order(delivered(1))
    assert judge("damaged", o, ("L1", 1), photos=0).notes[0].code == "photos_required"
    assert judge("missing_item", o, ("L2", 1), photos=0).verdict is Verdict.FILE


def test_warranty_runs_from_delivery_for_the_products_period():
    o = order(delivered(200))
    terms = WarrantyTerms(by_category={"outerwear": 365}, by_product={"SCK": 100})
    request = ClaimRequest("warranty", (RequestedUnits("L1", 1),), photos=1)
    ok = judge_claim(
        policy=ClaimPolicy(), order=o, request=request, history=ClaimHistory(), now=NOW, warranty=terms
    )
    assert ok.verdict is Verdict.FILE and ok.resolutions == ("repair", "replace", "refund")
    assert not ok.auto_approve  # a person judges a defect
    socks = ClaimRequest("warranty", (RequestedUnits("L2", 1),), photos=1)
    late = judge_claim(
        policy=ClaimPolicy(), order=o, request=socks, history=ClaimHistory(), now=NOW, warranty=terms
    )
    assert late.notes[0].code == "warranty_expired"
    none = judge_claim(policy=ClaimPolicy(), order=o, request=request, history=ClaimHistory(), now=NOW)
    assert none.notes[0].code == "not_covered"


# -- value, double claims, fraud guard, approval -----------------------------------------------------


def test_units_are_valued_by_what_was_paid_and_add_up_to_the_line():
    o = order(delivered(1))
    first = judge("missing_item", o, ("L2", 1))
    assert first.value == Decimal("12.50")
    # The second sock, after the first was claimed: the line's remaining cent goes with it.
    claimed = (o.lines[0], ClaimableLine("L2", 2, Decimal("25.01"), claimed={"S1": 1}))
    second = judge("missing_item", order(delivered(1), lines=claimed), ("L2", 1))
    assert second.value == Decimal("12.51")
    assert first.value + second.value == Decimal("25.01")
    again = judge("missing_item", order(delivered(1), lines=claimed), ("L2", 2))
    assert again.notes[0].code == "already_claimed"


def test_refusals_name_every_problem():
    o = order(delivered(1))
    decision = judge("missing_item", o, ("L9", 1), ("L1", 0))
    assert [(n.code, n.field) for n in decision.notes] == [
        ("unknown_line", "lines[0]"),
        ("invalid_quantity", "lines[1]"),
    ]
    assert judge("nonsense", o, ("L1", 1)).notes[0].code == "unknown_kind"
    assert (
        judge("missing_item", order(delivered(1), cancelled=True), ("L1", 1)).notes[0].code
        == "order_cancelled"
    )
    assert judge("missing_item", order(None), ("L1", 1)).notes[0].code == "not_shipped"
    assert (
        judge("missing_item", o, ("L2", 1), preferred_resolution="repair").notes[0].code
        == "resolution_not_offered"
    )


def test_the_fraud_guard_flags_for_a_person_and_never_refuses():
    o = order(delivered(10))
    history = ClaimHistory(
        by_customer=(NOW - timedelta(days=100), NOW - timedelta(days=50)),
        not_received_at_address=(NOW - timedelta(days=20),),
        by_address=(NOW - timedelta(days=400),),  # outside 365 days: not counted
    )
    request = ClaimRequest("stolen", (RequestedUnits("L2", 1),))
    decision = judge_claim(policy=ClaimPolicy(), order=o, request=request, history=history, now=NOW)
    assert decision.verdict is Verdict.FILE and decision.needs_review
    assert [n.code for n in decision.review_reasons] == [
        "customer_claims",
        "repeat_not_received",
        "not_first_claim",
    ]
    big = judge_claim(
        policy=ClaimPolicy(review_value_over=Decimal("100")),
        order=o,
        request=ClaimRequest("stolen", (RequestedUnits("L1", 1),)),
        history=ClaimHistory(),
        now=NOW,
    )
    assert "high_value" in [n.code for n in big.review_reasons]


def test_automatic_approval_under_the_store_limits():
    o = order(delivered(10))
    small = judge("stolen", o, ("L2", 1))
    assert small.auto_approve and not small.review_reasons
    large = judge("stolen", o, ("L1", 1))
    assert not large.auto_approve and [n.code for n in large.review_reasons] == ["over_auto_limit"]


# -- policy data, lifecycle, next step, notices ------------------------------------------------------


def test_the_policy_round_trips_and_names_bad_fields():
    policy = ClaimPolicy.from_dict(
        {
            "lost": {"days_domestic": 5},
            "resolutions": {"lost": ["refund"]},
            "auto_approve": {"max_value": "50"},
        }
    )
    assert policy.lost_days_domestic == 5 and policy.resolutions_for(ClaimKind.LOST) == ("refund",)
    assert ClaimPolicy.from_dict(policy.to_dict()) == policy
    for bad, where in [
        ({"lost": {"days_domestic": 0}}, "lost.days_domestic"),
        ({"colour": "red"}, "colour"),
        ({"resolutions": {"lost": ["teleport"]}}, "resolutions.lost"),
        ({"not_received": {"from_days": 10, "until_days": 5}}, "not_received.until_days"),
        ({"auto_approve": {"max_value": "-1"}}, "auto_approve.max_value"),
    ]:
        with pytest.raises(PolicyError) as error:
            ClaimPolicy.from_dict(bad)
        assert error.value.field == where


def test_the_lifecycle_refuses_with_a_reason():
    assert next_claim_status(ClaimStatus.FILED, ClaimEvent.APPROVE) is ClaimStatus.APPROVED
    assert next_claim_status(ClaimStatus.NEEDS_EVIDENCE, ClaimEvent.ADD_EVIDENCE) is ClaimStatus.IN_REVIEW
    with pytest.raises(ClaimIllegalTransition, match="needs a reason"):
        next_claim_status(ClaimStatus.IN_REVIEW, ClaimEvent.DENY)
    with pytest.raises(ClaimIllegalTransition, match="already resolved"):
        next_claim_status(ClaimStatus.RESOLVED, ClaimEvent.APPROVE)
    with pytest.raises(ClaimIllegalTransition, match="allowed now: resolve"):
        next_claim_status(ClaimStatus.APPROVED, ClaimEvent.DENY, reason="x")


def test_next_steps_and_notices():
    step = claim_next_step(
        ClaimStatus.RESOLVED, number="C-1", resolution="refund", amount=Money(Decimal("12.50"), "EUR")
    )
    assert step.code is ClaimStepCode.RESOLVED and step.params["amount"] == Money(Decimal("12.50"), "EUR")
    assert step.detail == ("We've refunded {amount} to your original payment method.",)
    denied = claim_next_step(ClaimStatus.DENIED, number="C-1", denial_reason="signed for by you")
    assert denied.params["denial_reason"] == "signed for by you." and denied.action == "contact_us"
    evidence = claim_next_step(ClaimStatus.NEEDS_EVIDENCE, number="C-1", evidence_request="a photo")
    assert evidence.action == "add_evidence"
    assert claim_too_early_step(None).params == {}
    assert milestones_for_claim_step("filed", ClaimStatus.APPROVED) == [
        Milestone.CLAIM_FILED,
        Milestone.CLAIM_APPROVED,
    ]
    assert milestones_for_claim_step("add_evidence", ClaimStatus.IN_REVIEW) == []
    assert (
        claim_stale_reason(Milestone.CLAIM_EVIDENCE_REQUESTED, "approved") == "superseded by claim approved"
    )
    assert claim_stale_reason(Milestone.CLAIM_DENIED, "denied") == ""


# -- properties ----------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("5000"), places=2)
kinds = st.sampled_from([k.value for k in ClaimKind])


@st.composite
def situations(draw):
    quantity = draw(st.integers(1, 5))
    paid = draw(amounts)
    claimed = draw(st.integers(0, quantity))
    delivered_days = draw(st.one_of(st.none(), st.floats(0, 60)))
    last_scan_days = draw(st.floats(0, 40))
    at = None if delivered_days is None else NOW - timedelta(days=delivered_days)
    p = ParcelEvidence(
        key="S1",
        lines={"L1": quantity},
        international=draw(st.booleans()),
        last_update_at=at or NOW - timedelta(days=last_scan_days),
        delivered_at=at,
        tag="delivered" if at else "in_transit",
        estimated_delivery=draw(st.one_of(st.none(), st.dates(date(2026, 5, 1), date(2026, 7, 1)))),
    )
    line = ClaimableLine(
        "L1",
        quantity,
        paid,
        category="c",
        claimed={"S1": claimed, "": claimed},
        delivered_at=at,
        returned_quantity=draw(st.integers(0, quantity - claimed)),
    )
    o = OrderForClaim("EUR", PLACED, (line,), (p,))
    request = ClaimRequest(
        draw(kinds), (RequestedUnits("L1", draw(st.integers(1, quantity))),), photos=draw(st.integers(0, 2))
    )
    policy = ClaimPolicy(
        warranty_default_days=draw(st.one_of(st.none(), st.integers(1, 800))),
        auto_approve_max_value=draw(st.one_of(st.none(), amounts)),
        auto_approve_kinds=frozenset(ClaimKind),
    )
    history = ClaimHistory(
        by_customer=tuple(NOW - timedelta(days=d) for d in draw(st.lists(st.integers(0, 500), max_size=3)))
    )
    return policy, o, request, history


@settings(max_examples=300, deadline=None)
@given(situations())
def test_never_approved_outside_the_windows(case):
    policy, o, request, history = case
    decision = judge_claim(policy=policy, order=o, request=request, history=history, now=NOW)
    if decision.verdict is not Verdict.FILE:
        assert not decision.auto_approve and decision.value == 0
        return
    p, line = o.parcels[0], o.lines[0]
    kind = ClaimKind(request.kind)
    if kind is ClaimKind.LOST:
        assert not p.delivered and lost_opens_at(policy, p, PLACED) <= NOW
    elif kind is ClaimKind.STOLEN:
        assert p.delivered_at is not None
        assert (
            timedelta(days=policy.stolen_from_days)
            <= NOW - p.delivered_at
            <= timedelta(days=policy.stolen_until_days)
        )
    elif kind is ClaimKind.WARRANTY:
        start = line.delivered_at or PLACED
        assert policy.warranty_default_days is not None
        assert NOW - start <= timedelta(days=policy.warranty_default_days)
    else:
        assert p.delivered_at is not None and NOW - p.delivered_at <= timedelta(days=policy.report_days)
    if policy.needs_photos(kind):
        assert request.photos >= 1


@settings(max_examples=300, deadline=None)
@given(situations())
def test_never_more_than_was_paid_for_the_claimed_lines(case):
    policy, o, request, history = case
    decision = judge_claim(policy=policy, order=o, request=request, history=history, now=NOW)
    line = o.lines[0]
    assert decision.value <= line.paid
    if decision.verdict is Verdict.FILE:
        # With what was already claimed: never more than the line cost in all.
        taken = line.claimed.get("S1" if decision.parcel_key else "", 0) + line.returned_quantity
        units = decision.lines[0].quantity
        assert taken + units <= line.quantity
        assert decision.value <= line.paid * (taken + units) / line.quantity
        if policy.auto_approve_max_value is not None and decision.auto_approve:
            assert decision.value <= policy.auto_approve_max_value


@settings(max_examples=150, deadline=None)
@given(situations())
def test_the_same_inputs_always_give_the_same_decision(case):
    policy, o, request, history = case
    first = judge_claim(policy=policy, order=o, request=request, history=history, now=NOW)
    second = judge_claim(
        policy=ClaimPolicy.from_dict(policy.to_dict()), order=o, request=request, history=history, now=NOW
    )
    assert first == second and first.to_json() == second.to_json()
