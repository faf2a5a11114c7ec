"""Reads for returns: the current policy, returns and their facts, what an order's lines cost, the
customer's history, and the numbers that say why things come back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum, prefetch_related_objects

from aftercart.domain.facts import FactKind
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import (
    CustomerHistory,
    LineAmounts,
    OfferKind,
    OrderForReturn,
    PaidLine,
    RequestedLine,
    ReturnMethod,
    ReturnPolicy,
    StockLevels,
    allocate,
    allocate_order_amounts,
    quantize,
)
from aftercart.domain.returns.lifecycle import Resolution, ReturnStatus
from aftercart.domain.returns.next_step import (
    ReturnAmounts,
    ReturnNextStep,
    return_next_step,
    sending_method,
)
from aftercart.domain.returns.rates import RateRule, RateRuleKind
from aftercart.domain.vocabulary import CarrierTag, FulfilmentStatus
from aftercart.integrations.labels.pdf import render_return_label
from aftercart.integrations.labels.providers import CarrierLabel, ReturnParcel
from aftercart.integrations.labels.qr import dropoff_qr_png, dropoff_qr_svg
from aftercart.kernel.reads import FixedRead
from aftercart.orders.models import Fact, Order
from aftercart.returns.models import (
    LabelPurchase,
    LabelSettings,
    Return,
    ReturnLine,
    ReturnPolicyVersion,
    StockLevel,
)
from aftercart.stores.models import Store

#: Returns that no longer hold their units: those units may be asked for again. A rejection is
#: final (asking again would get round a review or an inspection), so only cancelled returns.
INACTIVE = (ReturnStatus.CANCELLED.value,)

#: Every tracking page asks whether its order has returns, and most have none: this read answers
#: without the ORM's per-query SQL compilation (see aftercart.kernel.reads).
_RETURN_IDS_OF_ORDER = FixedRead(Return, where="order_id = %s", fields=("id",), limit=1)
#: Every delivered order's tracking page asks whether anything can still be returned, under this.
_LATEST_POLICY = FixedRead(ReturnPolicyVersion, where="store_id = %s", order_by="version DESC", limit=1)
#: The payloads an order was placed and updated with (its lines' categories and tags, its tax,
#: discount and shipping totals), oldest first, for the returns policy.
_ORDER_PAYLOADS = FixedRead(
    Fact,
    where="order_id = %s AND kind IN (%s, %s)",
    fields=("id", "kind", "payload"),
    order_by="occurred_at, id",
)


def has_returns(order: Order) -> bool:
    """Whether any return (in any state) was ever made for the order."""
    return bool(_RETURN_IDS_OF_ORDER.rows([order.pk]))


def _order_payloads(order: Order) -> list[tuple[int, str, Any]]:
    """(fact id, kind, payload) of the order's placed and updated facts, in the order they happened."""
    return [
        (int(pk), kind, payload)
        for pk, kind, payload in _ORDER_PAYLOADS.rows(
            [order.pk, FactKind.ORDER_PLACED.value, FactKind.ORDER_UPDATED.value]
        )
    ]


def policy_current(store: Store) -> ReturnPolicyVersion | None:
    """The store's latest policy version (None before the store saves one: defaults apply)."""
    found = _LATEST_POLICY.instances([store.pk])
    return found[0] if found else None


def policy_of(version: ReturnPolicyVersion | None) -> ReturnPolicy:
    """The domain policy of a stored version (the defaults, as version 0, when there is none)."""
    if version is None:
        return ReturnPolicy(version=0)
    return ReturnPolicy.from_dict(version.data, version=version.version)


def return_by_rma(store: Store, rma: str) -> Return | None:
    """A store's return by its public number, with its order, policy and lines."""
    return (
        Return.objects.filter(store=store, rma=rma.upper())
        .select_related("order", "policy")
        .prefetch_related("lines")
        .first()
    )


def returns_list(
    store: Store, *, status: str | None = None, needs_review: bool | None = None, order_id: str | None = None
) -> QuerySet[Return]:
    """A store's returns, newest first, with their orders and lines (no N+1); ``order_id`` is the
    store's own order id."""
    qs = (
        Return.objects.filter(store=store)
        .select_related("order", "policy", "label_purchase")
        .prefetch_related("lines")
    )
    if order_id:
        qs = qs.filter(order__external_id=order_id)
    if status:
        qs = qs.filter(status=status)
    if needs_review is not None:
        qs = qs.filter(needs_review=needs_review)
    return qs.order_by("-created_at", "-pk")


