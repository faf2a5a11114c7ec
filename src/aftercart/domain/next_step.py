"""The one customer-facing "what happens next" for an order.

Every touchpoint (tracking page, messages, API, agent console, auto-replies) renders the
:class:`NextStep` this module returns and decides nothing itself. Texts are English message ids
with ``{placeholders}``; touchpoints translate the id and fill in ``params``, so the wording is the
same everywhere and in every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from aftercart.domain.arrival import arrived_at
from aftercart.domain.carriers import carrier_info
from aftercart.domain.exceptions import DEFAULT_RULES, DetectionRules, stalled_since
from aftercart.domain.options import may_keep_waiting_or_cancel
from aftercart.domain.projection.state import OrderState, ShipmentState
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus, Subtag


def gettext_noop(message: str) -> str:
    """Marks a message id for translation catalogues without translating it here."""
    return message


class StepCode(StrEnum):
    """Every next step a customer can be shown, most urgent first (see :data:`PRIORITY`)."""

    CANCELLED = "cancelled"
    LOST = "lost"
    DAMAGED = "damaged"
    RETURNING_TO_SENDER = "returning_to_sender"
    DELIVERY_PROBLEM = "delivery_problem"
    ITEM_UNAVAILABLE = "item_unavailable"
    ATTEMPT_FAILED = "attempt_failed"
    READY_FOR_PICKUP = "ready_for_pickup"
    STALLED = "stalled"
    DELAYED = "delayed"
    LATE_TO_SHIP = "late_to_ship"
    OUT_FOR_DELIVERY = "out_for_delivery"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    BEING_PREPARED = "being_prepared"
    AWAITING_FULFILMENT = "awaiting_fulfilment"
    DELIVERED = "delivered"


PRIORITY = {code: rank for rank, code in enumerate(StepCode)}


class ActionCode(StrEnum):
    """What the customer can do about the step; each touchpoint renders it as a link or button."""

    TRACK_PARCEL = "track_parcel"
    CONTACT_SUPPORT = "contact_support"
    WAIT_FOR_ITEM = "wait_for_item"
    REFUND_ITEM = "refund_item"
    SUBSTITUTE_ITEM = "substitute_item"
    GET_DIRECTIONS = "get_directions"
    RESCHEDULE_DELIVERY = "reschedule_delivery"
    START_RETURN = "start_return"
    KEEP_WAITING = "keep_waiting"
    CANCEL_ORDER = "cancel_order"


ACTION_LABELS = {
    ActionCode.TRACK_PARCEL: gettext_noop("Track your parcel with {carrier}"),
    ActionCode.CONTACT_SUPPORT: gettext_noop("Contact us about this order"),
    ActionCode.WAIT_FOR_ITEM: gettext_noop("Wait for the item"),
    ActionCode.REFUND_ITEM: gettext_noop("Refund the item"),
    ActionCode.SUBSTITUTE_ITEM: gettext_noop("Choose a substitute"),
    ActionCode.GET_DIRECTIONS: gettext_noop("Get directions"),
    ActionCode.RESCHEDULE_DELIVERY: gettext_noop("Arrange a new delivery with {carrier}"),
    ActionCode.START_RETURN: gettext_noop("Start a return"),
    ActionCode.KEEP_WAITING: gettext_noop("I will keep waiting"),
    ActionCode.CANCEL_ORDER: gettext_noop("Cancel my order"),
}

#: The subject of the message "contact us" opens, per action (message ids): the page, the e-mail
#: and the SMS name the order and what it is about the same way.
SUPPORT_SUBJECTS = {
    ActionCode.CONTACT_SUPPORT: gettext_noop("Question about order {number}"),
    ActionCode.WAIT_FOR_ITEM: gettext_noop("Order {number}: I will wait for {items}"),
    ActionCode.REFUND_ITEM: gettext_noop("Order {number}: please refund {items}"),
    ActionCode.SUBSTITUTE_ITEM: gettext_noop("Order {number}: I would like a substitute for {items}"),
    ActionCode.START_RETURN: gettext_noop("Order {number}: I would like to return something"),
}


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the customer can do; ``params`` fill the label and tell the touchpoint where."""

    code: ActionCode
    label: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NextStep:
    """What happens next, for the customer. ``headline``/``detail`` are message ids."""

    code: StepCode
    headline: str
    detail: str
    params: dict[str, str] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    deadline: datetime | None = None
    shipment_key: str = ""

    def render(self, translate: Any = None) -> tuple[str, str]:
        """Headline and detail with params filled in, through ``translate`` if given."""
        t = translate or (lambda s: s)
        return t(self.headline).format(**self.params), t(self.detail).format(**self.params)

    def to_json(self) -> dict[str, Any]:
        """The API shape."""
        headline, detail = self.render()
        return {
            "code": self.code.value,
            "headline": headline,
            "detail": detail,
            "params": self.params,
            "actions": [
                {"code": a.code.value, "label": a.label.format(**a.params), "params": a.params}
                for a in self.actions
            ],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "shipment": self.shipment_key or None,
        }


