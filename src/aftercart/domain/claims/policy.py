"""A store's claims policy as versioned, immutable data.

Like the return policy (:mod:`aftercart.domain.returns.policy`): plain JSON-able data, stored per
version and turned into a frozen :class:`ClaimPolicy` by :meth:`ClaimPolicy.from_dict`, which names
the offending field when the data is wrong. Every claim keeps the version that judged it, so
changing the policy never changes a decision already made. Amounts are decimal strings in JSON.

Defaults (``ClaimPolicy()``): a parcel is lost after 7 days without a carrier scan (20 days when
it crosses a border), or 48 hours past the carrier's estimate with no update since; "delivered but
not received" is claimed between 5 and 30 days after delivery; damaged, wrong and missing items
within 30 days of delivery (photos for damaged and wrong items); defects within the product's
warranty period. Claims worth at most 100 (in the order's currency) are approved at once when
they are the customer's first in 365 days; anything the fraud guard flags goes to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from aftercart.domain.returns.policy import PolicyError

__all__ = [
    "TRANSIT_KINDS",
    "ClaimKind",
    "ClaimPolicy",
    "PolicyError",
    "ResolutionKind",
]


class ClaimKind(StrEnum):
    """What went wrong."""

    #: The parcel stopped moving (no scan for days) or is long past its estimate.
    LOST = "lost"
    #: The carrier says delivered; the customer never received it.
    STOLEN = "stolen"
    #: It arrived broken.
    DAMAGED = "damaged"
    #: Something else arrived than was ordered.
    WRONG_ITEM = "wrong_item"
    #: Part of the parcel was not in it.
    MISSING_ITEM = "missing_item"
    #: The product failed within its warranty period.
    WARRANTY = "warranty"


#: Kinds about the parcel's journey (one per shipment); a warranty claim is about the product.
TRANSIT_KINDS = frozenset(k for k in ClaimKind if k is not ClaimKind.WARRANTY)


class ResolutionKind(StrEnum):
    """How a claim is made right."""

    #: A replacement parcel (a new shipment on the order, with its own tracking number).
    RESHIP = "reship"
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    #: Warranty: the item is repaired, or replaced with a new one.
    REPAIR = "repair"
    REPLACE = "replace"


#: Resolutions that give money (or credit) back: never more than was paid for the claimed units.
MONEY_RESOLUTIONS = frozenset({ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT})

_TRANSIT_RESOLUTIONS = (ResolutionKind.RESHIP, ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT)
DEFAULT_RESOLUTIONS: Mapping[ClaimKind, tuple[ResolutionKind, ...]] = {
    **{k: _TRANSIT_RESOLUTIONS for k in TRANSIT_KINDS},
    ClaimKind.WARRANTY: (ResolutionKind.REPAIR, ResolutionKind.REPLACE, ResolutionKind.REFUND),
}


@dataclass(frozen=True)
class ClaimPolicy:
    """One version of a store's claims policy. See ``docs/claims.md`` for the JSON format."""

    version: int = 1
    #: Lost: days without a carrier scan, at home and across a border.
    lost_days_domestic: int = 7
    lost_days_international: int = 20
    #: Lost: hours past the carrier's estimated delivery day with no update since.
    lost_hours_past_estimate: int = 48
    #: "Delivered but not received": from this many days after delivery, until that many.
    stolen_from_days: int = 5
    stolen_until_days: int = 30
    #: Damaged, wrong or missing items: days from delivery.
    report_days: int = 30
    #: Kinds that need at least one photo.
    photos_required: frozenset[ClaimKind] = frozenset(
        {ClaimKind.DAMAGED, ClaimKind.WRONG_ITEM, ClaimKind.WARRANTY}
    )
    #: What the customer may choose among, per kind (in the order offered).
    resolutions: Mapping[ClaimKind, tuple[ResolutionKind, ...]] = field(
        default_factory=lambda: dict(DEFAULT_RESOLUTIONS)
    )
    #: Warranty days for products whose product or category has no period of its own (``None``:
    #: no warranty unless the store set one for the product or its category).
    warranty_default_days: int | None = None
    #: Automatic approval: kinds it applies to, value at most this much (``None``: never), and only
    #: the customer's first claim in ``period_days`` when ``first_claim_only``.
    auto_approve_kinds: frozenset[ClaimKind] = TRANSIT_KINDS
    auto_approve_max_value: Decimal | None = Decimal("100")
    auto_approve_first_claim_only: bool = True
    #: Fraud guard, over ``period_days``: more than this many claims by one customer, to one
    #: address or paid with one card flags the claim to a person (``None``: no limit); so do claims
    #: worth more than ``review_value_over``, and more than ``max_not_received_per_address``
    #: "delivered but not received" claims at one address. Never a silent refusal.
    period_days: int = 365
    max_claims_per_customer: int | None = 2
    max_claims_per_address: int | None = 2
    max_claims_per_card: int | None = 2
    max_not_received_per_address: int | None = 1
    review_value_over: Decimal | None = Decimal("500")
    #: Service levels: hours from filing to a decision, and to the resolution.
    decision_hours: int = 48
    resolution_hours: int = 120

    def resolutions_for(self, kind: ClaimKind) -> tuple[ResolutionKind, ...]:
        """What the customer may choose for a claim of ``kind``."""
        return tuple(self.resolutions.get(kind, DEFAULT_RESOLUTIONS[kind]))

    def needs_photos(self, kind: ClaimKind) -> bool:
        """Whether a claim of ``kind`` needs at least one photo."""
        return kind in self.photos_required

    # -- (de)serialisation -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int | None = None) -> ClaimPolicy:
        """Build a policy from its JSON form, checking every field; unknown keys are refused so a
        misspelt rule never silently does nothing. ``version`` overrides ``data["version"]``."""
        if not isinstance(data, Mapping):
            raise PolicyError("policy", "must be an object")
        _no_unknown(data, _TOP_KEYS, "")
        lost = _mapping(data, "lost")
        _no_unknown(lost, {"days_domestic", "days_international", "hours_past_estimate"}, "lost.")
        stolen = _mapping(data, "not_received")
        _no_unknown(stolen, {"from_days", "until_days"}, "not_received.")
        auto = _mapping(data, "auto_approve")
        _no_unknown(auto, {"kinds", "max_value", "first_claim_only"}, "auto_approve.")
        fraud = _mapping(data, "fraud")
        _no_unknown(
            fraud,
            {
                "period_days",
                "max_claims_per_customer",
                "max_claims_per_address",
                "max_claims_per_card",
                "max_not_received_per_address",
                "review_value_over",
            },
            "fraud.",
        )
        sla = _mapping(data, "service_levels")
        _no_unknown(sla, {"decision_hours", "resolution_hours"}, "service_levels.")
        warranty = _mapping(data, "warranty")
        _no_unknown(warranty, {"default_days"}, "warranty.")
        resolutions = _mapping(data, "resolutions")
        chosen: dict[ClaimKind, tuple[ResolutionKind, ...]] = dict(DEFAULT_RESOLUTIONS)
        for key, value in resolutions.items():
            kind = _kind(key, f"resolutions.{key}")
            chosen[kind] = _resolutions(value, f"resolutions.{key}")
        from_days = _int(stolen, "from_days", 5, "not_received.")
        until_days = _int(stolen, "until_days", 30, "not_received.", minimum=1)
        if until_days < from_days:
            raise PolicyError("not_received.until_days", "must not be before from_days")
        resolved_version = version if version is not None else _int(data, "version", 1, "", minimum=1)
        return cls(
            version=resolved_version,
            lost_days_domestic=_int(lost, "days_domestic", 7, "lost.", minimum=1),
            lost_days_international=_int(lost, "days_international", 20, "lost.", minimum=1),
            lost_hours_past_estimate=_int(lost, "hours_past_estimate", 48, "lost."),
            stolen_from_days=from_days,
            stolen_until_days=until_days,
            report_days=_int(data, "report_days", 30, "", minimum=1),
            photos_required=_kinds(data, "photos_required", cls.photos_required),
            resolutions=chosen,
            warranty_default_days=_opt_int(warranty, "default_days", "warranty."),
            auto_approve_kinds=_kinds(auto, "kinds", TRANSIT_KINDS, "auto_approve."),
            auto_approve_max_value=_money(auto, "max_value", "auto_approve.", Decimal("100")),
            auto_approve_first_claim_only=_bool(auto, "first_claim_only", True, "auto_approve."),
            period_days=_int(fraud, "period_days", 365, "fraud.", minimum=1),
            max_claims_per_customer=_opt_int(fraud, "max_claims_per_customer", "fraud.", 2),
            max_claims_per_address=_opt_int(fraud, "max_claims_per_address", "fraud.", 2),
            max_claims_per_card=_opt_int(fraud, "max_claims_per_card", "fraud.", 2),
            max_not_received_per_address=_opt_int(fraud, "max_not_received_per_address", "fraud.", 1),
            review_value_over=_money(fraud, "review_value_over", "fraud.", Decimal("500")),
            decision_hours=_int(sla, "decision_hours", 48, "service_levels.", minimum=1),
            resolution_hours=_int(sla, "resolution_hours", 120, "service_levels.", minimum=1),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``ClaimPolicy.from_dict(p.to_dict()) == p``."""
        return {
            "version": self.version,
            "lost": {
                "days_domestic": self.lost_days_domestic,
                "days_international": self.lost_days_international,
                "hours_past_estimate": self.lost_hours_past_estimate,
            },
            "not_received": {"from_days": self.stolen_from_days, "until_days": self.stolen_until_days},
            "report_days": self.report_days,
            "photos_required": [k.value for k in ClaimKind if k in self.photos_required],
            "resolutions": {k.value: [r.value for r in self.resolutions_for(k)] for k in ClaimKind},
            "warranty": {"default_days": self.warranty_default_days},
            "auto_approve": {
                "kinds": [k.value for k in ClaimKind if k in self.auto_approve_kinds],
                "max_value": None
                if self.auto_approve_max_value is None
                else str(self.auto_approve_max_value),
                "first_claim_only": self.auto_approve_first_claim_only,
            },
            "fraud": {
                "period_days": self.period_days,
                "max_claims_per_customer": self.max_claims_per_customer,
                "max_claims_per_address": self.max_claims_per_address,
                "max_claims_per_card": self.max_claims_per_card,
                "max_not_received_per_address": self.max_not_received_per_address,
                "review_value_over": None if self.review_value_over is None else str(self.review_value_over),
            },
            "service_levels": {
                "decision_hours": self.decision_hours,
                "resolution_hours": self.resolution_hours,
            },
        }


_TOP_KEYS = {
    "version",
    "lost",
    "not_received",
    "report_days",
    "photos_required",
    "resolutions",
    "warranty",
    "auto_approve",
    "fraud",
    "service_levels",
}


def _no_unknown(data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise PolicyError(f"{prefix}{key}", "unknown field")


def _mapping(data: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(prefix + key, "must be an object")
    return value


def _int(data: Mapping[str, Any], key: str, default: int, prefix: str, *, minimum: int = 0) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(prefix + key, "must be a whole number")
    if value < minimum:
        raise PolicyError(prefix + key, f"must be at least {minimum}")
    if value > 100_000:
        raise PolicyError(prefix + key, "must be at most 100000")
    return value


def _opt_int(data: Mapping[str, Any], key: str, prefix: str, default: int | None = None) -> int | None:
    if key not in data:
        return default
    return None if data[key] is None else _int(data, key, 0, prefix, minimum=1)


def _bool(data: Mapping[str, Any], key: str, default: bool, prefix: str) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PolicyError(prefix + key, "must be true or false")
    return value


def _money(data: Mapping[str, Any], key: str, prefix: str, default: Decimal | None) -> Decimal | None:
    if key not in data:
        return default
    value = data[key]
    if value is None:
        return None
    where = prefix + key
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PolicyError(where, 'must be a decimal string such as "100.00"')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(where, 'must be a decimal string such as "100.00"') from None
    if not number.is_finite() or number < 0 or number > Decimal("1e12"):
        raise PolicyError(where, "must be zero or more")
    return number


def _kind(value: Any, where: str) -> ClaimKind:
    try:
        return ClaimKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ClaimKind)
        raise PolicyError(where, f"unknown claim kind; use {allowed}") from None


def _kinds(
    data: Mapping[str, Any], key: str, default: frozenset[ClaimKind], prefix: str = ""
) -> frozenset[ClaimKind]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list):
        raise PolicyError(prefix + key, "must be a list of claim kinds")
    return frozenset(_kind(item, prefix + key) for item in value)


def _resolutions(value: Any, where: str) -> tuple[ResolutionKind, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyError(where, "must be a non-empty list of resolutions")
    try:
        return tuple(dict.fromkeys(ResolutionKind(item) for item in value))
    except ValueError:
        allowed = ", ".join(r.value for r in ResolutionKind)
        raise PolicyError(where, f"unknown resolution; use {allowed}") from None
