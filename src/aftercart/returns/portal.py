"""Reads for the shoppers' returns portal: which lines of an order can come back (and why not),
the policy's quote for what the shopper picked, and the other variants a line can be exchanged
for. Every verdict is the domain's :func:`judge_return` under the store's current policy — the
same judgement the API's quote and ``return_request`` make — so the portal never has its own copy
of a rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q

from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import (
    Condition,
    CustomerHistory,
    LineDecision,
    Offer,
    OfferKind,
    Reason,
    RequestedLine,
    ReturnDecision,
    ReturnMethod,
    ReturnPolicy,
    judge_return,
)
from aftercart.domain.returns.other_products import KnownProduct, exchange_products
from aftercart.domain.returns.stock import KnownVariant, StockLevels, exchange_variants
from aftercart.orders.models import Order, OrderLine
from aftercart.returns import selectors
from aftercart.returns.models import StockLevel
from aftercart.stores.models import Store

#: Line notes that keep a line off the portal's list altogether (it cannot come back at all).
BLOCKING = ("not_sent", "already_returned", "final_sale", "not_delivered", "window_closed")


@dataclass(frozen=True)
class ReturnableLine:
    """One order line as the portal lists it: how many units may still come back, until when, or
    the code of the reason it cannot (one of :data:`BLOCKING`)."""

    line_id: str
    title: str
    variant: str
    sku: str
    product_id: str
    quantity: int
    left: int
    unit_price: Decimal | None
    returnable_until: date | None = None
    blocked: str = ""
    blocked_params: tuple[tuple[str, str], ...] = ()
    #: Its category as the policy has it (the order's, else the policy's catalogue).
    category: str = ""


@dataclass(frozen=True)
class ExchangeOption:
    """A replacement a line can be exchanged for (in stock), at its unit price: another variant
    of the line's product, or (``other``) another product the store's rule allows, by ``title``."""

    product_id: str
    variant: str
    sku: str
    unit_price: Decimal
    title: str = ""
    other: bool = False


def portal_policy(order: Order) -> ReturnPolicy:
    """The store's current return policy (the defaults before it saves one)."""
    return selectors.policy_of(selectors.policy_current(order.store))


def quote(order: Order, state: OrderState, request: Sequence[RequestedLine], now: datetime) -> ReturnDecision:
    """The policy's judgement of ``request`` on ``order`` at ``now``: eligibility and reasons per
    line, and each line's offers (exchange, store credit with bonus, refund) with amounts, fees and
    deadlines. Writes nothing."""
    return judge_return(
        policy=portal_policy(order),
        order=selectors.order_for_return(order, state),
        request=list(request),
        history=selectors.customer_history(order.store, order.email),
        now=now,
        stock=selectors.stock_levels(order.store, list(request)),
    )


def portal_offers(verdict: LineDecision, *, replacement_picked: bool) -> list[Offer]:
    """The offers the portal makes for a line: the policy's, an exchange only for a replacement
    the shopper picked (in stock; the API may ask for one without naming it, the portal may not)."""
    return [o for o in verdict.offers if o.kind is not OfferKind.EXCHANGE or replacement_picked]


def returnable_lines(order: Order, state: OrderState, now: datetime) -> list[ReturnableLine]:
    """Every line of the order with what may still come back, in the order's line order.

    Each line is judged as if all its remaining units came back for a reason that is not the
    store's fault, so the window, final sale, delivery and earlier returns decide; the reason and
    condition the shopper gives are judged again when they submit."""
    if not selectors.order_placed(order, state):
        return []
    the_order = selectors.order_for_return(order, state)
    asked = [
        RequestedLine(
            line_id=line.line_id,
            quantity=max(line.quantity - line.unsent_quantity - line.returned_quantity, 1),
            reason=Reason.CHANGED_MIND,
            condition=Condition.NEW_WITH_TAGS,
        )
        for line in the_order.lines
    ]
    policy = portal_policy(order)
    decision = judge_return(
        policy=policy,
        order=the_order,
        request=asked,
        # History only decides whether a person reviews the return, not whether a line can come back.
        history=CustomerHistory(),
        now=now,
    )
    rows = []
    for line in the_order.lines:
        verdict = decision.line(line.line_id)
        assert verdict is not None
        left = max(line.quantity - line.unsent_quantity - line.returned_quantity, 0)
        blocking = next((n for n in verdict.reasons if n.code in BLOCKING), None)
        until = next((n.params.get("until") for n in verdict.reasons if n.code == "eligible"), None)
        projected = state.lines.get(line.line_id)
        rows.append(
            ReturnableLine(
                category=policy.category_of(product_id=line.product_id, sku=line.sku, given=line.category),
                line_id=line.line_id,
                title=line.title or line.sku or line.line_id,
                variant=line.variant,
                sku=line.sku,
                product_id=line.product_id,
                quantity=line.quantity,
                left=0 if blocking else left,
                unit_price=projected.unit_price if projected else None,
                returnable_until=date.fromisoformat(until) if until else None,
                blocked=blocking.code if blocking else "",
                blocked_params=tuple(sorted(blocking.params.items())) if blocking else (),
            )
        )
    return rows


def order_returnable(order: Order, state: OrderState, now: datetime) -> bool:
    """Whether any unit of the order can still be returned (the tracking page's "return" link)."""
    if not state.lines or not selectors.order_placed(order, state):
        return False
    return any(line.left > 0 for line in returnable_lines(order, state, now))


