"""What is open between the store and a customer on an order, read from the apps that know
(exceptions, returns, claims, the delivery promise, the customer's own answers), for the pure gate
(:mod:`aftercart.domain.feedback.gates`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aftercart.claims.models import Claim
from aftercart.domain.arrival import arrived_at
from aftercart.domain.claims.lifecycle import TERMINAL as CLAIM_TERMINAL
from aftercart.domain.exceptions import ExceptionKind
from aftercart.domain.feedback.gates import Standing, late_unexplained
from aftercart.domain.feedback.survey import Scale, Thresholds, unhappy
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns.lifecycle import TERMINAL
from aftercart.exceptions.models import OrderException
from aftercart.feedback.models import Survey
from aftercart.orders.models import DeliveryPromise, Order
from aftercart.returns.models import Return

_FOLLOW_UP = ExceptionKind.CUSTOMER_FOLLOW_UP.value
#: Cases whose resolution someone did something about (a survey then asks about the resolution);
#: a delay or a failed attempt that the delivery itself closed is not one.
_PUT_RIGHT = frozenset(
    k.value
    for k in (
        ExceptionKind.LOST,
        ExceptionKind.DAMAGED,
        ExceptionKind.RETURNING_TO_SENDER,
        ExceptionKind.ITEM_UNAVAILABLE,
        ExceptionKind.NOT_SHIPPED_IN_SLA,
        ExceptionKind.RETURN_LABEL_FAILED,
        ExceptionKind.CUSTOMER_FOLLOW_UP,
    )
)
_TERMINAL = [s.value for s in TERMINAL]


def _open_claims(order_ids: Sequence[int]) -> dict[int, int]:
    """Claims not yet decided for good, per order (filed, waiting for evidence, in review, or
    approved and not yet settled): while one is, the customer is "under claim"."""
    rows = (
        Claim.objects.filter(order_id__in=order_ids)
        .exclude(status__in=[s.value for s in CLAIM_TERMINAL])
        .values_list("order_id", flat=True)
    )
    return dict(Counter(rows))


def _settled_claims(order_ids: Sequence[int]) -> set[int]:
    """Orders with a claim decided for good (denied or resolved): something was put right."""
    return set(
        Claim.objects.filter(
            order_id__in=order_ids, status__in=[s.value for s in CLAIM_TERMINAL]
        ).values_list("order_id", flat=True)
    )


def late_key(order: Order) -> str:
    """The follow-up case subject of an order that came late unexplained."""
    return f"late:{order.public_id}"


def survey_key(survey: Survey) -> str:
    """The follow-up case subject of a low answer."""
    return f"survey:{survey.ref}"


def order_late_unexplained(order: Order, state: OrderState) -> bool:
    """Delivered after the day promised (the promise kept at confirmation, else the carrier's first
    estimate), with no delay or exception message reached on the way."""
    arrived = arrived_at(state)
    if arrived is None:
        return False
    promised = DeliveryPromise.objects.filter(order=order).values_list("latest", flat=True).first()
    if promised is None:
        firsts = [s.first_estimated_delivery for s in state.shipments.values() if s.first_estimated_delivery]
        promised = max(firsts) if firsts else None
    told = any(
        str(m).split(":")[0] in (Milestone.DELAYED.value, Milestone.EXCEPTION.value)
        for m in order.milestones or []
    )
    return late_unexplained(delivered_on=arrived.date(), promised_by=promised, told=told)


def standing_for(order: Order, state: OrderState, *, scale: Scale, thresholds: Thresholds) -> Standing:
    """The order's standing now (a handful of indexed reads)."""
    cases = list(OrderException.objects.filter(order=order).values_list("kind", "subject", "resolved_at"))
    open_kinds = frozenset(kind for kind, _, resolved in cases if resolved is None)
    resolved_any = any(resolved is not None and kind in _PUT_RIGHT for kind, _, resolved in cases)
    returns = list(Return.objects.filter(order=order).values_list("status", flat=True))
    open_returns = sum(1 for s in returns if s not in _TERMINAL)
    resolved_any = resolved_any or any(s in _TERMINAL for s in returns) or bool(_settled_claims([order.pk]))
    followed = {subject for kind, subject, resolved in cases if kind == _FOLLOW_UP and resolved is not None}
    late = order_late_unexplained(order, state) and late_key(order) not in followed
    latest = Survey.objects.filter(order=order, score__isnull=False).order_by("-answered_at", "-pk").first()
    low = bool(
        latest is not None
        and latest.score is not None
        and unhappy(Scale(latest.scale), latest.score, thresholds)
        and survey_key(latest) not in followed
    )
    return Standing(
        open_exceptions=open_kinds,
        open_claims=_open_claims([order.pk]).get(order.pk, 0),
        open_returns=open_returns,
        late_unexplained=late,
        low_rating=low,
        resolved_issue=resolved_any,
    )
