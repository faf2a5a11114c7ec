"""The demo shops' returns: one in every state, with realistic reasons, made through the same
services the portal and the API use (never raw rows), and the return parcels' carrier scans fed
through the ledger like any carrier's.

Deterministic and idempotent like the rest of the demo: orders are picked in a fixed order, every
request has a stable ``client_key`` (a second seeding finds the return it made), every step its
default idempotency key, every scan a stable fact key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from aftercart.demo.simulate import BRANDS
from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.returns import Condition, ExchangeTarget, OfferKind, Reason, RequestedLine
from aftercart.domain.returns.lifecycle import Inspection, ReturnEvent
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.orders.services import RecordResult, facts_record
from aftercart.returns.messages import return_url
from aftercart.returns.models import LabelSettings, Return
from aftercart.returns.portal import exchange_options, returnable_lines
from aftercart.returns.selectors import policy_current
from aftercart.returns.services.labels import return_issue_label
from aftercart.returns.services.policy import return_policy_save
from aftercart.returns.services.request import LineChoice, ReturnRefused, return_request
from aftercart.returns.services.transition import return_transition
from aftercart.stores.models import Store

#: The demo shops' return policy: 30 days, store credit with a 10 % bonus (capped), exchanges,
#: three ways to send items back, and a customer's second return held for review.
DEMO_POLICY = {
    "window_days": 30,
    "methods": ["label", "dropoff", "in_store"],
    "return_fee": {"amount": "4.95", "waived_for_exchange": True, "waived_for_store_credit": True},
    "store_credit": {"bonus": {"percent": "10", "cap": "15.00"}},
    "abuse": {"max_returns": 1, "period_days": 365},
}
#: The outdoor shop also exchanges clothing for other clothing at about the same price (within
#: 20 %: the merino base layer and the fleece), so the portal shows an other-product card.
OTHER_PRODUCTS = {
    "northwind": {
        "exchange": {"other_products": {"same_category": True, "price_band": "20"}},
        # The same categories the shop's orders send (demo/simulate/shops.py): one rule, two readers.
        "catalog": {"categories": {"nw-rj": "outerwear", "nw-bl": "layers", "nw-fl": "layers"}},
    },
}
#: Where each shop takes in-store returns: what the shopper is told to bring the items to.
IN_STORE_LOCATION = {
    "northwind": ["Northwind Outfitters SoHo, 112 Spring St, New York — returns desk, ground floor"],
    "lumiere": ["Maison Lumière Marais, 8 rue de Bretagne, Paris — comptoir des retours"],
}
RETURN_ADDRESS = {
    "northwind": ["Northwind Returns", "1200 Harbor Way, Dock 4", "Newark, NJ 07114", "United States"],
    "lumiere": ["Maison Lumière — Retours", "14 rue des Entrepôts", "93200 Saint-Denis", "France"],
}


#: Where the US shop's prepaid return labels go back to, as EasyPost takes an address, and the
#: parcel its returns usually make (inches, ounces).
EASYPOST_SHOP = "northwind"
EASYPOST_RETURN_ADDRESS = {
    "name": "Northwind Returns",
    "street1": "1200 Harbor Way",
    "street2": "Dock 4",
    "city": "Newark",
    "state": "NJ",
    "zip": "07114",
    "country": "US",
    "phone": "2015550123",
}
EASYPOST_PARCEL = {"length": 14, "width": 10, "height": 4, "weight": 32}


def demo_easypost_configure(stores: Mapping[str, Store], base_url: str, api_key: str) -> None:
    """Point the US demo shop's prepaid labels at an EasyPost API (the demo's local stand-in):
    its returns' labels are bought by the worker, at the cheapest rate."""
    store = stores.get(EASYPOST_SHOP)
    if store is None:
        return
    LabelSettings.objects.update_or_create(
        store=store,
        defaults={
            "provider": "easypost",
            "easypost_api_key": api_key,
            "easypost_base_url": base_url,
            "rate_rule": "cheapest",
            "return_address": EASYPOST_RETURN_ADDRESS,
            "parcel": EASYPOST_PARCEL,
        },
    )


@dataclass(frozen=True)
class Plan:
    """One demo return: where it ends up, how it is sent, why, and how each line is resolved."""

    name: str
    method: str
    reason: Reason
    resolution: OfferKind
    text: str = ""
    condition: Condition = Condition.UNWORN


