"""The one customer-facing "what happens next" for a return, of the same shape as the order's
(:mod:`aftercart.domain.next_step`): a code, message ids with ``{placeholders}``, raw params and the
actions the shopper can take.

The portal page, the return e-mails, the API and the ops console render the
:class:`ReturnNextStep` this module returns (through :mod:`aftercart.kernel.presenter`) and decide
nothing themselves. Params are raw: ``ship_by`` an ISO date, amounts :class:`Money`, the rejection
reason as the team wrote it; the presenter puts dates and money in the shopper's locale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from aftercart.domain.money import Money
from aftercart.domain.next_step import gettext_noop
from aftercart.domain.returns.lifecycle import Resolution, ReturnStatus
from aftercart.domain.returns.policy import ReturnMethod

__all__ = [
    "RETURN_ACTION_LABELS",
    "RETURN_TEXTS",
    "ReturnAction",
    "ReturnActionCode",
    "ReturnAmounts",
    "ReturnNextStep",
    "ReturnStepCode",
    "SendInstructions",
    "return_next_step",
    "send_instructions",
]


class ReturnStepCode(StrEnum):
    """Every next step a shopper can be shown about a return."""

    IN_REVIEW = "return_in_review"
    REQUESTED = "return_requested"
    KEEP_ITEMS = "return_keep_items"
    APPROVED = "return_approved"
    #: Approved, but its prepaid label could not be bought (the purchase failed for good): the
    #: store has been told (the return's timeline, the exceptions queue) and sends it once fixed.
    LABEL_DELAYED = "return_label_delayed"
    SEND_ITEMS = "return_send_items"
    IN_TRANSIT = "return_in_transit"
    RECEIVED = "return_received"
    INSPECTED = "return_inspected"
    RESOLVED = "return_resolved"
    REJECTED = "return_rejected"
    CANCELLED = "return_cancelled"


class ReturnActionCode(StrEnum):
    """What the shopper can do about the step; each touchpoint renders it as a link or button."""

    GET_LABEL = "get_label"
    SHOW_QR = "show_qr"
    TRACK_RETURN = "track_return"
    CONTACT_US = "contact_us"


RETURN_ACTION_LABELS = {
    ReturnActionCode.GET_LABEL: gettext_noop("Download your return label"),
    ReturnActionCode.SHOW_QR: gettext_noop("Show your drop-off QR code"),
    ReturnActionCode.TRACK_RETURN: gettext_noop("Track your return"),
    ReturnActionCode.CONTACT_US: gettext_noop("Contact us about this return"),
}


@dataclass(frozen=True, slots=True)
class ReturnAction:
    """One thing the shopper can do; ``label`` is a message id filled with ``params``."""

    code: ReturnActionCode
    label: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReturnNextStep:
    """What happens next on a return. ``headline`` is a message id; ``detail`` one or more message
    ids (a mixed resolution says each thing issued), rendered as one paragraph."""

    code: ReturnStepCode
    headline: str
    detail: tuple[str, ...]
    params: dict[str, str | Money] = field(default_factory=dict)
    actions: tuple[ReturnAction, ...] = ()

    @property
    def action(self) -> str:
        """The main action's code, ``""`` when there is nothing to do."""
        return self.actions[0].code.value if self.actions else ""

    @property
    def shows_amounts(self) -> bool:
        """Whether the shopper is shown what they get back: not for a return that pays nothing."""
        return self.code not in (ReturnStepCode.REJECTED, ReturnStepCode.CANCELLED)


@dataclass(frozen=True, slots=True)
class ReturnAmounts:
    """What the return settles, in its currency (zero amounts are left out of the step)."""

    currency: str
    refund: Decimal = Decimal(0)
    store_credit: Decimal = Decimal(0)
    exchange: Decimal = Decimal(0)
    charge: Decimal = Decimal(0)


RETURN_TEXTS: dict[ReturnStepCode, tuple[str, str]] = {
    ReturnStepCode.IN_REVIEW: (
        gettext_noop("We're reviewing your return"),
        gettext_noop("Return {rma} needs a quick check by our team. We'll e-mail you when it's approved."),
    ),
    ReturnStepCode.REQUESTED: (gettext_noop("Return requested"), gettext_noop("We have your return {rma}.")),
    ReturnStepCode.KEEP_ITEMS: (
        gettext_noop("Keep the items"),
        gettext_noop("No need to send anything back: we'll settle it for you."),
    ),
    # How to send the items depends on the method: see SEND_INSTRUCTIONS.
    ReturnStepCode.APPROVED: (gettext_noop("Return approved"), ""),
    ReturnStepCode.LABEL_DELAYED: (
        gettext_noop("Your return label is delayed"),
        gettext_noop(
            "We couldn't get the prepaid label for return {rma} from the carrier. The store has been "
            "told and will e-mail it to you as soon as it's sorted out."
        ),
    ),
    ReturnStepCode.SEND_ITEMS: (gettext_noop("Send your items back"), ""),
    ReturnStepCode.IN_TRANSIT: (
        gettext_noop("On its way back"),
        gettext_noop("Your return is on its way to us."),
    ),
    ReturnStepCode.RECEIVED: (
        gettext_noop("We received your return"),
        gettext_noop("We're checking the items now."),
    ),
    ReturnStepCode.INSPECTED: (
        gettext_noop("Items checked"),
        gettext_noop("We're issuing what you chose: you'll hear from us shortly."),
    ),
    ReturnStepCode.RESOLVED: (gettext_noop("Return complete"), gettext_noop("Your return is complete.")),
    ReturnStepCode.REJECTED: (
        gettext_noop("Return not accepted"),
        gettext_noop("We couldn't accept this return."),
    ),
    ReturnStepCode.CANCELLED: (gettext_noop("Return cancelled"), gettext_noop("Return {rma} was cancelled.")),
}


