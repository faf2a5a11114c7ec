"""Who is held out of which journey: the customer's group in an experiment, decided once by
:func:`~aftercart.domain.feedback.holdout.assigned_to_holdout` (deterministic per customer) and
recorded per order, so the impact report compares the orders of both groups."""

from __future__ import annotations

import hashlib
from datetime import datetime

from aftercart.domain.contacts import email_key
from aftercart.domain.feedback.holdout import assigned_to_holdout
from aftercart.feedback.models import Assignment
from aftercart.orders.models import Order


def customer_key(order: Order, email: str = "") -> str:
    """A customer's stable pseudonymous key within the store: a hash of their e-mail address (the
    order's public id when it has none), so an experiment's groups never hold an address."""
    address = email_key(email or order.email)
    basis = f"{order.store_id}:{address}" if address else f"order:{order.public_id}"
    return hashlib.blake2b(basis.encode(), digest_size=16).hexdigest()


def assignment_record(*, order: Order, experiment: str, share: float, key: str, now: datetime) -> bool:
    """The order's group in ``experiment`` (``True``: held out), recorded the first time it is
    asked; later asks answer what was recorded (the share may have changed since: a customer's
    order never changes group). A share of 0 still records the order as treated, so the report
    has its treated side."""
    found = (
        Assignment.objects.filter(experiment=experiment, order=order)
        .values_list("held_out", flat=True)
        .first()
    )
    if found is not None:
        return bool(found)
    held_out = share > 0 and assigned_to_holdout(customer_key=key, experiment=experiment, share=share)
    Assignment.objects.bulk_create(
        [
            Assignment(
                store_id=order.store_id,
                experiment=experiment,
                order=order,
                customer_key=key,
                held_out=held_out,
                assigned_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return held_out