def returns_for_order(order: Order) -> list[Return]:
    """An order's returns, oldest first, with their lines and policies (for the tracking page and
    the API). Every tracking page asks and most orders have none: the plain query comes first (a
    join makes Django's SQL compiler the largest cost of the page), the related rows only for
    returns that exist."""
    if not has_returns(order):
        return []
    returns = list(Return.objects.filter(order_id=order.pk).order_by("created_at", "pk"))
    if returns:
        prefetch_related_objects(returns, "policy", "lines")
    return returns


def return_step(ret: Return) -> ReturnNextStep:
    """The shopper's next step on a return: every touchpoint renders this one (through
    :func:`aftercart.kernel.presenter.present`)."""
    cur = ret.currency
    return return_next_step(
        ReturnStatus(ret.status),
        rma=ret.rma,
        keep_items=ret.keep_items,
        needs_review=ret.needs_review,
        ship_by=ret.ship_by,
        resolutions=tuple(Resolution(k) for k in ret.resolution.split(",") if k in _RESOLUTION_VALUES),
        rejection_reason=ret.rejection_reason,
        amounts=ReturnAmounts(
            cur,
            refund=quantize(ret.refund_amount, cur),
            store_credit=quantize(ret.credit_amount, cur),
            exchange=quantize(ret.exchange_amount, cur),
            charge=quantize(ret.charge_amount, cur),
        ),
        method=send_method(ret),
        location=in_store_location(ret.store_id) if ret.method == ReturnMethod.IN_STORE else "",
        label_failed=_label_failed(ret),
        # The carrier's drop-off code is shown with the label (page, e-mail): say it may be used.
        carrier_qr=bool(ret.carrier_qr_url or ret.carrier_qr_png),
    )


def send_method(ret: Return) -> ReturnMethod:
    """How the return's items go back, as every touchpoint must tell it (page, e-mail, next step):
    the method chosen, unless a drop-off had to fall back to the carrier's printed label."""
    return sending_method(
        ret.method,
        carrier_label=bool(ret.label_url),
        carrier_qr=bool(ret.carrier_qr_url or ret.carrier_qr_png),
    )


def in_store_location(store_id: int) -> str:
    """Where the store's in-store returns go, as its current policy says (one line; "" unset):
    where to go is today's answer, not the one when the return was made."""
    found = _LATEST_POLICY.instances([store_id])
    return ", ".join(policy_of(found[0] if found else None).in_store_location)


def _label_failed(ret: Return) -> bool:
    """Whether the prepaid label of an approved return could not be bought (its purchase failed
    for good). Only an approved return still without a label asks: one query for those (none with
    ``select_related("label_purchase")``), none for any other."""
    if ret.status != ReturnStatus.APPROVED.value or ret.label_issued_at is not None or ret.keep_items:
        return False
    try:
        return bool(ret.label_purchase.status == LabelPurchase.Status.FAILED)
    except LabelPurchase.DoesNotExist:
        return False


_RESOLUTION_VALUES = frozenset(r.value for r in Resolution)


