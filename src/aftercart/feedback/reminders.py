"""After delivery: product onboarding (how to use and care for what arrived, in the customer's
language, from the store's care texts) and replenishment reminders (timed from the store's own
repeat-purchase intervals), each gated on operations and run with its holdout group.

Onboarding goes a store-set time after delivery; a reorder prompt never goes before it. Both are
planned by the feedback loop's pass and sent through the outbox; the gate is asked when a reminder
falls due (held back while anything is open, until it expires) and again by the outbox just
before sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from aftercart.domain.arrival import arrived_at
from aftercart.domain.contacts import email_key
from aftercart.domain.feedback.gates import Purpose, gate
from aftercart.domain.feedback.replenishment import Interval, Purchase, learn_intervals, reminder_due
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.feedback.config import FeedbackConfig, feedback_configs
from aftercart.feedback.holdouts import assignment_record, customer_key
from aftercart.feedback.messages import care_for_order
from aftercart.feedback.models import ProductInterval, Reminder
from aftercart.feedback.standing import standing_for
from aftercart.feedback.surveys import LOOKBACK, email_message
from aftercart.notifications.receivers import store_channel_map
from aftercart.notifications.subjects import messages_record_subject
from aftercart.orders.models import Order, OrderLine
from aftercart.orders.selectors import order_state
from aftercart.stores.models import Store

BATCH = 500
#: How long a reminder held back by the gate may still go once things are resolved.
HOLD_LIMIT = timedelta(days=30)
#: How late an onboarding message may still go (when nothing held it back).
ONBOARDING_LATE = timedelta(days=3)
#: How often a store's intervals are learned again, and over how much history.
RELEARN = timedelta(hours=24)
HISTORY = timedelta(days=730)
_MILESTONE = {
    Reminder.Kind.ONBOARDING: Milestone.PRODUCT_ONBOARDING,
    Reminder.Kind.REPLENISHMENT: Milestone.REPLENISHMENT_REMINDER,
}
_JOURNEY = {Reminder.Kind.ONBOARDING: "onboarding", Reminder.Kind.REPLENISHMENT: "replenishment"}
_PURPOSE = {Reminder.Kind.ONBOARDING: Purpose.ONBOARDING, Reminder.Kind.REPLENISHMENT: Purpose.PROMOTION}


def product_key(line: OrderLine | object) -> str:
    """What a line's product is known by: its product id, else its SKU."""
    return str(getattr(line, "product_id", "") or getattr(line, "sku", "") or "")


# --- learning -----------------------------------------------------------------------------------


def store_purchases(store: Store, *, now: datetime) -> list[Purchase]:
    """Every (customer, product, day) of the store's orders over :data:`HISTORY`."""
    rows = OrderLine.objects.filter(
        order__store=store, order__placed_at__gte=now - HISTORY, order__placed_at__isnull=False
    ).values_list("order__email", "product_id", "sku", "order__placed_at")
    return [
        Purchase(email_key(email), product or sku, placed.date())
        for email, product, sku, placed in rows.iterator(chunk_size=2000)
        if placed is not None
    ]


def intervals_learn(*, store: Store, config: FeedbackConfig, now: datetime) -> dict[str, Interval]:
    """Learn the store's intervals from its orders and keep them (replacing the last ones)."""
    learned = learn_intervals(
        store_purchases(store, now=now),
        min_intervals=config.min_intervals,
        min_customers=config.min_customers,
    )
    with transaction.atomic():
        ProductInterval.objects.filter(store=store).delete()
        ProductInterval.objects.bulk_create(
            ProductInterval(
                store=store,
                product=i.product,
                days=i.days,
                support=i.support,
                customers=i.customers,
                learned_at=now,
            )
            for i in learned.values()
        )
    return learned


def store_intervals(store: Store, config: FeedbackConfig, now: datetime) -> dict[str, Interval]:
    """The store's intervals, learned again when a day old."""
    rows = list(ProductInterval.objects.filter(store=store))
    if not rows or min(r.learned_at for r in rows) < now - RELEARN:
        return intervals_learn(store=store, config=config, now=now)
    return {r.product: Interval(r.product, r.days, r.support, r.customers) for r in rows}


# --- planning -----------------------------------------------------------------------------------


def reminders_plan(*, now: datetime, limit: int = BATCH) -> int:
    """Schedule the reminders of orders delivered recently that have none yet; how many orders."""
    orders = list(
        Order.objects.filter(shipments__delivered_at__gte=now - LOOKBACK, shipments__delivered_at__lte=now)
        .exclude(reminders__isnull=False)
        .select_related("store")
        .distinct()
        .order_by("pk")[:limit]
    )
    configs = feedback_configs({o.store_id for o in orders})
    intervals: dict[int, dict[str, Interval]] = {}
    for order in orders:
        config = configs[order.store_id]
        if config.replenishment_enabled and order.store_id not in intervals:
            intervals[order.store_id] = store_intervals(order.store, config, now)
        reminders_schedule(order=order, config=config, intervals=intervals.get(order.store_id, {}), now=now)
    return len(orders)


