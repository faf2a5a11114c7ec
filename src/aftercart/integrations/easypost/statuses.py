"""EasyPost tracker ``status`` and ``status_detail`` → our (tag, subtag)."""

from __future__ import annotations

from aftercart.domain.vocabulary import CarrierTag, Subtag, default_subtag

Status = tuple[CarrierTag, Subtag]

#: EasyPost ``status`` → our tag and plain subtag.
EASYPOST_STATUS: dict[str, Status] = {
    # "unknown" and "error" say nothing about the parcel (no data yet, or EasyPost could not ask
    # the carrier): pending, which the projection never lets overwrite real information.
    "unknown": (CarrierTag.PENDING, Subtag.PENDING),
    "error": (CarrierTag.PENDING, Subtag.PENDING),
    "pre_transit": (CarrierTag.INFO_RECEIVED, Subtag.INFO_RECEIVED),
    "in_transit": (CarrierTag.IN_TRANSIT, Subtag.IN_TRANSIT),
    "out_for_delivery": (CarrierTag.OUT_FOR_DELIVERY, Subtag.OUT_FOR_DELIVERY),
    "delivered": (CarrierTag.DELIVERED, Subtag.DELIVERED),
    "available_for_pickup": (CarrierTag.AVAILABLE_FOR_PICKUP, Subtag.AVAILABLE_FOR_PICKUP),
    "return_to_sender": (CarrierTag.EXCEPTION, Subtag.EXCEPTION_RETURN_TO_SENDER),
    "failure": (CarrierTag.EXCEPTION, Subtag.EXCEPTION),
    # AfterShip has no "cancelled" tag; a cancelled label needs someone's attention.
    "cancelled": (CarrierTag.EXCEPTION, Subtag.EXCEPTION),
}

#: EasyPost ``status_detail`` → the subtag it names. Details that only repeat the status
#: (``status_update``, ``unknown``, ``in_transit``...) are absent: they add nothing.
EASYPOST_STATUS_DETAIL: dict[str, Subtag] = {
    "label_created": Subtag.INFO_RECEIVED,
    "awaiting_information": Subtag.INFO_RECEIVED,
    "received_at_origin_facility": Subtag.IN_TRANSIT_ACCEPTED,
    "arrived_at_facility": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "arrived_at_destination": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "received_at_destination_facility": Subtag.IN_TRANSIT_ARRIVAL_SCAN,
    "departed_facility": Subtag.IN_TRANSIT_DEPARTURE_SCAN,
    "departed_origin_facility": Subtag.IN_TRANSIT_DEPARTURE_SCAN,
    "transferred_to_destination_carrier": Subtag.IN_TRANSIT_FORWARDED,
    "arrived_at_pickup_location": Subtag.AVAILABLE_FOR_PICKUP,
    "address_correction": Subtag.EXCEPTION_INCORRECT_ADDRESS,
    "damaged": Subtag.EXCEPTION_DAMAGED,
    "lost": Subtag.EXCEPTION_LOST,
    "refused": Subtag.EXCEPTION_REFUSED,
    "delayed": Subtag.EXCEPTION_DELAYED,
    "weather_delay": Subtag.EXCEPTION_DELAYED,
    "missorted": Subtag.EXCEPTION_DELAYED,
    "return": Subtag.EXCEPTION_RETURN_TO_SENDER,
    "return_to_sender": Subtag.EXCEPTION_RETURN_TO_SENDER,
    "delivery_exception": Subtag.ATTEMPT_FAIL,
    "transit_exception": Subtag.EXCEPTION,
    "held": Subtag.EXCEPTION,
    "failure": Subtag.EXCEPTION,
    "cancelled": Subtag.EXCEPTION,
    "expired": Subtag.EXPIRED,
}

#: Details that name a problem clearly enough to override an ordinary status: EasyPost reports
#: e.g. ``in_transit`` / ``weather_delay`` for a late parcel.
PROBLEM_DETAILS = frozenset(
    {
        "address_correction",
        "damaged",
        "lost",
        "refused",
        "delayed",
        "weather_delay",
        "missorted",
        "delivery_exception",
        "transit_exception",
        "return",
        "return_to_sender",
    }
)
_OVERRIDABLE = (
    CarrierTag.PENDING,
    CarrierTag.INFO_RECEIVED,
    CarrierTag.IN_TRANSIT,
    CarrierTag.OUT_FOR_DELIVERY,
    CarrierTag.EXCEPTION,
    CarrierTag.ATTEMPT_FAIL,
)


def easypost_status(status: str | None, status_detail: str | None = None) -> Status:
    """Our (tag, subtag) for an EasyPost ``status`` and ``status_detail``.

    The status sets the tag; the detail adds the reason when it belongs to that tag, and a
    problem detail (damaged, lost, delayed...) overrides a plain status short of delivered or
    waiting for pickup. An unknown status reads as pending, never as progress.
    """
    tag, subtag = EASYPOST_STATUS.get(status or "", EASYPOST_STATUS["unknown"])
    detail = EASYPOST_STATUS_DETAIL.get(status_detail or "")
    if detail is None or subtag is not default_subtag(tag):
        return tag, subtag  # no detail, or the status already says why
    if detail.tag is tag or (status_detail in PROBLEM_DETAILS and tag in _OVERRIDABLE):
        return detail.tag, detail
    return tag, subtag