TEXTS: dict[StepCode, tuple[str, str]] = {
    StepCode.CANCELLED: (
        gettext_noop("Your order was cancelled"),
        gettext_noop("Nothing more will be sent. Any payment for unshipped items is refunded."),
    ),
    StepCode.LOST: (
        gettext_noop("Your parcel is lost"),
        gettext_noop(
            "{carrier} cannot find your parcel. We are on it and will send a replacement or a "
            "refund; there is nothing you need to do."
        ),
    ),
    StepCode.DAMAGED: (
        gettext_noop("Your parcel was damaged in transit"),
        gettext_noop(
            "{carrier} reported damage to your parcel. We will send a replacement or a refund; "
            "contact us if you would prefer one or the other."
        ),
    ),
    StepCode.RETURNING_TO_SENDER: (
        gettext_noop("Your parcel is on its way back to us"),
        gettext_noop(
            "{carrier} could not deliver it and is returning it. When it arrives we will contact "
            "you to re-send it or refund you."
        ),
    ),
    StepCode.DELIVERY_PROBLEM: (
        gettext_noop("There is a problem with your delivery"),
        gettext_noop("{carrier} reported: “{carrier_message}” Contact us and we will sort it out."),
    ),
    StepCode.ITEM_UNAVAILABLE: (
        gettext_noop("An item in your order is unavailable"),
        gettext_noop(
            "We cannot supply {items}. Choose whether to wait for it or be refunded; "
            "the rest of your order is not held up."
        ),
    ),
    StepCode.ATTEMPT_FAILED: (
        gettext_noop("{carrier} could not deliver your parcel"),
        gettext_noop(
            "{carrier} tried to deliver but could not ({carrier_message}). They usually try again "
            "on the next working day; you can also arrange a new delivery with them."
        ),
    ),
    StepCode.READY_FOR_PICKUP: (
        gettext_noop("Ready for pickup at {location}"),
        gettext_noop("Collect it at {address}. Opening hours: {hours}. Please collect by {deadline}."),
    ),
    StepCode.STALLED: (
        gettext_noop("{carrier} has not scanned your parcel since {since}"),
        gettext_noop(
            "We are chasing {carrier} to find out where it is and will tell you as soon as it moves. "
            "You can check the latest with {carrier}, or contact us if you need it urgently."
        ),
    ),
    StepCode.DELAYED: (
        gettext_noop("Your parcel is delayed"),
        gettext_noop("{carrier} now expects to deliver it by {estimate}. We are keeping an eye on it."),
    ),
    StepCode.LATE_TO_SHIP: (
        gettext_noop("Your order is taking longer than we promised"),
        gettext_noop(
            "It has not left us yet. You can keep waiting and we will tell you as soon as it ships, "
            "or cancel it and be refunded."
        ),
    ),
    StepCode.OUT_FOR_DELIVERY: (
        gettext_noop("Out for delivery today"),
        gettext_noop("{carrier} is bringing your parcel today."),
    ),
    StepCode.PARTIALLY_SHIPPED: (
        gettext_noop("Part of your order is on its way"),
        # No count: "1 of your parcels" read as "Parcels shipped with DPD: 1." once translated
        # without plural forms; the page lists the parcels.
        gettext_noop("The first items left us with {carrier}; the rest are being prepared and will follow."),
    ),
    StepCode.SHIPPED: (
        gettext_noop("On its way with {carrier}"),
        gettext_noop("Expected by {estimate}."),
    ),
    StepCode.BEING_PREPARED: (
        gettext_noop("We are preparing your order"),
        gettext_noop("Your items are being picked and packed. We will tell you when they ship."),
    ),
    StepCode.AWAITING_FULFILMENT: (
        gettext_noop("Order received"),
        gettext_noop("Thank you for your order. We will tell you when we start preparing it."),
    ),
    StepCode.DELIVERED: (
        gettext_noop("Delivered"),
        gettext_noop("Your order was delivered on {delivered_on}. Enjoy!"),
    ),
}

_UNKNOWN = gettext_noop("soon")

#: Details used instead when there is no date to give: "Expected by soon." helps nobody.
NO_ESTIMATE_DETAILS: dict[StepCode, str] = {
    StepCode.SHIPPED: gettext_noop(
        "{carrier} has your parcel. We will show a delivery date as soon as they share one."
    ),
    StepCode.DELAYED: gettext_noop(
        "{carrier} is running late and has not given a new date yet. We are keeping an eye on it."
    ),
}