@dataclass(frozen=True, slots=True)
class SendInstructions:
    """How to send the items back by one method: the detail (message id) with a date to send them
    by, the one without (``"by ."`` helps nobody), and the action that goes with it."""

    dated: str
    undated: str
    action: ReturnActionCode | None = None


#: The one place that says how items go back, by method and by whether what the shopper sends
#: them with (label, QR code) is issued yet. A QR drop-off never says "print", a store return
#: says where and what to bring; every touchpoint (page, e-mail, SMS, API) shows these through
#: the next step, so none can contradict another.
SEND_INSTRUCTIONS: dict[tuple[ReturnMethod, bool], SendInstructions] = {
    (ReturnMethod.LABEL, False): SendInstructions(
        gettext_noop(
            "We're preparing your return label and will e-mail it to you. Send the items by {ship_by}."
        ),
        gettext_noop("We're preparing your return label and will e-mail it to you."),
    ),
    (ReturnMethod.LABEL, True): SendInstructions(
        gettext_noop(
            "Print your label, stick it on a parcel with the items and hand it to the carrier by {ship_by}."
        ),
        gettext_noop("Print your label, stick it on a parcel with the items and hand it to the carrier."),
        ReturnActionCode.GET_LABEL,
    ),
    (ReturnMethod.DROPOFF, False): SendInstructions(
        gettext_noop(
            "We're preparing your drop-off QR code and will e-mail it to you. Bring the items to a drop-off point by {ship_by}."
        ),
        gettext_noop("We're preparing your drop-off QR code and will e-mail it to you."),
    ),
    (ReturnMethod.DROPOFF, True): SendInstructions(
        gettext_noop(
            "Bring the items to a drop-off point by {ship_by} and show your QR code there: no box needed."
        ),
        gettext_noop("Bring the items to a drop-off point and show your QR code there: no box needed."),
        ReturnActionCode.SHOW_QR,
    ),
}
#: A label whose carrier also gave its own drop-off QR code (a bought label): the page and the
#: e-mail show that code, so the instruction offers both ways rather than "print" alone.
LABEL_OR_CARRIER_QR = SendInstructions(
    gettext_noop(
        "Print your label, or show the carrier's QR code at one of its drop-off points, and send the items by {ship_by}."
    ),
    gettext_noop("Print your label, or show the carrier's QR code at one of its drop-off points."),
    ReturnActionCode.GET_LABEL,
)
#: In store there is nothing to issue: where to go and what to bring, with or without the store's
#: return location (the policy's ``in_store_location``).
IN_STORE = SendInstructions(
    gettext_noop("Bring the items and your return number {rma} to one of our stores by {ship_by}."),
    gettext_noop("Bring the items and your return number {rma} to one of our stores."),
)
IN_STORE_AT = SendInstructions(
    gettext_noop("Bring the items and your return number {rma} to {location} by {ship_by}."),
    gettext_noop("Bring the items and your return number {rma} to {location}."),
)


def sending_method(method: ReturnMethod | str, *, carrier_label: bool, carrier_qr: bool) -> ReturnMethod:
    """How the items really go back. A QR drop-off whose carrier label was bought but whose
    carrier QR code could not be had goes back as a label: a carrier's counter scans its own
    code, never ours, so the shopper prints the carrier's label instead of showing a code
    nobody there can read."""
    chosen = ReturnMethod(method) if method in ReturnMethod.__members__.values() else ReturnMethod.LABEL
    if chosen is ReturnMethod.DROPOFF and carrier_label and not carrier_qr:
        return ReturnMethod.LABEL
    return chosen


def send_instructions(
    method: ReturnMethod | str, *, issued: bool, location: str = "", carrier_qr: bool = False
) -> SendInstructions:
    """How to send the items back by ``method``, once what they go with is ``issued`` (a label, a
    QR code) or before. ``location`` is where in-store returns go (``{location}``); ``carrier_qr``:
    the carrier gave its own drop-off QR code with the label, which the shopper may show instead
    of printing (a drop-off shows a QR code whichever it is)."""
    method = ReturnMethod(method) if method in ReturnMethod.__members__.values() else ReturnMethod.LABEL
    if method is ReturnMethod.IN_STORE:
        return IN_STORE_AT if location.strip() else IN_STORE
    if method is ReturnMethod.LABEL and issued and carrier_qr:
        return LABEL_OR_CARRIER_QR
    return SEND_INSTRUCTIONS[(method, issued)]