def returned_quantities(order: Order) -> dict[str, int]:
    """Units of each line already in active or finished returns of the order."""
    if not has_returns(order):
        return {}
    rows = (
        ReturnLine.objects.filter(ret__order=order)
        .exclude(ret__status__in=INACTIVE)
        .values("line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["line_id"]: int(row["units"] or 0) for row in rows}


def customer_history(store: Store, email: str, *, exclude_order: Order | None = None) -> CustomerHistory:
    """What the customer (by e-mail) returned before, for the policy's abuse limits."""
    if not email:
        return CustomerHistory()
    returns = Return.objects.filter(store=store, email=email).exclude(status=ReturnStatus.CANCELLED.value)
    times = tuple(returns.order_by("created_at").values_list("created_at", flat=True))
    orders = Order.objects.filter(store=store, email=email).count()
    with_returns = returns.values("order_id").distinct().count()
    return CustomerHistory(return_times=times, orders=orders, orders_with_returns=with_returns)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


#: Order-level figures a source may send with an order (Shopify's names first).
_ORDER_FIGURES = {
    "discount": ("total_discounts", "discount"),
    "tax": ("total_tax", "tax"),
    "shipping": ("total_shipping", "shipping"),
}


def _order_figures(payloads: list[tuple[int, str, Any]]) -> dict[str, Decimal]:
    """The latest tax, discount and shipping totals the order's facts carry (later facts win)."""
    figures: dict[str, Decimal] = {}
    for _pk, _kind, payload in payloads:
        if not isinstance(payload, Mapping):
            continue
        for name, keys in _ORDER_FIGURES.items():
            for key in keys:
                value = _decimal(payload.get(key))
                if value is not None and value >= 0:
                    figures[name] = value
                    break
    return figures


def line_amounts(
    order: Order, state: OrderState, payloads: list[tuple[int, str, Any]] | None = None
) -> dict[str, LineAmounts]:
    """What each line cost in all. With tax / discount / shipping totals on the order, those are
    allocated per line; with only the order's total, the total is split over the lines by their
    price (so what the customer paid, whatever it included, is what can come back); with neither,
    each line cost its price × quantity."""
    currency = state.currency or order.currency
    ids = list(state.lines)
    gross = [(state.lines[i].unit_price or Decimal(0)) * state.lines[i].quantity for i in ids]
    figures = _order_figures(_order_payloads(order) if payloads is None else payloads)
    if figures:
        amounts = allocate_order_amounts(
            gross,
            currency=currency,
            discount=figures.get("discount", Decimal(0)),
            tax=figures.get("tax", Decimal(0)),
            shipping=figures.get("shipping", Decimal(0)),
        )
    elif state.total is not None and sum(gross, Decimal(0)) > 0:
        amounts = [LineAmounts(m) for m in allocate(state.total, gross, currency)]
    else:
        amounts = [LineAmounts(quantize(g, currency)) for g in gross]
    return dict(zip(ids, amounts, strict=True))


def _delivered_at(state: OrderState, line_id: str) -> datetime | None:
    """When the line reached the customer: the latest delivery of a parcel carrying it (a parcel
    listing no lines is taken to carry them all), or its collection from a pickup point."""
    line = state.lines[line_id]
    if line.status == FulfilmentStatus.PICKED_UP and line.status_at:
        return line.status_at
    times = [
        s.delivered_at
        for s in state.shipments.values()
        if s.tag == CarrierTag.DELIVERED and s.delivered_at and (not s.lines or line_id in s.lines)
    ]
    return max(times) if times else None


@dataclass(frozen=True)
class OrderLineFacts:
    """The raw line attributes a source may carry beyond the projection (category, tags)."""

    category: str = ""
    tags: frozenset[str] = frozenset()


def _line_extras(payloads: list[tuple[int, str, Any]]) -> dict[str, OrderLineFacts]:
    extras: dict[str, OrderLineFacts] = {}
    # The lines as placed (the first placed fact; there is one per order).
    placed = sorted((pk, p) for pk, kind, p in payloads if kind == FactKind.ORDER_PLACED.value)
    payload = placed[0][1] if placed else None
    for item in (payload or {}).get("lines") or []:
        if isinstance(item, Mapping) and item.get("line_id"):
            tags = item.get("tags") or []
            extras[str(item["line_id"])] = OrderLineFacts(
                category=str(item.get("category") or ""),
                tags=frozenset(str(t) for t in tags) if isinstance(tags, list) else frozenset(),
            )
    return extras


def line_categories(order: Order, state: OrderState, policy: ReturnPolicy) -> dict[str, str]:
    """Each line's product category (``line_id`` → category, "" when unknown): as the order sent it,
    else from the store's catalogue in ``policy`` (the same rule returns decide by, so an item's
    care instructions and its return window agree on what it is)."""
    extras = _line_extras(_order_payloads(order))
    return {
        line_id: policy.category_of(
            product_id=line.product_id,
            sku=line.sku,
            given=extras.get(line_id, OrderLineFacts()).category,
        )
        for line_id, line in state.lines.items()
    }


def order_placed(order: Order, state: OrderState) -> bool:
    """Whether the store has sent the order itself (``order.placed``). An order the ledger knows
    only from a carrier scan naming it has no lines and no placed time: nothing to return yet."""
    return (state.placed_at or order.placed_at) is not None


def order_for_return(order: Order, state: OrderState) -> OrderForReturn:
    """The order as the returns policy sees it: each line with what it cost, when it arrived and
    how many of its units are already being returned."""
    payloads = _order_payloads(order)
    amounts = line_amounts(order, state, payloads)
    returned = returned_quantities(order)
    extras = _line_extras(payloads)
    lines = []
    for line_id, line in state.lines.items():
        extra = extras.get(line_id, OrderLineFacts())
        lines.append(
            PaidLine(
                line_id=line_id,
                quantity=line.quantity,
                amounts=amounts[line_id],
                sku=line.sku,
                product_id=line.product_id,
                variant=line.variant,
                title=line.title,
                category=extra.category,
                tags=extra.tags,
                returned_quantity=returned.get(line_id, 0),
                unsent_quantity=line.quantity
                if line.status == FulfilmentStatus.CANCELLED
                else min(line.unavailable_quantity, line.quantity),
                delivered_at=_delivered_at(state, line_id),
                unit_price=line.unit_price,
            )
        )
    placed = state.placed_at or order.placed_at
    assert placed is not None, "callers check order_placed first"
    return OrderForReturn(currency=state.currency or order.currency, placed_at=placed, lines=tuple(lines))


# -- labels, drop-off codes, stock --------------------------------------------------------------------


class LabelNotIssued(LookupError):
    """The return has no label (or drop-off code) yet: it is not approved, or needs none."""


def return_parcel(ret: Return) -> ReturnParcel:
    """What the label describes: the RMA, the store's return address (its policy's
    ``return_address``), the shopper, the items and the drop-off code."""
    policy = policy_of(ret.policy)
    state = order_state_of(ret.order)
    return ReturnParcel(
        rma=ret.rma,
        store_name=ret.store.name,
        return_address=policy.return_address,
        order_number=ret.order.number or ret.order.external_id,
        customer_name=state.customer_name if state else "",
        items=tuple((ln.title or ln.sku or ln.line_id, ln.quantity) for ln in ret.lines.all()),
        dropoff_code=ret.dropoff_code,
    )


def order_state_of(order: Order) -> OrderState | None:
    """The order's state as last projected (no facts read)."""
    from aftercart.domain.projection.snapshot import from_snapshot

    return from_snapshot(order.snapshot) if order.snapshot else None


def return_label_pdf(ret: Return) -> bytes:
    """The return's printable 4×6 label (PDF): RMA barcode, the carrier's tracking barcode when
    postage was bought, and the drop-off QR code for box-free returns. :class:`LabelNotIssued`
    before the label is issued."""
    if ret.label_issued_at is None:
        raise LabelNotIssued(f"return {ret.rma} has no label yet")
    carrier = CarrierLabel(
        provider=ret.label_provider, carrier=ret.carrier, tracking_number=ret.tracking_number
    )
    return render_return_label(return_parcel(ret), carrier)


def return_dropoff_qr(ret: Return, fmt: str = "svg") -> bytes:
    """The drop-off QR code of a box-free return, as ``"svg"`` (for pages) or ``"png"`` (e-mails).
    :class:`LabelNotIssued` when the return has no drop-off code; ``ValueError`` for another
    format."""
    if not ret.dropoff_code:
        raise LabelNotIssued(f"return {ret.rma} has no drop-off code")
    if fmt == "svg":
        return dropoff_qr_svg(ret.dropoff_code, title=ret.rma).encode()
    if fmt == "png":
        return dropoff_qr_png(ret.dropoff_code)
    raise ValueError(f"unknown QR format {fmt!r}: use svg or png")


def returns_by_tracking(store_id: int, numbers: list[str]) -> list[Return]:
    """The store's returns whose parcel has one of these (normalised) tracking numbers."""
    found: list[Return] = []
    for start in range(0, len(numbers), 900):  # parameters per statement stay within SQLite's limit
        found.extend(
            Return.objects.filter(store_id=store_id, tracking_number__in=numbers[start : start + 900])
        )
    return found


def stock_levels(store: Store, request: list[RequestedLine] | tuple[RequestedLine, ...]) -> StockLevels:
    """The store's stock of the replacements asked for in ``request`` (one query; nothing when
    no line names a replacement)."""
    targets = [r.exchange_for for r in request if r.exchange_for is not None]
    if not targets:
        return StockLevels()
    skus = {t.sku for t in targets if t.sku}
    products = {t.product_id for t in targets}
    rows = StockLevel.objects.filter(store=store).filter(Q(sku__in=skus) | Q(sku="", product_id__in=products))
    by_sku: dict[str, int] = {}
    by_variant: dict[tuple[str, str], int] = {}
    for sku, product_id, variant, available in rows.values_list("sku", "product_id", "variant", "available"):
        if sku:
            by_sku[sku] = available
        else:
            by_variant[(product_id, variant)] = available
    return StockLevels(by_sku=by_sku, by_variant=by_variant)


def return_steps_for_order(order: Order) -> list[tuple[str, ReturnNextStep]]:
    """Each return of the order with its next step, by return number (for the ops console)."""
    return [(ret.rma, return_step(ret)) for ret in returns_for_order(order)]


def refunds_money(ret: Return) -> bool:
    """Whether a line the shopper chose to have refunded pays money back (an exchange's cheaper
    replacement gives its difference back too, but that return is an exchange, not a refund)."""
    return any(
        ln.resolution == OfferKind.REFUND.value and ln.accepted is not False and ln.refund_amount > 0
        for ln in ret.lines.all()
    )


# -- prepaid labels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelConfig:
    """How a store's return labels are issued: the provider and, for EasyPost, its account, the
    rate rule, the address parcels go back to and the parcel's usual size."""

    provider: str
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    rule: RateRule = field(default_factory=RateRule)
    return_address: Mapping[str, str] = field(default_factory=dict)
    parcel: Mapping[str, Any] = field(default_factory=dict)


def label_config(store_id: int) -> LabelConfig:
    """The store's label settings over the installation's (``AFTERCART_RETURN_LABEL_PROVIDER``,
    ``AFTERCART_EASYPOST_API_KEY``, ``AFTERCART_EASYPOST_BASE_URL``): a store's own value wins."""
    row = LabelSettings.objects.filter(store_id=store_id).first()
    default = str(getattr(settings, "AFTERCART_RETURN_LABEL_PROVIDER", "manual") or "manual")
    if row is None:
        return LabelConfig(
            provider=default,
            api_key=settings.AFTERCART_EASYPOST_API_KEY,
            base_url=settings.AFTERCART_EASYPOST_BASE_URL,
        )
    try:
        kind = RateRuleKind(row.rate_rule)
    except ValueError:
        kind = RateRuleKind.CHEAPEST
    return LabelConfig(
        provider=row.provider or default,
        api_key=row.easypost_api_key or settings.AFTERCART_EASYPOST_API_KEY,
        base_url=row.easypost_base_url or settings.AFTERCART_EASYPOST_BASE_URL,
        rule=RateRule(kind, row.rate_carrier, row.rate_service),
        return_address={str(k): str(v) for k, v in (row.return_address or {}).items()},
        parcel=dict(row.parcel or {}),
    )


#: The address fields EasyPost takes, as orders carry them in ``shipping_address`` (API orders as
#: sent; Shopify's as :mod:`aftercart.integrations.shopify.parse` renames them).
_ADDRESS_KEYS = ("name", "company", "street1", "street2", "city", "state", "zip", "country", "phone")


def shopper_address(ret: Return) -> dict[str, str]:
    """Where the parcel comes back from: the order's shipping address when its facts carry one
    (the latest wins), else what the order knows (name, postal code, country, e-mail, phone)."""
    state = order_state_of(ret.order)
    found: dict[str, str] = {}
    phone = ""
    for _pk, _kind, payload in _order_payloads(ret.order):
        if not isinstance(payload, Mapping):
            continue
        phone = str(payload.get("phone") or phone)
        shipping = payload.get("shipping_address")
        if isinstance(shipping, Mapping):
            found = {key: str(shipping.get(key) or "")[:200] for key in _ADDRESS_KEYS}
    if not found.get("name"):
        found["name"] = state.customer_name if state else ""
    if not found.get("zip") and state:
        found["zip"] = state.postal_code
    if not found.get("country") and state:
        found["country"] = state.country
    if not found.get("phone"):
        found["phone"] = phone
    found["email"] = ret.email or (state.email if state else "")
    return {k: v for k, v in found.items() if v}


def label_purchase_of(ret: Return) -> LabelPurchase | None:
    """The return's label purchase, if one was planned (EasyPost stores)."""
    return LabelPurchase.objects.filter(ret_id=ret.pk).first()
