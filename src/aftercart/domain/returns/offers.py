"""What each resolution of an eligible line gives back: the line's value, fees, bonuses, the
exchange's replacement, and the totals over the lines.

Money rules (all in the order's currency, exact to the minor unit):

- a line's *value* is what was paid for the returned units: merchandise after discounts, plus its
  share of tax and of shipping (allocated per line with :func:`allocate_order_amounts`);
- the *refundable* value leaves out the shipping share unless the policy refunds shipping (always,
  or when the reason is the store's fault);
- the return fee is per return, split over the lines it applies to by value, deducted from refunds
  (and from credit / exchanges unless waived); store-fault reasons never pay it;
- a restocking fee (percent per category) is kept from refunds only;
- bonuses (store credit, exchange) are per return, capped, split over the lines by value; a bonus
  is only ever spent on credit or the replacement, never paid out: a cheaper replacement gives back
  at most the line's refundable value minus fees minus the replacement's price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from aftercart.domain.returns.decision import LineDecision, Note, Offer, OfferKind
from aftercart.domain.returns.money import ZERO, allocate, quantize, unit_share
from aftercart.domain.returns.other_products import other_product_note
from aftercart.domain.returns.policy import STORE_FAULT_REASONS, ReturnPolicy
from aftercart.domain.returns.request import PaidLine, RequestedLine
from aftercart.domain.returns.stock import StockLevels

_OFFER_ORDER = (OfferKind.EXCHANGE, OfferKind.STORE_CREDIT, OfferKind.REFUND)


def returned_values(
    policy: ReturnPolicy, line: PaidLine, asked: RequestedLine, currency: str
) -> tuple[Decimal, Decimal]:
    """(what the returned units cost, what of it can come back)."""
    start, count = line.returned_quantity, asked.quantity
    merchandise = unit_share(line.amounts.merchandise, line.quantity, start, count, currency)
    tax = unit_share(line.amounts.tax, line.quantity, start, count, currency)
    shipping = unit_share(line.amounts.shipping, line.quantity, start, count, currency)
    refund_shipping = policy.refund_shipping == "always" or (
        policy.refund_shipping == "store_fault" and asked.reason in STORE_FAULT_REASONS
    )
    value = merchandise + tax + shipping
    return value, value if refund_shipping else merchandise + tax


def split_bonus(rule: Any, values: list[Decimal], allowed: list[bool], currency: str) -> list[Decimal]:
    """A per-return bonus (``rule`` of the lines' total value) split over the ``allowed`` lines by value."""
    weights = [v if ok else ZERO for v, ok in zip(values, allowed, strict=True)]
    if not weights or not any(w > 0 for w in weights):
        return [ZERO for _ in weights]
    total = quantize(rule(sum(weights, ZERO)), currency)
    return allocate(total, weights, currency)


NO_STOCK = StockLevels()


def why_no_exchange(
    policy: ReturnPolicy, line: PaidLine, asked: RequestedLine, stock: StockLevels = NO_STOCK
) -> Note | None:
    """Why the line cannot be exchanged (for the replacement asked for, given ``stock``), or ``None``."""
    rules = policy.exchange
    if not rules.enabled:
        return Note("no_exchange", "exchanges are not offered")
    if line.category and line.category in rules.excluded_categories:
        return Note("no_exchange", "this item cannot be exchanged")
    target = asked.exchange_for
    if target is None:
        return (
            None
            if (rules.same_product or rules.other_product)
            else Note("no_exchange", "exchanges are not offered")
        )
    same = bool(line.product_id) and target.product_id == line.product_id
    if same and target.variant == line.variant and (not target.sku or target.sku == line.sku):
        return Note("no_exchange", "the replacement is the same item")
    if same and not rules.same_product:
        return Note("no_exchange", "exchanges for another size or colour are not offered")
    if not same and not rules.other_product:
        return Note("no_exchange", "exchanges for another product are not offered")
    if not same and (
        refused := other_product_note(
            policy,
            category=line.category,
            unit_price=line.unit_price,
            product_id=target.product_id,
            sku=target.sku,
            price=target.unit_price,
        )
    ):
        return refused
    if not stock.has(
        product_id=target.product_id, variant=target.variant, sku=target.sku, quantity=asked.quantity
    ):
        units = stock.available(product_id=target.product_id, variant=target.variant, sku=target.sku)
        name = target.variant or target.sku or target.product_id
        return Note(
            "out_of_stock",
            f"exchange not possible: {name} is out of stock",
            {"item": name, "available": str(units or 0), "asked": str(asked.quantity)},
        )
    return None


def line_offers(
    policy: ReturnPolicy,
    line: PaidLine,
    asked: RequestedLine,
    *,
    value: Decimal,
    fee: Decimal,
    credit_bonus: Decimal,
    exchange_bonus: Decimal,
    deadline: date,
    currency: str,
    stock: StockLevels = NO_STOCK,
) -> tuple[Offer, ...]:
    """The offers for one eligible line, in the order offered (exchange when allowed, store credit,
    refund), given its refundable ``value`` and its shares of the per-return fee and bonuses."""
    keep = policy.keep_it_max_value is not None and value <= policy.keep_it_max_value
    send_by = None if keep else deadline
    offers: list[Offer] = []
    if why_no_exchange(policy, line, asked, stock) is None:
        ex_fee = ZERO if policy.fee_waived_for_exchange else min(fee, value)
        credit = value + exchange_bonus - ex_fee
        charge = back = ZERO
        price = None
        target = asked.exchange_for
        if target is not None:
            price = quantize(target.unit_price * asked.quantity, currency)
            charge = max(ZERO, price - credit)
            # The bonus pays towards the replacement only; never handed out as money.
            back = max(ZERO, value - ex_fee - price)
        offers.append(
            Offer(
                OfferKind.EXCHANGE,
                value=value,
                bonus=exchange_bonus,
                fee=ex_fee,
                restocking_fee=ZERO,
                amount=credit,
                charge=charge,
                difference_back=back,
                difference_to=policy.exchange.difference_to if target is not None else "",
                replacement_price=price,
                deadline=deadline,
                line_id=asked.line_id,
            )
        )
    if policy.store_credit_enabled:
        cr_fee = ZERO if policy.fee_waived_for_store_credit else min(fee, value)
        offers.append(
            Offer(
                OfferKind.STORE_CREDIT,
                value=value,
                bonus=credit_bonus,
                fee=cr_fee,
                restocking_fee=ZERO,
                amount=value + credit_bonus - cr_fee,
                keep_item=keep,
                deadline=send_by,
                line_id=asked.line_id,
            )
        )
    restocking = (
        ZERO
        if asked.reason in STORE_FAULT_REASONS
        else quantize(value * policy.restocking_percent(line.category) / 100, currency)
    )
    restocking = min(restocking, value)
    refund_fee = min(fee, value - restocking)
    offers.append(
        Offer(
            OfferKind.REFUND,
            value=value,
            bonus=ZERO,
            fee=refund_fee,
            restocking_fee=restocking,
            amount=value - restocking - refund_fee,
            keep_item=keep,
            deadline=send_by,
            line_id=asked.line_id,
        )
    )
    return tuple(_in_minor_units(o, currency) for o in offers)


def _in_minor_units(offer: Offer, currency: str) -> Offer:
    """Every amount written with the currency's decimals ("0.00", not "0")."""
    q = lambda amount: quantize(amount, currency)  # noqa: E731
    return replace(
        offer,
        value=q(offer.value),
        bonus=q(offer.bonus),
        fee=q(offer.fee),
        restocking_fee=q(offer.restocking_fee),
        amount=q(offer.amount),
        charge=q(offer.charge),
        difference_back=q(offer.difference_back),
    )


def offer_totals(decisions: Sequence[LineDecision], currency: str) -> tuple[Offer, ...]:
    """Per kind, in the order offered: the totals if every eligible line allowing it took it."""
    totals = []
    for kind in _OFFER_ORDER:
        offers = [o for d in decisions if d.eligible for o in d.offers if o.kind == kind]
        if not offers:
            continue
        deadlines = [o.deadline for o in offers if o.deadline is not None]
        totals.append(
            Offer(
                kind,
                value=sum((o.value for o in offers), ZERO),
                bonus=sum((o.bonus for o in offers), ZERO),
                fee=sum((o.fee for o in offers), ZERO),
                restocking_fee=sum((o.restocking_fee for o in offers), ZERO),
                amount=sum((o.amount for o in offers), ZERO),
                charge=sum((o.charge for o in offers), ZERO),
                difference_back=sum((o.difference_back for o in offers), ZERO),
                keep_item=all(o.keep_item for o in offers),
                deadline=min(deadlines) if deadlines else None,
            )
        )
    return tuple(_in_minor_units(o, currency) for o in totals)
