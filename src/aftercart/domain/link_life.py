"""How long a shopper's signed link to their order keeps working: the one rule the tracking page,
the order's returns panel and the returns portal all follow.

A link works while the order is under way. Once it is over (delivered, collected, or cancelled with
nothing shipped) it keeps working for a grace period, so that an old link in a forwarded e-mail
does not show someone's items and address forever. A return extends it: the shopper's return
e-mails link to the return's page through the same link, so it keeps working while any return of
the order is open, and for the same grace period after the last one closed.

Whether a *new* return can still be started is another rule (the return window of the store's
policy, :func:`aftercart.domain.returns.judge_return`); a live link only means the pages open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aftercart.domain.arrival import arrived_at
from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns.lifecycle import TERMINAL, ReturnStatus
from aftercart.domain.vocabulary import Stage

__all__ = ["LinkedReturn", "link_live", "order_ended_at"]


@dataclass(frozen=True)
class LinkedReturn:
    """A return of the order, as far as the link's life goes: its status and when it last changed
    (for a closed return, the moment it closed: nothing changes a return after that)."""

    status: ReturnStatus
    changed_at: datetime


def order_ended_at(state: OrderState) -> datetime | None:
    """When the order was last delivered or collected (or cancelled, if nothing shipped); ``None``
    while anything is still under way."""
    if state.stage is Stage.CANCELLED:
        return state.cancelled_at
    if state.stage is not Stage.POST_DELIVERY:
        return None
    return arrived_at(state)


def link_live(state: OrderState, returns: Iterable[LinkedReturn], now: datetime, *, grace: timedelta) -> bool:
    """Whether a link to the order works at ``now``: while the order is under way, until ``grace``
    after it ended, while any of its ``returns`` is open (requested, approved, label issued, in
    transit, received, inspected) and until ``grace`` after a return closed (resolved, rejected,
    cancelled).

    ``returns`` is only read when the order's own grace period is over, so a caller may pass a lazy
    iterable and most links never look their returns up."""
    ended = order_ended_at(state)
    if ended is None or now < ended + grace:
        return True
    return any(ret.status not in TERMINAL or now < ret.changed_at + grace for ret in returns)