PLANS = (
    Plan("in_review", "label", Reason.SIZE_TOO_LARGE, OfferKind.REFUND, "Runs a size big."),
    Plan("approved", "in_store", Reason.CHANGED_MIND, OfferKind.STORE_CREDIT),
    Plan("label_issued", "label", Reason.SIZE_TOO_SMALL, OfferKind.EXCHANGE, "Too tight on the shoulders."),
    # Exchanges come first in the portal and QR drop-off needs no printer: two of them together.
    Plan("dropoff", "dropoff", Reason.SIZE_TOO_LARGE, OfferKind.EXCHANGE, "One size down, please."),
    Plan("in_transit", "label", Reason.ARRIVED_LATE, OfferKind.REFUND, "Needed it for a trip."),
    Plan("received", "label", Reason.DEFECTIVE, OfferKind.REFUND, "Zip broke on first use."),
    Plan("inspected", "label", Reason.CHANGED_MIND, OfferKind.STORE_CREDIT),
    Plan("refunded", "label", Reason.DAMAGED, OfferKind.REFUND, "Box crushed, seam torn."),
    Plan("credited", "dropoff", Reason.CHANGED_MIND, OfferKind.STORE_CREDIT),
    Plan("exchanged", "dropoff", Reason.SIZE_TOO_SMALL, OfferKind.EXCHANGE, "Need one size up."),
    Plan("rejected", "label", Reason.CHANGED_MIND, OfferKind.REFUND, condition=Condition.UNWORN),
    Plan("cancelled", "label", Reason.CHANGED_MIND, OfferKind.REFUND, "Decided to keep it."),
)
#: How far each kind of step happens after the request.
_STEP = timedelta(hours=20)


@dataclass
class ReturnsSummary:
    """What seeding the returns did."""

    returns: dict[str, str]
    facts: RecordResult
    #: What each return shows → (its order's number, the return's page in the shoppers' portal).
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: What each return shows → its RMA.
    rmas: dict[str, str] = field(default_factory=dict)

    def statuses_now(self) -> dict[str, str]:
        """Each return's status as it is now: a prepaid label bought after seeding (the worker's
        pass) has moved its return on since :attr:`returns` was taken."""
        current = dict(Return.objects.filter(rma__in=self.rmas.values()).values_list("rma", "status"))
        return {what: current.get(rma, self.returns[what]) for what, rma in self.rmas.items()}


def seed_returns(*, stores: dict[str, Store], now: datetime) -> ReturnsSummary:
    """One return per :data:`PLANS` entry, alternating the shops, on orders delivered at least
    eight days before ``now`` and still in their window; steps spread over the days since."""
    for slug, store in stores.items():
        if policy_current(store) is None:
            return_policy_save(
                store=store,
                data={
                    **DEMO_POLICY,
                    **OTHER_PRODUCTS.get(slug, {}),
                    "return_address": RETURN_ADDRESS.get(slug, []),
                    "in_store_location": IN_STORE_LOCATION.get(slug, []),
                },
                actor="demo",
            )
    candidates = {slug: _delivered_orders(store, now) for slug, store in stores.items()}
    slugs = [b.slug for b in BRANDS if b.slug in stores]
    made: dict[str, str] = {}
    links: dict[str, tuple[str, str]] = {}
    rmas: dict[str, str] = {}
    scans = RecordResult()
    for index, plan in enumerate(PLANS):
        slug = slugs[index % len(slugs)]
        if plan.name != "in_review" and candidates[slug]:
            # Plain plans take single-line orders when there are some, leaving two-line ones.
            candidates[slug].sort(key=lambda o: o.lines.count() > 1)
        order = candidates[slug].pop(0) if candidates[slug] else None
        if order is None:
            continue
        ret = _make(stores[slug], order, plan, now, scans)
        if ret is not None:
            made[plan.name] = ret.status
            links[plan.name] = (order.number, return_url(ret))
            rmas[plan.name] = ret.rma
    return ReturnsSummary(returns=made, facts=scans, links=links, rmas=rmas)


def _delivered_orders(store: Store, now: datetime) -> list[Order]:
    """Delivered orders whose window stays open for a week more, oldest first: the same ones on
    every seeding of the same month (returns do not change an order's next step)."""
    orders = Order.objects.filter(store=store, next_step="delivered").order_by("placed_at", "pk")
    picked = []
    for order in orders.select_related("store"):
        state = order_state(order)
        delivered = [s.delivered_at for s in state.shipments.values() if s.delivered_at]
        if delivered and now - timedelta(days=20) < max(delivered) < now - timedelta(days=8):
            picked.append((order, len(state.lines)))
        if len(picked) == 2 * len(PLANS):
            break
    # The review case needs a second line (the customer's first return takes the first): it goes
    # first so it gets an order that has one.
    picked.sort(key=lambda item: item[1] < 2)
    return [order for order, _ in picked]


