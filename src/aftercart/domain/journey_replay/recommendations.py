"""What a CX lead can act on, derived from a :class:`~aftercart.domain.journey_replay.report.JourneyReport`'s
numbers: one line per finding, most important first."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from aftercart.domain.journey_replay.journey import AWAITING_SHIPMENT, ON_ITS_WAY, Outcome
from aftercart.domain.vocabulary import Stage

if TYPE_CHECKING:
    from aftercart.domain.journey_replay.report import JourneyReport


def recommend(report: JourneyReport) -> list[str]:
    """One line per finding a CX lead can act on, most important first, derived from the numbers."""
    out: list[str] = []
    orders = max(report.orders, 1)
    planned = sum(report.outcomes.values())
    days = report.silent_days
    no_contact = report.outcomes[Outcome.NO_CONTACT.value]
    if planned and no_contact / planned >= 0.2:
        out.append(
            f"{no_contact:,} of {planned:,} planned messages ({no_contact / planned:.0%}) had no "
            "address to go to: capture e-mail (and SMS consent) at checkout or send contact "
            "details with your orders; re-run with --assume-reachable to preview the timing anyway."
        )
    transit = sum(report.silent_by_stage[s.value] for s in ON_ITS_WAY)
    if transit:
        blind = report.silent_transit_no_news
        if blind * 2 >= transit:
            advice = (
                f"for {blind:,} of them the carrier reported nothing in that time: connect carrier "
                "tracking (AfterShip, carrier webhooks) so out_for_delivery and delayed can fire, "
                "and send an 'on its way' update with the delivery estimate."
            )
        elif report.silent_transit_scans_only * 2 >= transit:
            advice = (
                f"carrier scans arrived for {report.silent_transit_scans_only:,} of them but none was a "
                f"milestone: send an 'on its way' update with the delivery estimate after {days} days "
                "in transit."
            )
        else:
            advice = (
                "most of them reached a milestone nobody was told about: see why in the reasons "
                "above (no address, caps, milestones not enabled)."
            )
        out.append(
            f"{_orders(transit)} ({transit / orders:.0%}) waited more than {days} days on their way "
            f"without a message{_eg(report.examples_in(ON_ITS_WAY))}; {advice}"
        )
    waiting = sum(report.silent_by_stage[s.value] for s in AWAITING_SHIPMENT)
    if waiting:
        out.append(
            f"{_orders(waiting)} ({waiting / orders:.0%}) waited more than {days} days before shipping "
            f"without a message{_eg(report.examples_in(AWAITING_SHIPMENT))}: send warehouse progress "
            "(allocated/picking/packed) so 'preparing' goes out, and review the handling time of "
            "the slowest sellers."
        )
    for stage, advice in (
        (
            Stage.EXCEPTION,
            "nothing told the customer how the problem ends: have the team follow up on these "
            "cases (item unavailable, lost, damaged) so the customer hears what happens next.",
        ),
        (
            Stage.PICKUP,
            "check that ready_for_pickup and pickup_expiring go out, and that collections are reported.",
        ),
    ):
        n = report.silent_by_stage[stage.value]
        if n:
            out.append(
                f"{_orders(n)} went silent for more than {days} days in {stage.value}"
                f"{_eg(report.examples_in([stage]))}: {advice}"
            )
    if report.silent_ongoing:
        examples = [g.number for g in report.longest_gaps if g.ongoing]
        out.append(
            f"{_orders(report.silent_ongoing)} still open and silent at the end of history"
            f"{_eg(examples)}: they look lost or abandoned; open a case with the carrier or close them."
        )
    if report.late_unwarned:
        examples = report.late_examples
        out.append(
            f"{_orders(report.late_unwarned)} ({report.late_unwarned / orders:.0%}) arrived after the "
            f"promised date, or are still out past it, and nobody told the customer{_eg(examples)}: "
            "the exception queue sees them as delayed, but only a carrier's delay report sends the "
            "delayed message; warn customers when a promise is missed."
        )
    capped = (
        report.outcomes[Outcome.FREQUENCY_CAP.value] + report.outcomes[Outcome.FREQUENCY_CAP_AT_SEND.value]
    )
    if capped and capped / orders >= 0.02:
        by_milestone = report.outcomes_by_milestone.get(Outcome.FREQUENCY_CAP.value, Counter()) + (
            report.outcomes_by_milestone.get(Outcome.FREQUENCY_CAP_AT_SEND.value, Counter())
        )
        milestone, n = by_milestone.most_common(1)[0]
        out.append(
            f"{capped:,} routine messages were dropped by the frequency cap (mostly {milestone}: {n:,}, "
            f"{n / orders:.0%} of orders never got that news): another message went less than the "
            "cap before; consider a shorter cap, or consolidating the earlier message instead."
        )
    stale = report.outcomes[Outcome.STALE.value]
    if planned and stale / planned >= 0.05:
        milestone, n = report.outcomes_by_milestone[Outcome.STALE.value].most_common(1)[0]
        out.append(
            f"{stale:,} milestones ({stale / planned:.0%}) were already out of date when their facts "
            f"arrived (mostly {milestone}: {n:,}): those facts come in together with later ones; "
            "have the source report each step when it happens."
        )
    overtaken = report.outcomes[Outcome.STALE_AT_SEND.value]
    if planned and overtaken / planned >= 0.05:
        out.append(
            f"{overtaken:,} messages ({overtaken / planned:.0%}) were overtaken by events while waiting "
            "to go (consolidation window, quiet hours): the customer got the newer news instead."
        )
    untold = report.silent_untold
    if untold and (not planned or no_contact / planned < 0.2):
        out.append(
            f"{_orders(untold)} had reached a milestone nobody was told about before going silent: "
            "check the reasons above and enable those milestones on e-mail or SMS."
        )
    if not out:
        out.append("No gaps or losses above the thresholds: the journey keeps customers informed.")
    return out


def _orders(n: int) -> str:
    return f"{n:,} order" if n == 1 else f"{n:,} orders"


def _eg(numbers: list[str]) -> str:
    return f" (e.g. {', '.join(numbers)})" if numbers else ""