def next_step(state: OrderState, now: datetime, rules: DetectionRules = DEFAULT_RULES) -> NextStep:
    """The single next step for this order at ``now``: its most urgent situation, with what the
    customer can do about it.

    ``rules`` are the store's exception thresholds: a parcel is "not scanned since" exactly when the
    team's queue shows it stalled, and an order "taking longer than promised" exactly when the
    customer is offered to keep waiting or cancel.
    """
    if state.cancelled_at is not None and not state.shipments:
        return _step(StepCode.CANCELLED, {}, (_support(state),))
    candidates = [_shipment_step(state, s, now, rules) for s in state.shipments.values()]
    unavailable = state.unavailable_lines
    if unavailable:
        items = ", ".join(ln.title or ln.sku or ln.line_id for ln in unavailable)
        line_ids = ",".join(ln.line_id for ln in unavailable)
        substitutable = ",".join(ln.line_id for ln in unavailable if ln.substitute)
        substitute = (
            (
                Action(
                    ActionCode.SUBSTITUTE_ITEM,
                    ACTION_LABELS[ActionCode.SUBSTITUTE_ITEM],
                    {"lines": substitutable},
                ),
            )
            if substitutable
            else ()
        )
        actions = (
            Action(ActionCode.WAIT_FOR_ITEM, ACTION_LABELS[ActionCode.WAIT_FOR_ITEM], {"lines": line_ids}),
            Action(ActionCode.REFUND_ITEM, ACTION_LABELS[ActionCode.REFUND_ITEM], {"lines": line_ids}),
            *substitute,
            _support(state),
        )
        candidates.append(_step(StepCode.ITEM_UNAVAILABLE, {"items": items}, actions))
    for line in state.lines.values():
        # A pickup the customer switched to delivery is no longer waiting for them: the line is
        # back to being prepared (below) until the store ships it.
        if (
            line.status is FulfilmentStatus.READY_FOR_PICKUP
            and line.pickup
            and line.pickup.awaiting_collection
        ):
            candidates.append(_pickup_step(state, line.pickup, ""))
    if may_keep_waiting_or_cancel(state, now, rules):
        actions = (
            Action(ActionCode.KEEP_WAITING, ACTION_LABELS[ActionCode.KEEP_WAITING]),
            Action(ActionCode.CANCEL_ORDER, ACTION_LABELS[ActionCode.CANCEL_ORDER]),
            _support(state),
        )
        candidates.append(_step(StepCode.LATE_TO_SHIP, {}, actions))
    urgent = [c for c in candidates if c.code not in (StepCode.SHIPPED, StepCode.DELIVERED)]
    if urgent:
        return min(urgent, key=lambda c: PRIORITY[c.code])
    in_transit = [c for c in candidates if c.code is StepCode.SHIPPED]
    unshipped = [ln for ln in state.unshipped_lines if ln.unavailable_quantity < ln.quantity]
    # A line the customer chose to wait for is still to come: the order is not done without it.
    unshipped += [ln for ln in state.awaited_lines if ln not in unshipped]
    if in_transit and unshipped:
        first = in_transit[0]
        params = {**first.params, "shipped_count": str(len(state.shipments))}
        return _step(StepCode.PARTIALLY_SHIPPED, params, first.actions, shipment_key=first.shipment_key)
    if in_transit:
        return min(in_transit, key=lambda c: c.params.get("estimate", ""))
    if unshipped:
        preparing = state.shipments or any(
            ln.status
            in (
                FulfilmentStatus.ALLOCATED,
                FulfilmentStatus.PICKING,
                FulfilmentStatus.PACKED,
                FulfilmentStatus.READY_TO_SHIP,
                FulfilmentStatus.READY_FOR_PICKUP,
            )
            for ln in unshipped
        )
        if preparing:
            return _step(StepCode.BEING_PREPARED, {}, (_support(state),))
        return _step(StepCode.AWAITING_FULFILMENT, {}, (_support(state),))
    last = arrived_at(state)
    if last is not None:
        return _step(
            StepCode.DELIVERED,
            {"delivered_on": last.date().isoformat()},
            (Action(ActionCode.START_RETURN, ACTION_LABELS[ActionCode.START_RETURN]), _support(state)),
        )
    if state.cancelled_at is not None:
        return _step(StepCode.CANCELLED, {}, (_support(state),))
    return _step(StepCode.AWAITING_FULFILMENT, {}, (_support(state),))


