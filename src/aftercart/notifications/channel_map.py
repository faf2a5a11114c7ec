"""A store's journey: which milestones go out on which channels.

It is store data, one list of milestones per channel on the store's ``ChannelConfig`` rows (so the
planner reads it with the channels it already reads: no extra query in the ingest hot path).
A channel without a list uses :data:`DEFAULT_MILESTONES`:

* e-mail: every milestone (a store with no configuration at all e-mails every milestone);
* SMS: what is worth a text — the parcel leaving, arriving or waiting, and every critical
  milestone — not "order confirmed" or "being prepared", which e-mail covers;
* Klaviyo, Iterable, webhooks: every milestone (they are events for the store's own flows).
"""

from __future__ import annotations

from collections.abc import Iterable

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import CRITICAL, Milestone

ChannelMap = dict[Milestone, frozenset[Channel]]

ALL = frozenset(Milestone)
DEFAULT_MILESTONES: dict[Channel, frozenset[Milestone]] = {
    Channel.EMAIL: ALL,
    Channel.SMS: CRITICAL
    | {Milestone.SHIPPED, Milestone.OUT_FOR_DELIVERY, Milestone.DELIVERED, Milestone.READY_FOR_PICKUP},
    Channel.KLAVIYO: ALL,
    Channel.ITERABLE: ALL,
    Channel.WEBHOOK: ALL,
}

#: The journey of a store that configured nothing: e-mail for every milestone.
DEFAULT_CHANNELS: ChannelMap = {m: frozenset({Channel.EMAIL}) for m in Milestone}

_KNOWN_MILESTONES = frozenset(m.value for m in Milestone)
_KNOWN_CHANNELS = frozenset(c.value for c in Channel)


def channel_milestones(channel: Channel, configured: object) -> frozenset[Milestone]:
    """The milestones a channel carries: the configured list (unknown names ignored, so a list
    written by a newer version still works), else the channel's default."""
    if not isinstance(configured, list):
        return DEFAULT_MILESTONES[channel]
    return frozenset(Milestone(m) for m in configured if m in _KNOWN_MILESTONES)


def journey_from_rows(rows: Iterable[tuple[str, bool, object]]) -> ChannelMap:
    """One store's milestone → channels map from its ``(channel, enabled, milestones)`` rows.

    E-mail goes out unless a row disables it; every other channel only when enabled.
    """
    carries: dict[Channel, frozenset[Milestone]] = {Channel.EMAIL: DEFAULT_MILESTONES[Channel.EMAIL]}
    for name, enabled, milestones in rows:
        if name not in _KNOWN_CHANNELS:
            continue  # a row for a channel this version does not know is ignored
        channel = Channel(name)
        if enabled:
            carries[channel] = channel_milestones(channel, milestones)
        else:
            carries.pop(channel, None)
    return {m: frozenset(c for c, ms in carries.items() if m in ms) for m in Milestone}
