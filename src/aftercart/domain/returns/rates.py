"""Which carrier rate a store buys a prepaid return label at: its rule (cheapest, fastest, or a
named carrier and service) applied to the rates the label provider quoted. Pure: no I/O.

A named service the carrier did not quote (not offered on that lane, or the carrier's rating failed)
falls back to the **cheapest rate of the same carrier**, else the cheapest rate of all, and says so
(:attr:`RateChoice.fallback`): the shopper is waiting for a label on an approved return, and a label
at the lowest price is the store's least surprising second choice. The fallback is recorded with the
purchase, so the operator sees when it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["Rate", "RateChoice", "RateRule", "RateRuleKind", "choose_rate"]


class RateRuleKind(StrEnum):
    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    NAMED = "named"


@dataclass(frozen=True)
class RateRule:
    """The store's rule. ``carrier`` and ``service`` name the rate for :attr:`RateRuleKind.NAMED`
    (compared without regard to case; an empty ``service`` takes the carrier's cheapest)."""

    kind: RateRuleKind = RateRuleKind.CHEAPEST
    carrier: str = ""
    service: str = ""


@dataclass(frozen=True)
class Rate:
    """One quoted rate: the provider's id for it, carrier, service, price and, when the carrier
    says, the days in transit."""

    id: str
    carrier: str
    service: str
    amount: Decimal
    currency: str
    delivery_days: int | None = None


@dataclass(frozen=True)
class RateChoice:
    """The rate to buy, and why not the one the rule named (``""`` when it was found)."""

    rate: Rate
    fallback: str = ""


def _cheapest_key(rate: Rate) -> tuple[Decimal, int, str, str, str]:
    # Ties: the faster, then the id, carrier and service, so the same quotes in any order always
    # give the same choice.
    days = rate.delivery_days if rate.delivery_days is not None else 10_000
    return (rate.amount, days, rate.id, rate.carrier, rate.service)


def _fastest_key(rate: Rate) -> tuple[int, Decimal, str, str, str]:
    # A rate without transit days is taken to be slower than any that has them.
    days = rate.delivery_days if rate.delivery_days is not None else 10_000
    return (days, rate.amount, rate.id, rate.carrier, rate.service)


def choose_rate(rates: list[Rate] | tuple[Rate, ...], rule: RateRule) -> RateChoice | None:
    """The rate ``rule`` picks among ``rates``; ``None`` when there is none to buy.

    - cheapest: the lowest amount (ties: the fewer transit days, then the rate id);
    - fastest: the fewest transit days, a rate without them counting as slowest (ties: the lower
      amount, then the rate id);
    - named: the rate of ``carrier`` and ``service``; not quoted → the carrier's cheapest rate,
      else the cheapest rate of all, with :attr:`RateChoice.fallback` saying which happened.
    """
    if not rates:
        return None
    if rule.kind is RateRuleKind.FASTEST:
        return RateChoice(min(rates, key=_fastest_key))
    if rule.kind is RateRuleKind.NAMED:
        carrier, service = rule.carrier.casefold(), rule.service.casefold()
        of_carrier = [r for r in rates if r.carrier.casefold() == carrier]
        exact = [r for r in of_carrier if not service or r.service.casefold() == service]
        if exact:
            return RateChoice(min(exact, key=_cheapest_key))
        named = f"{rule.carrier} {rule.service}".strip()
        if of_carrier:
            return RateChoice(
                min(of_carrier, key=_cheapest_key), fallback=f"{named} not offered: carrier's cheapest"
            )
        return RateChoice(min(rates, key=_cheapest_key), fallback=f"{named} not offered: cheapest")
    return RateChoice(min(rates, key=_cheapest_key))