#: A resolved return's detail, one sentence per thing issued.
RESOLVED_DETAILS = {
    Resolution.REFUND_ISSUED: gettext_noop("Your refund has been issued to your original payment method."),
    Resolution.CREDIT_ISSUED: gettext_noop("Your store credit is ready to use."),
    Resolution.EXCHANGE_CREATED: gettext_noop("Your exchange is on its way."),
}

#: The team's reason, after "We couldn't accept this return."
REJECTION_REASON = gettext_noop("Reason: {rejection_reason}")


def return_next_step(
    status: ReturnStatus,
    *,
    rma: str,
    keep_items: bool = False,
    needs_review: bool = False,
    ship_by: date | None = None,
    resolutions: tuple[Resolution, ...] = (),
    rejection_reason: str = "",
    amounts: ReturnAmounts | None = None,
    method: ReturnMethod | str = ReturnMethod.LABEL,
    location: str = "",
    label_failed: bool = False,
    carrier_qr: bool = False,
) -> ReturnNextStep:
    """The shopper's single next step on a return that is ``status``.

    While the items are to be sent, the detail and action are the ``method``'s
    (:func:`send_instructions`: a label to print, a QR code to show, a store to bring them to at
    ``location``).

    ``label_failed``: the prepaid label approval asked for could not be bought (for good, until the
    store fixes the cause): an approved return then says its label is delayed and the store knows,
    rather than promise a label that is not coming. ``carrier_qr``: the issued label came with the
    carrier's own drop-off QR code (:func:`send_instructions`).

    ``resolutions`` are the things issued, in the order they were settled: a return resolved by
    exchange says the exchange, never a refund. A rejected return says the team's reason and
    carries no amounts (it pays nothing back); ``shows_amounts`` tells the touchpoints so.
    """
    params: dict[str, str | Money] = {"rma": rma}
    if ship_by is not None:
        params["ship_by"] = ship_by.isoformat()
    code = _code(status, keep_items=keep_items, needs_review=needs_review)
    if code is ReturnStepCode.APPROVED and label_failed:
        code = ReturnStepCode.LABEL_DELAYED
    if amounts is not None and code not in (ReturnStepCode.REJECTED, ReturnStepCode.CANCELLED):
        for name in ("refund", "store_credit", "exchange", "charge"):
            value = getattr(amounts, name)
            if value > 0:
                params[name] = Money(value, amounts.currency)
    headline, detail = RETURN_TEXTS[code]
    details: tuple[str, ...] = (detail,)
    actions: tuple[ReturnAction, ...] = ()
    if code in (ReturnStepCode.APPROVED, ReturnStepCode.SEND_ITEMS):
        how = send_instructions(
            method, issued=code is ReturnStepCode.SEND_ITEMS, location=location, carrier_qr=carrier_qr
        )
        details = (how.dated if ship_by is not None else how.undated,)
        if "{location}" in details[0]:
            params["location"] = location.strip()
        actions = (_action(how.action, rma),) if how.action is not None else ()
    elif code is ReturnStepCode.IN_TRANSIT:
        actions = (_action(ReturnActionCode.TRACK_RETURN, rma),)
    elif code is ReturnStepCode.RESOLVED:
        said = tuple(RESOLVED_DETAILS[r] for r in dict.fromkeys(resolutions))
        details = said or details
        params["resolution"] = ",".join(r.value for r in resolutions)
    elif code is ReturnStepCode.REJECTED:
        if rejection_reason.strip():
            params["rejection_reason"] = rejection_reason.strip().rstrip(".") + "."
            details = (detail, REJECTION_REASON)
        actions = (_action(ReturnActionCode.CONTACT_US, rma),)
    elif code is ReturnStepCode.LABEL_DELAYED:
        actions = (_action(ReturnActionCode.CONTACT_US, rma),)
    return ReturnNextStep(code, headline, details, params, actions)


def _code(status: ReturnStatus, *, keep_items: bool, needs_review: bool) -> ReturnStepCode:
    if status == ReturnStatus.REQUESTED:
        return ReturnStepCode.IN_REVIEW if needs_review else ReturnStepCode.REQUESTED
    if status == ReturnStatus.APPROVED:
        return ReturnStepCode.KEEP_ITEMS if keep_items else ReturnStepCode.APPROVED
    return {
        ReturnStatus.LABEL_ISSUED: ReturnStepCode.SEND_ITEMS,
        ReturnStatus.IN_TRANSIT: ReturnStepCode.IN_TRANSIT,
        ReturnStatus.RECEIVED: ReturnStepCode.RECEIVED,
        ReturnStatus.INSPECTED: ReturnStepCode.INSPECTED,
        ReturnStatus.RESOLVED: ReturnStepCode.RESOLVED,
        ReturnStatus.REJECTED: ReturnStepCode.REJECTED,
        ReturnStatus.CANCELLED: ReturnStepCode.CANCELLED,
    }[status]


def _action(code: ReturnActionCode, rma: str) -> ReturnAction:
    return ReturnAction(code, RETURN_ACTION_LABELS[code], {"rma": rma})
