"""The journey preview's report: the replayed orders aggregated in flat memory (counters, a day
histogram and the top examples only), as text-ready figures and JSON."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aftercart.domain.journey_replay.journey import (
    CUSTOMER_CHANNELS,
    ON_ITS_WAY,
    OrderJourney,
    Outcome,
    SilentGap,
)
from aftercart.domain.journey_replay.recommendations import recommend
from aftercart.domain.vocabulary import Stage

# --- report -------------------------------------------------------------------------------------

#: Example orders kept per stage for the recommendations.
STAGE_EXAMPLES = 3


def _keep_top(
    heap: list[tuple[float, str, int, SilentGap]], entry: tuple[float, str, int, SilentGap], k: int
) -> None:
    if len(heap) < k:
        heapq.heappush(heap, entry)
    elif k:
        heapq.heappushpop(heap, entry)


def _longest_first(entries: Iterable[tuple[float, str, int, SilentGap]]) -> list[SilentGap]:
    return [e[3] for e in sorted(entries, key=lambda e: (-e[0], e[1], e[2]))]


@dataclass
class JourneyReport:
    """Everything the preview prints, aggregated in flat memory. Feed it with :meth:`add`."""

    since: datetime
    as_of: datetime
    silent_days: int
    examples: int = 10
    orders: int = 0
    customers: int = 0
    #: channel → milestone → messages sent.
    sent: dict[str, Counter[str]] = field(default_factory=dict)
    #: outcome → count (every planned message that did not go, plus sent and pending).
    outcomes: Counter[str] = field(default_factory=Counter)
    #: channel → outcome → count.
    outcomes_by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    #: outcome → milestone → count.
    outcomes_by_milestone: dict[str, Counter[str]] = field(default_factory=dict)
    held_quiet_hours: Counter[str] = field(default_factory=Counter)
    orders_with_customer_message: int = 0
    silent_orders: int = 0
    silent_by_stage: Counter[str] = field(default_factory=Counter)
    silent_ongoing: int = 0
    silent_untold: int = 0
    #: Silent orders on their way whose silence had no fact at all before passing the threshold.
    silent_transit_no_news: int = 0
    #: ... and those whose silence had facts but reached no milestone (scans that are not news).
    silent_transit_scans_only: int = 0
    #: whole days of each order's longest silence → orders (medians without keeping every order).
    silent_days_histogram: Counter[int] = field(default_factory=Counter)
    #: Orders whose parcel missed its promised day with no delay or exception message.
    late_unwarned: int = 0
    _late_examples: list[tuple[float, str, int, SilentGap]] = field(default_factory=list)
    _longest: list[tuple[float, str, int, SilentGap]] = field(default_factory=list)
    #: stage → the longest silences that passed the threshold in it (:data:`STAGE_EXAMPLES` each).
    _by_stage: dict[str, list[tuple[float, str, int, SilentGap]]] = field(default_factory=dict)

    def add(self, journeys: Iterable[OrderJourney]) -> None:
        """Count one customer's replayed orders."""
        self.customers += 1
        for journey in journeys:
            self.orders += 1
            told = False
            for m in journey.messages:
                if m.planned_at < self.since:
                    continue
                channel = m.channel.value
                self.outcomes[m.outcome.value] += 1
                self.outcomes_by_channel.setdefault(channel, Counter())[m.outcome.value] += 1
                self.outcomes_by_milestone.setdefault(m.outcome.value, Counter())[m.milestone.value] += 1
                if m.outcome is Outcome.SENT:
                    self.sent.setdefault(channel, Counter())[m.milestone.value] += 1
                    told = told or m.channel in CUSTOMER_CHANNELS
                    if m.held:
                        self.held_quiet_hours[channel] += 1
            self.orders_with_customer_message += told
            if journey.late_unwarned:
                self.late_unwarned += 1
                if len(self._late_examples) < STAGE_EXAMPLES:
                    # The first ones met (history order), not the worst: lateness is not measured.
                    marker = SilentGap(number=journey.number, stage=journey.final_stage, since=self.since)
                    self._late_examples.append((0.0, journey.number, journey.order_id, marker))
            if journey.gaps:
                longest = max(journey.gaps, key=lambda g: g.days)
                self.silent_orders += 1
                self.silent_by_stage[longest.stage.value] += 1
                self.silent_ongoing += any(g.ongoing for g in journey.gaps)
                self.silent_untold += any(g.untold_milestones for g in journey.gaps)
                on_the_way = longest.stage in ON_ITS_WAY
                self.silent_transit_no_news += on_the_way and not longest.facts
                self.silent_transit_scans_only += (
                    on_the_way and bool(longest.facts) and not longest.untold_milestones
                )
                self.silent_days_histogram[int(longest.days)] += 1
                entry = (longest.days, journey.number, journey.order_id, longest)
                _keep_top(self._longest, entry, self.examples)
                _keep_top(self._by_stage.setdefault(longest.stage.value, []), entry, STAGE_EXAMPLES)

    @property
    def longest_gaps(self) -> list[SilentGap]:
        """The longest silences, longest first (one per order)."""
        return _longest_first(self._longest)

    def examples_in(self, stages: Iterable[Stage | str]) -> list[str]:
        """Order numbers of the longest silences that passed the threshold in these stages."""
        entries = [e for stage in stages for e in self._by_stage.get(str(stage), [])]
        return [g.number for g in _longest_first(entries)[:STAGE_EXAMPLES]]

    @property
    def sent_total(self) -> int:
        """Messages that went, all channels."""
        return self.outcomes[Outcome.SENT.value]

    @property
    def not_sent(self) -> Counter[str]:
        """Planned messages that did not go, by outcome (pending ones excluded)."""
        return Counter(
            {k: v for k, v in self.outcomes.items() if k not in (Outcome.SENT.value, Outcome.PENDING.value)}
        )

    def median_silent_days(self) -> int:
        """Median of each silent order's longest silence, in whole days (0 when none)."""
        half, seen = self.silent_orders / 2, 0
        for days in sorted(self.silent_days_histogram):
            seen += self.silent_days_histogram[days]
            if seen >= half:
                return days
        return 0

    @property
    def late_examples(self) -> list[str]:
        """Order numbers of the first orders met that arrived late with nobody warned (history order)."""
        return [e[1] for e in self._late_examples]

    def recommendations(self) -> list[str]:
        """One line per finding a CX lead can act on, most important first, derived from the numbers
        (:func:`~aftercart.domain.journey_replay.recommendations.recommend`)."""
        return recommend(self)

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-safe data; keys are stable and documented in docs/journeys.md."""
        orders = max(self.orders, 1)
        return {
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "orders": self.orders,
            "customers": self.customers,
            "messages": {
                "sent": self.sent_total,
                "per_order": round(self.sent_total / orders, 3),
                "by_channel": {
                    channel: {
                        "sent": sum(counts.values()),
                        "per_order": round(sum(counts.values()) / orders, 3),
                        "by_milestone": dict(sorted(counts.items())),
                    }
                    for channel, counts in sorted(self.sent.items())
                },
                "held_quiet_hours": dict(sorted(self.held_quiet_hours.items())),
                "pending_at_end": self.outcomes[Outcome.PENDING.value],
                "orders_with_customer_message": self.orders_with_customer_message,
            },
            "suppressed": {
                "total": sum(self.not_sent.values()),
                "by_reason": dict(sorted(self.not_sent.items())),
                "by_reason_milestone": {
                    reason: dict(sorted(self.outcomes_by_milestone.get(reason, Counter()).items()))
                    for reason in sorted(self.not_sent)
                },
                "by_channel": {
                    channel: dict(
                        sorted(
                            (k, v)
                            for k, v in counts.items()
                            if k not in (Outcome.SENT.value, Outcome.PENDING.value)
                        )
                    )
                    for channel, counts in sorted(self.outcomes_by_channel.items())
                },
            },
            "silent": {
                "days": self.silent_days,
                "orders": self.silent_orders,
                "share": round(self.silent_orders / orders, 4),
                "by_stage": dict(sorted(self.silent_by_stage.items())),
                "ongoing": self.silent_ongoing,
                "with_untold_milestones": self.silent_untold,
                "on_the_way_without_news": self.silent_transit_no_news,
                "on_the_way_scans_only": self.silent_transit_scans_only,
                "median_days": self.median_silent_days(),
                "examples_by_stage": {
                    stage: self.examples_in([stage]) for stage in sorted(self.silent_by_stage)
                },
                "longest": [
                    {
                        "number": g.number,
                        "stage": g.stage.value,
                        "since": g.since.isoformat(),
                        "until": g.until.isoformat() if g.until else None,
                        "days": round(g.days, 1),
                        "ongoing": g.ongoing,
                        "untold_milestones": g.untold_milestones,
                        "facts": g.facts,
                    }
                    for g in self.longest_gaps
                ],
            },
            "late_unwarned": {
                "orders": self.late_unwarned,
                "share": round(self.late_unwarned / orders, 4),
                "examples": [e[1] for e in self._late_examples],
            },
            "recommendations": self.recommendations(),
        }