def reminders_schedule(
    *, order: Order, config: FeedbackConfig, intervals: dict[str, Interval], now: datetime
) -> list[Reminder]:
    """The order's onboarding and replenishment reminders, written once (a marker row when there
    is nothing to remind, so the order is not looked at again)."""
    state = order_state(order)
    arrived = arrived_at(state)
    if arrived is None:
        return []
    key = customer_key(order, state.email)
    onboarding_at = arrived + config.onboarding_delay
    rows: list[Reminder] = []

    def add(kind: str, product: str, title: str, due: datetime, status: str = "", note: str = "") -> None:
        rows.append(
            Reminder(
                store_id=order.store_id,
                order=order,
                kind=kind,
                product=product[:128],
                title=title[:300],
                customer_key=key,
                due_at=due,
                expires_at=due + HOLD_LIMIT,
                status=status or Reminder.Status.SCHEDULED,
                note=note,
                created_at=now,
            )
        )

    if config.onboarding_enabled:
        add(Reminder.Kind.ONBOARDING, "", "", onboarding_at)
    placed = state.placed_at or order.placed_at or arrived
    products: dict[str, str] = {}
    for line in state.active_lines:
        products.setdefault(product_key(line), line.title or line.sku)
    for product, title in sorted(products.items()):
        interval = intervals.get(product) if config.replenishment_enabled else None
        if interval is None:
            continue
        due = reminder_due(
            last_purchase=placed,
            interval=interval,
            lead_days=config.replenishment_lead_days,
            # Never before the onboarding message: first how to use it, then whether to reorder.
            not_before=onboarding_at + timedelta(hours=1),
        )
        add(Reminder.Kind.REPLENISHMENT, product, title, due)
    if not rows:
        add(Reminder.Kind.REPLENISHMENT, "", "", now, Reminder.Status.SKIPPED, "nothing to remind")
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


# --- sending ------------------------------------------------------------------------------------


def reminders_send_due(*, now: datetime, limit: int = BATCH) -> int:
    """Send (through the outbox) the reminders due now that the gate and the holdout let go; hold
    back the others. How many were looked at."""
    due = list(
        Reminder.objects.filter(
            status__in=[Reminder.Status.SCHEDULED, Reminder.Status.WAITING], due_at__lte=now
        )
        .select_related("order", "store")
        .order_by("due_at", "pk")[:limit]
    )
    configs = feedback_configs({r.store_id for r in due})
    for reminder in due:
        reminder_send(reminder=reminder, config=configs[reminder.store_id], now=now)
    return len(due)


def reminder_send(*, reminder: Reminder, config: FeedbackConfig, now: datetime) -> str:
    """Decide one due reminder, in one transaction; its new status."""
    order = reminder.order
    with transaction.atomic():
        state = order_state(order)
        if now > reminder.expires_at:
            return _finish(reminder, Reminder.Status.SKIPPED, "held back past its time")
        if reminder.kind == Reminder.Kind.REPLENISHMENT and bought_again(order, state, reminder.product):
            return _finish(reminder, Reminder.Status.SKIPPED, "bought again already")
        if (
            reminder.kind == Reminder.Kind.ONBOARDING
            and reminder.status == Reminder.Status.SCHEDULED
            and now > reminder.due_at + ONBOARDING_LATE
        ):
            # Never held back, just planned late (the loop was off, an old delivery imported):
            # "getting started" weeks after the parcel came is noise.
            return _finish(reminder, Reminder.Status.SKIPPED, "past its moment")
        if reminder.kind == Reminder.Kind.ONBOARDING and not onboarding_has_content(reminder):
            return _finish(reminder, Reminder.Status.SKIPPED, "no care text for these items")
        standing = standing_for(order, state, scale=config.scale, thresholds=config.thresholds)
        verdict = gate(standing, _PURPOSE[Reminder.Kind(reminder.kind)])
        if not verdict.allowed:
            return _finish(reminder, Reminder.Status.WAITING, verdict.reason)
        journey = _JOURNEY[Reminder.Kind(reminder.kind)]
        if assignment_record(
            order=order,
            experiment=journey,
            share=config.holdout_share(journey),
            key=reminder.customer_key,
            now=now,
        ):
            return _finish(reminder, Reminder.Status.HELD_OUT, f"in the {journey} journey's holdout group")
        milestone = _MILESTONE[Reminder.Kind(reminder.kind)]
        from_journey = store_channel_map(order.store_id).get(milestone, frozenset())
        note = ""
        if "email" in {c.value for c in from_journey}:
            messages_record_subject(
                store_id=order.store_id,
                order_id=order.pk,
                subject=reminder.ref,
                messages=[email_message(reminder.ref, milestone, order.store_id, state)],
                now=now,
                critical=False,
            )
        else:
            note = "the store does not e-mail it"
        reminder.sent_at = now
        return _finish(reminder, Reminder.Status.SENT, note)


def _finish(reminder: Reminder, status: str, note: str) -> str:
    reminder.status, reminder.note = status, note[:200]
    reminder.save(update_fields=["status", "note", "sent_at"])
    return status


def bought_again(order: Order, state: OrderState, product: str) -> bool:
    """Whether the customer ordered ``product`` again after this order."""
    address = email_key(state.email or order.email)
    placed = state.placed_at or order.placed_at
    if not address or placed is None or not product:
        return False
    later = OrderLine.objects.filter(
        order__store_id=order.store_id, order__email__iexact=address, order__placed_at__gt=placed
    )
    return later.filter(product_id=product).exists() or later.filter(product_id="", sku=product).exists()


def onboarding_has_content(reminder: Reminder) -> bool:
    """Whether the store has care text for any item of the order (else onboarding has nothing to say)."""
    state = order_state(reminder.order)
    return bool(care_for_order(reminder.order, state, state.locale or reminder.order.store.default_locale))
