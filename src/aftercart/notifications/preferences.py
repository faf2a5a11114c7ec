"""Saving the preference page: one service, one transaction.

Kept apart from :mod:`aftercart.notifications.services` (which records each single choice,
:func:`~aftercart.notifications.services.preference_set`) so that module stops growing; this one
applies a whole form at once, so a failure midway leaves the customer's choices as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from django.db import transaction
from django.utils import timezone

from aftercart.domain.messaging import Channel, ContactChoices, channel_consent_reason
from aftercart.domain.milestones import Milestone
from aftercart.domain.projection.state import OrderState
from aftercart.notifications.models import PreferenceSource
from aftercart.notifications.selectors import choices_for_contacts
from aftercart.notifications.services import preference_set

__all__ = ["ChannelWish", "preferences_save"]


@dataclass(frozen=True)
class ChannelWish:
    """What the customer asked for on one channel: whether to get messages on it at all and, for
    each milestone the form showed, whether to get that one (none: leave the milestones alone)."""

    channel: Channel
    address: str  # normalised (aftercart.notifications.contacts.contact_key)
    receiving: bool
    milestones: Mapping[Milestone, bool] = field(default_factory=dict)


class _Choice(TypedDict):
    """What every ``preference_set`` for one channel shares."""

    store_id: int
    channel: Channel
    address: str
    source: str
    detail: str
    order_id: int | None
    now: datetime


def preferences_save(
    *,
    store_id: int,
    order_id: int,
    state: OrderState,
    wishes: Sequence[ChannelWish],
    source: str = PreferenceSource.PREFERENCE_PAGE,
    detail: str = "",
    now: datetime | None = None,
) -> bool:
    """Make the customer's choices what ``wishes`` say, in one transaction: a choice is recorded
    only where it differs from what they get now (by the domain's consent rule,
    :func:`~aftercart.domain.messaging.channel_consent_reason`, for the order ``state``), each
    with ``source`` and ``detail`` (what the customer was shown). Returns whether anything
    changed."""
    now = now or timezone.now()
    changed = False
    with transaction.atomic():
        current = choices_for_contacts((store_id, w.channel, w.address) for w in wishes)
        for wish in wishes:
            choices = current.get((store_id, wish.channel, wish.address), ContactChoices())
            common: _Choice = {
                "store_id": store_id,
                "channel": wish.channel,
                "address": wish.address,
                "source": source,
                "detail": detail,
                "order_id": order_id,
                "now": now,
            }
            receiving_now = not channel_consent_reason(wish.channel, state, choices)
            if wish.receiving != receiving_now:
                changed |= preference_set(opted_in=wish.receiving, **common)
            for milestone, wanted in wish.milestones.items():
                if wanted != (milestone not in choices.muted):
                    changed |= preference_set(opted_in=wanted, milestone=milestone, **common)
    return changed
