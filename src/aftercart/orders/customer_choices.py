"""The customer's answer to an exception, recorded as a ``customer.choice`` fact in the ledger.

The tracking page (the customer) and the API (a store agent on the customer's behalf) both call
:func:`customer_choice_record`: the domain checks the choice against what is on offer now
(:func:`aftercart.domain.options.check_choice`) and the fact goes through the ordinary ledger write,
so the projection, the next step, the exception cases and the store's webhook all follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aftercart.domain.exceptions import DetectionRules
from aftercart.domain.facts import CustomerChoice, Fact, FactKind
from aftercart.domain.options import (
    Offer,
    check_choice,
    choice_key,
    choice_payload,
    customer_options,
)
from aftercart.domain.projection.state import OrderState
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.stores.detection_rules import rules_for


def _rules(order: Order) -> DetectionRules:
    # The same thresholds exception detection uses for this store: an offer appears exactly when
    # the team's queue shows the problem.
    return rules_for(order.store.country)


def order_options(*, order: Order, state: OrderState, now: datetime) -> list[Offer]:
    """What the customer may choose about ``order`` now."""
    return customer_options(state, now, _rules(order))


@dataclass(frozen=True, slots=True)
class Recorded:
    """A recorded choice: the offer it answered and whether the ledger took it as new."""

    offer: Offer
    choice: CustomerChoice
    accepted: bool


def customer_choice_record(
    *, order: Order, state: OrderState, subject: str, choice: str, source: str, now: datetime
) -> Recorded:
    """Check ``choice`` about ``subject`` against what is on offer in ``state`` at ``now`` and record
    it. Raises :class:`~aftercart.domain.options.ChoiceRefused` (nothing written) when it is not.

    The fact's idempotency key makes a double submit (or two racing requests) one answer; it is
    dated no earlier than the order's last fact so it folds after what the customer saw.
    """
    offer = check_choice(state, now, subject, choice, _rules(order))
    wanted = CustomerChoice(choice)
    fact = Fact(
        kind=FactKind.CUSTOMER_CHOICE,
        occurred_at=max(now, state.last_event_at or now),
        idempotency_key=choice_key(order.public_id, offer, wanted),
        source=source,
        order_ref=order.external_id,
        payload=choice_payload(offer, wanted),
    )
    result = facts_record(store=order.store, facts=[fact], now=now)
    return Recorded(offer=offer, choice=wanted, accepted=bool(result.accepted))
