"""Reads from the ledger and its projections."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from aftercart.domain.facts import Fact
from aftercart.domain.next_step import NextStep, next_step
from aftercart.domain.projection.fold import project
from aftercart.domain.projection.state import OrderState
from aftercart.orders.ledger_sql import FACTS_OF_ORDER, fact_of, facts_after
from aftercart.orders.models import Fact as FactRow
from aftercart.orders.models import Order
from aftercart.stores.detection_rules import rules_for
from aftercart.stores.models import Store


def facts_for_orders(order_ids: Sequence[int]) -> dict[int, list[Fact]]:
    """The domain facts of each order, in one query per chunk."""
    ids = list(order_ids)
    if len(ids) != 1:
        return facts_after(dict.fromkeys(ids, 0))  # every fact: ids start at 1
    by_order: dict[int, list[Fact]] = defaultdict(list)
    for order_id, *values in FACTS_OF_ORDER.rows([ids[0]]):
        by_order[order_id].append(fact_of(*values))
    return by_order


def order_state(order: Order) -> OrderState:
    """The order's state, projected fresh from its facts (one query)."""
    return project(facts_for_orders([order.pk]).get(order.pk, ()), order.external_id)


def order_view(order: Order, now: datetime) -> tuple[OrderState, NextStep]:
    """State and next step of one order, as every touchpoint shows it (with the store's exception
    thresholds, as its team's queue sees the order)."""
    return order_view_of(order, facts_for_orders([order.pk]).get(order.pk, ()), now)


def order_view_of(order: Order, facts: Sequence[Fact], now: datetime) -> tuple[OrderState, NextStep]:
    """:func:`order_view` from the order's facts already read (the delivery worker reads the facts
    of a whole batch of orders in one query). ``order.store`` is read: load it with the order."""
    state = project(facts, order.external_id)
    return state, next_step(state, now, rules_for(order.store.country))


def order_by_external_id(store: Store, external_id: str) -> Order | None:
    """A store's order by the store's own id."""
    return Order.objects.filter(store=store, external_id=external_id).first()


def order_timeline(order: Order) -> list[FactRow]:
    """Every fact of an order in the order it happened (the agent's and API's timeline)."""
    return list(order.facts.order_by("occurred_at", "pk"))