def _shipment_step(
    state: OrderState, shipment: ShipmentState, now: datetime, rules: DetectionRules
) -> NextStep:
    carrier = carrier_info(shipment.carrier).name if shipment.carrier else gettext_noop("the carrier")
    params = {
        "carrier": carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "carrier_message": shipment.raw_message or shipment.subtag.value,
        "estimate": _iso(shipment.estimated_delivery) or _UNKNOWN,
    }
    track = Action(ActionCode.TRACK_PARCEL, ACTION_LABELS[ActionCode.TRACK_PARCEL], _pick(params))
    support = _support(state)
    key = shipment.key
    if shipment.is_delivered:
        return _step(StepCode.DELIVERED, params, (support,), shipment_key=key)
    subtag = shipment.subtag
    if shipment.tag is CarrierTag.EXCEPTION:
        if subtag is Subtag.EXCEPTION_LOST:
            return _step(StepCode.LOST, params, (support,), shipment_key=key)
        if subtag is Subtag.EXCEPTION_DAMAGED:
            return _step(StepCode.DAMAGED, params, (support,), shipment_key=key)
        if subtag in (Subtag.EXCEPTION_RETURN_TO_SENDER, Subtag.EXCEPTION_RETURNED_TO_SENDER):
            return _step(StepCode.RETURNING_TO_SENDER, params, (track, support), shipment_key=key)
        if subtag is not Subtag.EXCEPTION_DELAYED:
            return _step(StepCode.DELIVERY_PROBLEM, params, (track, support), shipment_key=key)
        return _step(StepCode.DELAYED, params, (track, support), shipment_key=key)
    if shipment.tag is CarrierTag.ATTEMPT_FAIL:
        reschedule = Action(
            ActionCode.RESCHEDULE_DELIVERY, ACTION_LABELS[ActionCode.RESCHEDULE_DELIVERY], _pick(params)
        )
        return _step(StepCode.ATTEMPT_FAILED, params, (reschedule, support), shipment_key=key)
    if (
        shipment.pickup.awaiting_collection
        if shipment.pickup
        else shipment.tag is CarrierTag.AVAILABLE_FOR_PICKUP
    ):
        return _pickup_step(state, shipment.pickup, key, params)
    quiet_since = stalled_since(shipment, now, rules)
    if quiet_since is not None:
        # Silence is the news: say since when, not a date that silence has made meaningless.
        params["since"] = quiet_since.isoformat()
        return _step(StepCode.STALLED, params, (track, support), shipment_key=key)
    if shipment.tag is CarrierTag.OUT_FOR_DELIVERY:
        return _step(StepCode.OUT_FOR_DELIVERY, params, (track,), shipment_key=key)
    if shipment.estimated_delivery and shipment.estimated_delivery < now.date():
        # The carrier's date has passed with no delivery: say so rather than repeat a stale date.
        params["estimate"] = _UNKNOWN
        return _step(StepCode.DELAYED, params, (track, support), shipment_key=key)
    return _step(StepCode.SHIPPED, params, (track,), shipment_key=key)


def _pickup_step(state: OrderState, pickup: Any, key: str, base: dict[str, str] | None = None) -> NextStep:
    params = dict(base or {})
    params.update(
        location=(pickup.location_name if pickup else "") or gettext_noop("the pickup point"),
        address=(pickup.address if pickup else "") or "-",
        hours=(pickup.hours if pickup else "") or "-",
        deadline=_iso(pickup.deadline) if pickup and pickup.deadline else "-",
    )
    actions = (
        Action(
            ActionCode.GET_DIRECTIONS,
            ACTION_LABELS[ActionCode.GET_DIRECTIONS],
            {"address": params["address"]},
        ),
        _support(state),
    )
    return _step(
        StepCode.READY_FOR_PICKUP,
        params,
        actions,
        deadline=pickup.deadline if pickup else None,
        shipment_key=key,
    )


def _support(state: OrderState) -> Action:
    return Action(
        ActionCode.CONTACT_SUPPORT,
        ACTION_LABELS[ActionCode.CONTACT_SUPPORT],
        {"order_number": state.number or state.order_ref},
    )


def _step(
    code: StepCode,
    params: dict[str, str],
    actions: tuple[Action, ...],
    deadline: datetime | None = None,
    shipment_key: str = "",
) -> NextStep:
    headline, detail = TEXTS[code]
    if params.get("estimate") == _UNKNOWN and code in NO_ESTIMATE_DETAILS:
        detail = NO_ESTIMATE_DETAILS[code]
    return NextStep(code, headline, detail, params, actions, deadline, shipment_key)


def _pick(params: dict[str, str]) -> dict[str, str]:
    return {k: params[k] for k in ("carrier", "tracking_number", "tracking_url") if params.get(k)} | {
        "carrier": params["carrier"]
    }


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""