def _choices(order: Order, plan: Plan, at: datetime) -> list[LineChoice]:
    state = order_state(order)
    line = next(iter(state.lines.values()))
    target = None
    if plan.resolution == OfferKind.EXCHANGE:
        # What the portal would offer for this line: the shop's other variants (no stock feed).
        listed = next((r for r in returnable_lines(order, state, at) if r.line_id == line.line_id), None)
        options = exchange_options(order, listed) if listed is not None else []
        target = ExchangeTarget(
            product_id=line.product_id,
            variant=options[0].variant if options else f"{line.variant} (next size)",
            unit_price=line.unit_price or Decimal(0),
            sku=options[0].sku if options else "",
        )
    request = RequestedLine(
        line_id=line.line_id, quantity=1, reason=plan.reason, condition=plan.condition, exchange_for=target
    )
    return [LineChoice(request=request, resolution=plan.resolution, reason_text=plan.text)]


def _make(store: Store, order: Order, plan: Plan, now: datetime, scans: RecordResult) -> Return | None:
    start = now - timedelta(days=6) + timedelta(minutes=17 * PLANS.index(plan))
    at: Callable[[int], datetime] = lambda n: start + _STEP * n  # noqa: E731
    if plan.name == "in_review":
        # The customer's first return (another line) went through; this second one is held.
        state = order_state(order)
        first = next(iter(state.lines.values()))
        others = [ln for ln in state.lines.values() if ln.line_id != first.line_id]
        _request(
            store, order, Plan("first", "label", Reason.SIZE_TOO_SMALL, OfferKind.REFUND), start, key="first"
        )
        if not others:
            return None
        choice = LineChoice(
            request=RequestedLine(line_id=others[0].line_id, quantity=1, reason=plan.reason),
            resolution=plan.resolution,
            reason_text=plan.text,
        )
        return _request(store, order, plan, at(1), choices=[choice])
    ret = _request(store, order, plan, start)
    if ret is None:
        return None
    if plan.name == "cancelled":
        return _step(ret, ReturnEvent.CANCEL, "customer", at(1))
    if plan.method == "label" and plan.name != "label_issued":
        # The shop bought postage itself and gave the carrier's number: its scans move the return.
        ret = return_issue_label(
            ret, now=start, tracking_number=f"1ZRET{order.external_id[-8:]}", carrier="ups"
        )
    steps = ["in_transit", "received", "inspected", "refunded", "credited", "exchanged", "rejected"]
    if plan.name not in steps:
        return ret
    if ret.tracking_number:
        _scan(store, ret, "in_transit", at(1), scans)
    if plan.name == "in_transit":
        return _fresh(ret)
    if ret.tracking_number:
        _scan(store, ret, "delivered", at(2), scans)
    else:
        _step(ret, ReturnEvent.MARK_RECEIVED, "warehouse", at(2))
    if plan.name == "received":
        return _fresh(ret)
    if plan.name == "rejected":
        return _step(
            ret,
            ReturnEvent.INSPECT,
            "warehouse",
            at(3),
            inspection=Inspection.REJECT,
            reason="The item came back worn and without its tags.",
        )
    _step(ret, ReturnEvent.INSPECT, "warehouse", at(3), inspection=Inspection.ACCEPT_ALL)
    if plan.name == "inspected":
        return _fresh(ret)
    return _step(ret, ReturnEvent.RESOLVE, "finance", at(4))


class _StepDetails(TypedDict, total=False):
    """What a step may say besides its event: ``return_transition``'s other keywords."""

    reason: str
    inspection: Inspection | None
    accepted_lines: Sequence[str]
    reference: str
    details: Mapping[str, Any] | None


def _step(ret: Return, event: ReturnEvent, actor: str, at: datetime, **extra: Unpack[_StepDetails]) -> Return:
    """A lifecycle step under a key of its own, so seeding again finds it done."""
    return return_transition(
        ret=ret, event=event, actor=actor, now=at, idempotency_key=f"demo:{ret.rma}:{event.value}", **extra
    ).ret


def _request(
    store: Store,
    order: Order,
    plan: Plan,
    at: datetime,
    *,
    key: str = "",
    choices: list[LineChoice] | None = None,
) -> Return | None:
    try:
        return return_request(
            store=store,
            order=order,
            choices=choices or _choices(order, plan, at),
            client_key=f"demo:{order.external_id}:{key or plan.name}",
            source="demo",
            method=plan.method,
            now=at,
        ).ret
    except ReturnRefused:
        return None  # an order the policy turns down (e.g. a final sale): the next plan uses another


def _scan(store: Store, ret: Return, tag: str, at: datetime, into: RecordResult) -> None:
    fact = Fact(
        kind=FactKind.TRACKING_EVENT,
        occurred_at=at,
        idempotency_key=f"demo-return:{ret.tracking_number}:{tag}",
        source="demo",
        tracking_number=ret.tracking_number,
        payload={"carrier": ret.carrier, "tag": tag, "raw_message": tag.replace("_", " ")},
    )
    result = facts_record(store=store, facts=[fact], now=at)
    into.received += result.received
    into.accepted += result.accepted
    into.duplicates += result.duplicates
    into.orphaned += result.orphaned


def _fresh(ret: Return) -> Return:
    ret.refresh_from_db()
    return ret
