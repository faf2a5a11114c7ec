"""Reads from the ledger and its projections."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from aftercart.domain.addresses import postal_code_key
from aftercart.domain.contacts import email_key
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


# --- the shopper's lookup ----------------------------------------------------------------------

#: Most orders one number can match across stores; numbers are per store, so a few can collide.
MAX_CANDIDATES = 20


def normalise_number(raw: str) -> str:
    """An order number as typed ("#1001", " 1001 ", "ac-1001") without the "#" and spaces, upper case."""
    return re.sub(r"\s+", "", raw or "").lstrip("#").upper()[:64]


def normalise_email(raw: str) -> str:
    """E-mail addresses compare case-insensitively (orders store them lower-cased): the one
    normalisation, :func:`aftercart.domain.contacts.email_key`."""
    return email_key(raw)


def _same(given: str, stored: str) -> bool:
    # Compare fixed-length digests so the time taken says nothing about how much of the secret
    # matched or how long it is; an empty value never matches (an order without a postal code
    # must not open for an empty or punctuation-only answer).
    a = hashlib.sha256(given.encode()).digest()
    b = hashlib.sha256(stored.encode()).digest()
    return hmac.compare_digest(a, b) & bool(given) & bool(stored)


def find_order(number: str, contact: str, store: Store | None = None) -> Order | None:
    """The order with this number whose e-mail or postal code is ``contact``, else ``None``.

    Every miss (unknown number, wrong e-mail, wrong postal code) takes the same path: one query,
    then the same comparisons against each candidate (or one stand-in), so neither the answer nor
    its timing tells which part was wrong.
    """
    core = normalise_number(number)
    email, postal = normalise_email(contact), postal_code_key(contact)
    # Stores spell numbers with or without "#" and customers type either, in either case.
    candidates: Sequence[Order | None] = [None]
    if core:  # an empty number must never match the orders that have none
        variants = {core, f"#{core}", core.lower(), f"#{core.lower()}"}
        query = Order.objects.filter(number__in=variants).select_related("store")
        if store is not None:
            query = query.filter(store=store)
        candidates = list(query[:MAX_CANDIDATES]) or [None]
    found: Order | None = None
    for order in candidates:
        matches = _same(email, order.email if order else "\0") | _same(
            postal, order.postal_code if order else "\0"
        )
        if matches and order is not None and found is None:
            found = order
    return found
