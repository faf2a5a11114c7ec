"""Customer options on exceptions: what the customer may choose now, and whether a choice is valid.

One decision for every touchpoint: the tracking page draws its buttons from :func:`customer_options`,
the API lists the same offers, and both check an answer with :func:`check_choice` before recording
it as a ``customer.choice`` fact. The offers follow from the exceptions
:func:`aftercart.domain.exceptions.detect` finds, so a customer is offered a choice exactly when the
team's queue shows the matching problem:

============================  ==========================================  ==========================
situation                     when                                        choices
============================  ==========================================  ==========================
item unavailable              a line the store cannot supply, unanswered  wait, refund, substitute
                                                                          (when the store names one)
pickup not collected          deadline near or passed, still waiting      extend once, switch to
                                                                          delivery
delayed and not yet shipped   handling SLA passed, nothing shipped yet    keep waiting, cancel
============================  ==========================================  ==========================

A subject names what the choice is about, as exception causes do: ``line:<id>``, a shipment key,
or ``""`` for the whole order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aftercart.domain.choices import RecordedChoice, recorded_choices
from aftercart.domain.exceptions import DEFAULT_RULES, DetectionRules, ExceptionKind, detect, late_to_ship
from aftercart.domain.facts import CustomerChoice
from aftercart.domain.projection.state import OrderState, Pickup

__all__ = [
    "ChoiceRefused",
    "Offer",
    "RecordedChoice",
    "Refusal",
    "Situation",
    "check_choice",
    "choice_key",
    "choice_payload",
    "customer_options",
    "may_keep_waiting_or_cancel",
    "recorded_choices",
]

#: How much later an extended pickup deadline is (counted from the old deadline, or from now when
#: it has already passed).
DEFAULT_PICKUP_EXTENSION = timedelta(days=3)


class Situation(StrEnum):
    """Why the customer is asked."""

    ITEM_UNAVAILABLE = "item_unavailable"
    PICKUP_NOT_COLLECTED = "pickup_not_collected"
    DELAYED_NOT_SHIPPED = "delayed_not_shipped"


class Refusal(StrEnum):
    """Why a choice cannot be recorded; each touchpoint words it for its audience."""

    NOT_OFFERED = "not_offered"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_EXTENDED = "already_extended"
    ALREADY_SHIPPED = "already_shipped"


class ChoiceRefused(ValueError):
    """A choice that is not (or no longer) on offer; nothing may be recorded for it."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Offer:
    """Choices the customer can make now about one subject.

    ``deadline`` is the pickup's current deadline and ``new_deadline`` the one extending would set;
    ``substitute`` is the title of what the store offers instead of an unavailable line.
    """

    situation: Situation
    subject: str
    choices: tuple[CustomerChoice, ...]
    line_id: str = ""
    shipment_key: str = ""
    substitute: str = ""
    deadline: datetime | None = None
    new_deadline: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The API shape."""
        return {
            "situation": self.situation.value,
            "subject": self.subject,
            "line_id": self.line_id or None,
            "shipment_id": self.shipment_key or None,
            "choices": [c.value for c in self.choices],
            "substitute": self.substitute or None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "new_deadline": self.new_deadline.isoformat() if self.new_deadline else None,
        }


def customer_options(
    state: OrderState,
    now: datetime,
    rules: DetectionRules = DEFAULT_RULES,
    extension: timedelta = DEFAULT_PICKUP_EXTENSION,
) -> list[Offer]:
    """Every offer open to the customer at ``now``, in a stable order (lines, pickups, order)."""
    offers: list[Offer] = []
    for line in state.unavailable_lines:
        choices: tuple[CustomerChoice, ...] = (CustomerChoice.WAIT, CustomerChoice.REFUND)
        if line.substitute:
            choices = (CustomerChoice.SUBSTITUTE, *choices)
        offers.append(
            Offer(
                Situation.ITEM_UNAVAILABLE,
                f"line:{line.line_id}",
                choices,
                line_id=line.line_id,
                substitute=line.substitute,
            )
        )
    causes = sorted(detect(state, now, rules), key=lambda c: c.key)
    for cause in causes:
        if cause.kind in (ExceptionKind.PICKUP_EXPIRING, ExceptionKind.PICKUP_EXPIRED):
            offer = _pickup_offer(state, cause.subject, now, extension)
            if offer is not None:
                offers.append(offer)
    if may_keep_waiting_or_cancel(state, now, rules):
        offers.append(
            Offer(Situation.DELAYED_NOT_SHIPPED, "", (CustomerChoice.KEEP_WAITING, CustomerChoice.CANCEL))
        )
    return offers


def may_keep_waiting_or_cancel(
    state: OrderState, now: datetime, rules: DetectionRules = DEFAULT_RULES
) -> bool:
    """Whether the customer is asked to keep waiting or cancel: the store's handling SLA is over,
    nothing has shipped, and they have not answered yet. The offer and the next step both ask."""
    return (
        not state.shipments
        and not state.customer_choice
        and state.cancelled_at is None
        and bool(late_to_ship(state, now, rules))
    )


def _pickup_offer(state: OrderState, subject: str, now: datetime, extension: timedelta) -> Offer | None:
    line_id, shipment_key, pickup = _pickup_of(state, subject)
    if pickup is None or pickup.deadline is None or not pickup.awaiting_collection:
        return None
    choices: tuple[CustomerChoice, ...] = (CustomerChoice.SWITCH_TO_DELIVERY,)
    new_deadline = None
    if pickup.extended_from is None:
        choices = (CustomerChoice.EXTEND_PICKUP, *choices)
        new_deadline = max(pickup.deadline, now) + extension
    return Offer(
        Situation.PICKUP_NOT_COLLECTED,
        subject,
        choices,
        line_id=line_id,
        shipment_key=shipment_key,
        deadline=pickup.deadline,
        new_deadline=new_deadline,
    )


def _pickup_of(state: OrderState, subject: str) -> tuple[str, str, Pickup | None]:
    if subject.startswith("line:"):
        line = state.lines.get(subject.removeprefix("line:"))
        return (line.line_id, "", line.pickup) if line is not None else ("", "", None)
    shipment = state.shipments.get(subject)
    return ("", subject, shipment.pickup) if shipment is not None else ("", "", None)


def check_choice(
    state: OrderState,
    now: datetime,
    subject: str,
    choice: str,
    rules: DetectionRules = DEFAULT_RULES,
    extension: timedelta = DEFAULT_PICKUP_EXTENSION,
) -> Offer:
    """The offer that allows ``choice`` about ``subject`` now; :class:`ChoiceRefused` with the most
    helpful reason when none does (a second extension, a cancel after something shipped, an
    answer already given)."""
    try:
        wanted = CustomerChoice(choice)
    except ValueError:
        raise ChoiceRefused(Refusal.NOT_OFFERED) from None
    for offer in customer_options(state, now, rules, extension):
        if offer.subject == subject and wanted in offer.choices:
            return offer
    raise ChoiceRefused(_refusal(state, subject, wanted))


def _refusal(state: OrderState, subject: str, choice: CustomerChoice) -> Refusal:
    if choice is CustomerChoice.CANCEL and subject == "" and state.shipments:
        return Refusal.ALREADY_SHIPPED
    if choice is CustomerChoice.EXTEND_PICKUP:
        pickup = _pickup_of(state, subject)[2]
        if pickup is not None and pickup.extended_from is not None:
            return Refusal.ALREADY_EXTENDED
    if subject == "" and state.customer_choice:
        return Refusal.ALREADY_ANSWERED
    if subject.startswith("line:"):
        line = state.lines.get(subject.removeprefix("line:"))
        if line is not None and line.customer_choice:
            return Refusal.ALREADY_ANSWERED
    pickup = _pickup_of(state, subject)[2]
    if pickup is not None and pickup.delivery_requested:
        return Refusal.ALREADY_ANSWERED
    return Refusal.NOT_OFFERED


def choice_payload(offer: Offer, choice: CustomerChoice) -> dict[str, Any]:
    """The ``customer.choice`` fact's payload for a checked choice."""
    payload: dict[str, Any] = {"choice": choice.value}
    if offer.line_id:
        payload["line_id"] = offer.line_id
    if offer.shipment_key:
        payload["shipment_id"] = offer.shipment_key
    if choice is CustomerChoice.EXTEND_PICKUP and offer.new_deadline is not None:
        payload["deadline"] = offer.new_deadline.isoformat()
    if choice is CustomerChoice.SUBSTITUTE:
        payload["substitute"] = offer.substitute
    return payload


def choice_key(order_key: str, offer: Offer, choice: CustomerChoice) -> str:
    """The fact's idempotency key: one answer per unavailable line and per order (the first
    counts, a double submit is a duplicate), one of each pickup choice per pickup (extending twice
    is one extension; switching after extending is a second answer)."""
    if offer.situation is Situation.ITEM_UNAVAILABLE:
        return f"choice:{order_key}:{offer.line_id}"
    if offer.situation is Situation.DELAYED_NOT_SHIPPED:
        return f"choice:{order_key}:order"
    return f"choice:{order_key}:{offer.subject}:{choice.value}"