def exchange_options(order: Order, line: ReturnableLine, quantity: int = 1) -> list[ExchangeOption]:
    """Other variants of the line's product the shopper can have instead, at the line's unit price
    (another size or colour of the same product).

    The variants are those the store is known to sell — named by its stock feed or by its own
    orders' lines — and each is offered unless the feed says it lacks ``quantity`` units: unknown
    stock counts as available, as the inventory API documents and the policy's judgement applies
    (:func:`~aftercart.domain.returns.exchange_variants`). So a store with no feed offers
    exchanges too."""
    if not line.product_id or line.unit_price is None:
        return []
    if not portal_policy(order).exchange.same_product:
        return []
    known, stock = product_variants(order.store, line.product_id)
    return [
        ExchangeOption(product_id=v.product_id, variant=v.variant, sku=v.sku, unit_price=line.unit_price)
        for v in exchange_variants(
            known, stock, product_id=line.product_id, variant=line.variant, quantity=quantity
        )
    ]


def exchange_choices(order: Order, line: ReturnableLine, quantity: int = 1) -> list[ExchangeOption]:
    """Every replacement the portal offers for the line, in the order shown: the other variants of
    its product (:func:`exchange_options`), then the other products the store's rule allows
    (:func:`product_options`)."""
    return exchange_options(order, line, quantity) + product_options(order, line, quantity)


def product_options(order: Order, line: ReturnableLine, quantity: int = 1) -> list[ExchangeOption]:
    """Other products the line can be exchanged for, each at the price it last sold for, as the
    store's rule (``exchange.other_products``) allows: the domain picks them
    (:func:`~aftercart.domain.returns.exchange_products`, the judgement's own check) from what the
    store is known to sell — its orders' lines, priced — leaving out what its stock feed says it
    lacks. None without a rule."""
    policy = portal_policy(order)
    if policy.exchange.other_products is None or not line.product_id:
        return []
    known, stock = store_products(order.store, policy, line.category)
    return [
        ExchangeOption(
            product_id=p.product_id,
            variant=p.variant,
            sku=p.sku,
            unit_price=p.unit_price,
            title=p.title,
            other=True,
        )
        for p in exchange_products(
            known,
            stock,
            policy=policy,
            product_id=line.product_id,
            category=line.category,
            unit_price=line.unit_price,
            quantity=quantity,
        )
    ]


#: Order lines read to find the products a store sells (the latest first): enough for a shop's
#: range, bounded for one with years of orders.
PRODUCT_LINES = 500


def store_products(
    store: Store, policy: ReturnPolicy, category: str
) -> tuple[list[KnownProduct], StockLevels]:
    """The products the store has sold (one per product variant, at its latest price), narrowed to
    the catalogue's ``category`` when the rule asks for the same category, with the stock fed for
    them. Two queries."""
    lines = OrderLine.objects.filter(order__store=store, unit_price__isnull=False).exclude(product_id="")
    rule = policy.exchange.other_products
    if rule is not None and rule.same_category:
        keys = [key for key, name in policy.product_categories.items() if name == category]
        lines = lines.filter(Q(product_id__in=keys) | Q(sku__in=keys))
    known: dict[tuple[str, str], KnownProduct] = {}
    rows = lines.order_by("-pk").values_list("product_id", "variant", "sku", "title", "unit_price")
    for product_id, variant, sku, title, price in rows[:PRODUCT_LINES]:
        if price is None:  # filtered out above; the column is nullable
            continue
        known.setdefault(
            (product_id, variant), KnownProduct(product_id, variant, price, sku=sku, title=title or sku)
        )
    by_sku: dict[str, int] = {}
    by_variant: dict[tuple[str, str], int] = {}
    products = {p.product_id for p in known.values()}
    skus = {p.sku for p in known.values() if p.sku}
    fed = StockLevel.objects.filter(store=store).filter(Q(product_id__in=products) | Q(sku__in=skus))
    for product_id, sku, variant, available in fed.values_list("product_id", "sku", "variant", "available"):
        if sku:
            by_sku[sku] = available
        else:
            by_variant[(product_id, variant)] = available
    return list(known.values()), StockLevels(by_sku=by_sku, by_variant=by_variant)


def product_variants(store: Store, product_id: str) -> tuple[list[KnownVariant], StockLevels]:
    """The variants of ``product_id`` the store is known to sell (its stock rows, and its orders'
    lines), with the stock it fed for them. Two queries, bounded by the product's variants."""
    by_sku: dict[str, int] = {}
    by_variant: dict[tuple[str, str], int] = {}
    known: set[KnownVariant] = set()
    rows = StockLevel.objects.filter(store=store, product_id=product_id).values_list(
        "sku", "variant", "available"
    )
    for sku, variant, available in rows:
        known.add(KnownVariant(product_id, variant, sku))
        if sku:
            by_sku[sku] = available
        else:
            by_variant[(product_id, variant)] = available
    sold = (
        OrderLine.objects.filter(order__store=store, product_id=product_id)
        .exclude(variant="")
        .values_list("variant", "sku")
        .distinct()
    )
    known.update(KnownVariant(product_id, variant, sku) for variant, sku in sold)
    return list(known), StockLevels(by_sku=by_sku, by_variant=by_variant)


def return_methods(order: Order) -> list[str]:
    """How items may go back under the store's policy, in a fixed order (label, drop-off, store)."""
    offered = portal_policy(order).methods
    return [m.value for m in ReturnMethod if m in offered]
