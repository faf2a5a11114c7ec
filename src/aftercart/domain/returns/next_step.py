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

__all__ = [
    "RETURN_ACTION_LABELS",
    "RETURN_TEXTS",
    "ReturnAction",
    "ReturnActionCode",
    "ReturnAmounts",
    "ReturnNextStep",
    "ReturnStepCode",
    "return_next_step",
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
    TRACK_RETURN = "track_return"
    CONTACT_US = "contact_us"


RETURN_ACTION_LABELS = {
    ReturnActionCode.GET_LABEL: gettext_noop("Download your return label"),
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
    ReturnStepCode.APPROVED: (
        gettext_noop("Return approved"),
        gettext_noop(
            "Print your label or show your QR code at a drop-off point and send the items by {ship_by}."
        ),
    ),
    ReturnStepCode.LABEL_DELAYED: (
        gettext_noop("Your return label is delayed"),
        gettext_noop(
            "We couldn't get the prepaid label for return {rma} from the carrier. The store has been "
            "told and will e-mail it to you as soon as it's sorted out."
        ),
    ),
    ReturnStepCode.SEND_ITEMS: (
        gettext_noop("Send your items back"),
        gettext_noop("Pack the items with return number {rma} and drop them off by {ship_by}."),
    ),
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

#: Details used instead when there is no date to send the items by ("by ." helps nobody).
UNDATED_DETAILS = {
    ReturnStepCode.APPROVED: gettext_noop(
        "Print your label or show your QR code at a drop-off point and send the items."
    ),
    ReturnStepCode.SEND_ITEMS: gettext_noop("Pack the items with return number {rma} and drop them off."),
}

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
    label_failed: bool = False,
) -> ReturnNextStep:
    """The shopper's single next step on a return that is ``status``.

    ``label_failed``: the prepaid label approval asked for could not be bought (for good, until the
    store fixes the cause): an approved return then says its label is delayed and the store knows,
    rather than promise a label that is not coming.

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
    if code in UNDATED_DETAILS and ship_by is None:
        details = (UNDATED_DETAILS[code],)
    actions: tuple[ReturnAction, ...] = ()
    if code in (ReturnStepCode.APPROVED, ReturnStepCode.SEND_ITEMS):
        actions = (_action(ReturnActionCode.GET_LABEL, rma),)
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
