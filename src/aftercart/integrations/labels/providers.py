"""Label providers: where a return's carrier postage comes from.

A provider takes what the parcel is (:class:`ReturnParcel`) and gives back the carrier's side of
the label (:class:`CarrierLabel`): carrier, service and tracking number, and the carrier's own
label when it issues one. Carrier events for that tracking number then flow into the ledger like
any other shipment's.

Only :class:`ManualLabelProvider` ships today for real parcels, and it is named for what it does:
it buys nothing (:class:`SandboxLabelProvider` makes up tracking numbers, for demos and tests).
The printed label carries the RMA and return address, and the store either sends postage itself
or the shopper pays it. A karrio-backed provider (UPS, FedEx, DHL… shipment creation through
karrio's carrier packages) is the next one; it needs carrier accounts and network access, so it
is not here until it can be tested against each carrier's sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ReturnParcel:
    """What goes back, from whom, to where."""

    rma: str
    store_name: str
    return_address: tuple[str, ...]
    order_number: str
    customer_name: str = ""
    customer_address: tuple[str, ...] = ()
    #: (title, quantity) of each returned line, as the packer will check them.
    items: tuple[tuple[str, int], ...] = ()
    #: The drop-off code for box-free returns, if the shopper chose one (printed as a QR code).
    dropoff_code: str = ""
    weight_grams: int | None = None


@dataclass(frozen=True)
class CarrierLabel:
    """The carrier's side of a return label."""

    provider: str
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    #: The carrier's own label, when the provider bought one (PDF bytes).
    carrier_pdf: bytes | None = field(default=None, repr=False)

    @property
    def prepaid(self) -> bool:
        """Whether postage was bought: a tracking number exists before the parcel is handed over."""
        return bool(self.tracking_number)


class LabelProvider(Protocol):
    """Buys (or declines to buy) carrier postage for a return parcel."""

    name: str

    def purchase(self, parcel: ReturnParcel) -> CarrierLabel: ...


class ManualLabelProvider:
    """No carrier integration: the label identifies the return; postage is arranged by hand. The
    store attaches the carrier label it made (carrier, tracking number, label URL) through
    ``POST /returns/{rma}/label`` or the admin, and the parcel is then followed like any other."""

    name = "manual"

    def purchase(self, parcel: ReturnParcel) -> CarrierLabel:
        return CarrierLabel(provider=self.name)


class SandboxLabelProvider:
    """For trying the whole flow without a carrier account (the demo, tests, a staging store): a
    made-up tracking number, derived from the RMA, that no carrier knows. Feed carrier events for
    it through the tracking API and the return moves as a real one would. Never for real parcels."""

    name = "sandbox"

    def purchase(self, parcel: ReturnParcel) -> CarrierLabel:
        digits = "".join(str(ord(ch) % 10) for ch in parcel.rma.removeprefix("R-"))
        return CarrierLabel(
            provider=self.name, carrier="sandbox", service="return", tracking_number=f"SBX{digits}"
        )


PROVIDERS: dict[str, LabelProvider] = {
    ManualLabelProvider.name: ManualLabelProvider(),
    SandboxLabelProvider.name: SandboxLabelProvider(),
}


def label_provider(name: str = "manual") -> LabelProvider:
    """The provider configured under ``name``; unknown names are an error, not a silent fallback."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown label provider {name!r}; known: {', '.join(sorted(PROVIDERS))}") from None
