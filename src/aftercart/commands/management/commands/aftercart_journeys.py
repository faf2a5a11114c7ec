"""``aftercart journeys simulate``: preview a store's journey over its stored history.

``aftercart journeys simulate --since DATE [--until DATE] [--store SLUG] [--silent-days N]
[--assume-reachable] [--json]`` replays the ledger's facts through the live notification policy
(see :mod:`aftercart.domain.journey_replay`) and reports what would have been sent, what would have been
held back and why, and which orders were left without news. Nothing is sent, nothing is written.
Field definitions and how to read the report: ``docs/journeys.md``.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aftercart.domain.journey_replay.journey import Outcome
from aftercart.domain.journey_replay.report import JourneyReport
from aftercart.domain.milestones import Milestone
from aftercart.kernel.console import ConsoleStream
from aftercart.notifications.journey_replay import (
    history_end,
    journey_simulate,
    orders_in_window,
    store_day_start,
)
from aftercart.stores.models import Store

#: What each not-sent outcome means, in the words of the report.
OUTCOME_TEXT = {
    Outcome.NO_CONTACT: "no address for the channel",
    Outcome.NO_CONSENT: "customer opted out, or no SMS consent",
    Outcome.STALE: "already contradicted when reached (e.g. shipped once delivered)",
    Outcome.CONSOLIDATED: "told in the same message as a more important milestone",
    Outcome.FREQUENCY_CAP: "frequency cap (routine message too soon after another)",
    Outcome.REPLACED: "replaced by a newer message within the consolidation window",
    Outcome.STALE_AT_SEND: "overtaken by events before it went",
    Outcome.CONSOLIDATED_AT_SEND: "covered by another message of the order sent first",
    Outcome.FREQUENCY_CAP_AT_SEND: "frequency cap, checked again when due",
    Outcome.NO_CONSENT_AT_SEND: "customer opted out, or withdrew SMS consent, before it went",
    Outcome.HISTORICAL: "historical (facts older than the policy's max age)",
    Outcome.OTHER: "another policy rule",
}

HOW_TO_READ = (
    "How to read this: each fact is replayed as if it had arrived when it happened, through the same "
    "policy the live planner uses (consolidation window, frequency caps, quiet hours, staleness). "
    "'Silent' = an order waiting (not delivered, cancelled or collected) with no e-mail or SMS to "
    "the customer for more than the threshold; an order counts once, under the stage it was in when "
    "its longest silence passed the threshold. Examples are order numbers to look up in the console."
)


class Command(BaseCommand):
    """``aftercart journeys simulate ...``."""

    help = "Preview a store's customer journey over stored history (subcommands: simulate)."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sub = subparsers.add_parser(
            "simulate",
            help="Replay stored history through the journey without sending anything.",
            description="Replay the ledger's facts through the store's journey (same decisions as the "
            "live planner) and report messages, suppressions and silent orders. Sends and writes nothing.",
        )
        sub.add_argument(
            "--since", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD", help="First day counted."
        )
        sub.add_argument(
            "--until",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Day after the last one counted (default: up to the newest stored fact).",
        )
        sub.add_argument("--store", metavar="SLUG", help="Store slug (default: the only store).")
        sub.add_argument(
            "--silent-days",
            type=int,
            default=3,
            metavar="N",
            help="Report orders left without a customer message for more than N days (default 3).",
        )
        sub.add_argument(
            "--assume-reachable",
            action="store_true",
            help="Give orders without an e-mail a stand-in one (preview timing on data without contacts).",
        )
        sub.add_argument("--examples", type=int, default=10, metavar="K", help="Silent orders listed.")
        sub.add_argument("--json", action="store_true", help="Print the report as one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        store = self._store(options["store"])
        if options["silent_days"] < 1:
            raise CommandError("--silent-days must be at least 1")
        since = store_day_start(store, options["since"])
        until = store_day_start(store, options["until"]) if options["until"] else None
        if until is not None and until <= since:
            raise CommandError("--until must be after --since")
        started = time.monotonic()
        err = Console(file=ConsoleStream(self.stderr), highlight=False)
        end = until or history_end(store) or since
        total = orders_in_window(store, since=since, until=end).count()
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # A live bar only on a terminal: in logs and under call_command the report says it all.
        with Progress(*columns, console=err, disable=not err.is_terminal) as progress:
            task = progress.add_task("Orders", total=total)
            report = journey_simulate(
                store=store,
                since=since,
                until=until,
                silent_days=options["silent_days"],
                assume_reachable=options["assume_reachable"],
                examples=max(0, options["examples"]),
                progress=lambda n: progress.advance(task, n),
            )
        seconds = time.monotonic() - started
        if options["json"]:
            data = report.as_json()
            data["store"] = store.slug
            data["assume_reachable"] = options["assume_reachable"]
            data["seconds"] = round(seconds, 2)
            self.stdout.write(json.dumps(data))
            return
        self._print(report, store, options, seconds)

    def _store(self, slug: str | None) -> Store:
        if slug:
            store = Store.objects.filter(slug=slug).first()
            if store is None:
                raise CommandError(f"No store {slug!r}.")
            return store
        stores = list(Store.objects.order_by("slug")[:20])
        if len(stores) != 1:
            names = ", ".join(s.slug for s in stores) or "none"
            raise CommandError(f"Choose a store with --store SLUG (stores: {names}).")
        return stores[0]

    def _print(self, report: JourneyReport, store: Store, options: dict[str, Any], seconds: float) -> None:
        console = Console(file=ConsoleStream(self.stdout), highlight=False, width=110)
        orders = max(report.orders, 1)
        data = report.as_json()
        console.print(
            f"[bold]Journey preview[/bold] of store {store.slug}: {report.orders:,} orders "
            f"({report.customers:,} customers) active from {report.since:%Y-%m-%d} to "
            f"{report.as_of:%Y-%m-%d %H:%M} ({store.timezone}), replayed in {seconds:.1f}s"
            + (" (stand-in addresses for orders without one)" if options["assume_reachable"] else "")
            + ". Nothing was sent."
        )
        messages = data["messages"]
        console.print(
            f"\n[bold]Messages[/bold]: {report.sent_total:,} would have gone, {messages['per_order']:.2f} "
            f"per order; {report.orders_with_customer_message:,} orders "
            f"({report.orders_with_customer_message / orders:.0%}) heard from us by e-mail or SMS."
        )
        channels = sorted(report.sent)
        if channels:
            table = Table(show_edge=False, pad_edge=False)
            table.add_column("milestone")
            for channel in channels:
                table.add_column(channel, justify="right")
                table.add_column("per order", justify="right")
            for milestone in Milestone:
                counts = [report.sent[c][milestone.value] for c in channels]
                if not any(counts):
                    continue
                cells = []
                for n in counts:
                    cells += [f"{n:,}", f"{n / orders:.2f}"]
                table.add_row(milestone.value, *cells)
            totals = []
            for c in channels:
                n = sum(report.sent[c].values())
                totals += [f"{n:,}", f"{n / orders:.2f}"]
            table.add_row("[bold]total[/bold]", *totals)
            console.print(table)
        if report.held_quiet_hours:
            held = ", ".join(f"{c} {n:,}" for c, n in sorted(report.held_quiet_hours.items()))
            console.print(f"Held until morning by quiet hours (then sent): {held}.")
        if messages["pending_at_end"]:
            console.print(f"Still waiting to go when history ends: {messages['pending_at_end']:,}.")

        not_sent = report.not_sent
        console.print(f"\n[bold]Not sent[/bold]: {sum(not_sent.values()):,} planned messages, by reason")
        if not_sent:
            table = Table(show_edge=False, pad_edge=False)
            table.add_column("reason")
            table.add_column("messages", justify="right")
            table.add_column("per order", justify="right")
            table.add_column("mostly")
            table.add_column("meaning")
            for reason, n in not_sent.most_common():
                top = report.outcomes_by_milestone[reason].most_common(2)
                mostly = ", ".join(f"{m} {k:,}" for m, k in top)
                table.add_row(
                    reason, f"{n:,}", f"{n / orders:.2f}", mostly, OUTCOME_TEXT.get(Outcome(reason), "")
                )
            console.print(table)

        silent = data["silent"]
        console.print(
            f"\n[bold]Silent orders[/bold]: {report.silent_orders:,} ({silent['share']:.1%}) waited more "
            f"than {report.silent_days} days without a message; median longest silence "
            f"{silent['median_days']} days; {report.silent_ongoing:,} still silent at the end."
        )
        if report.silent_by_stage:
            table = Table(show_edge=False, pad_edge=False)
            table.add_column("stage when the silence passed the threshold")
            table.add_column("orders", justify="right")
            table.add_column("share of orders", justify="right")
            for stage, n in report.silent_by_stage.most_common():
                table.add_row(stage, f"{n:,}", f"{n / orders:.1%}")
            console.print(table)
        if silent["longest"]:
            table = Table(title="Longest silences", title_justify="left", show_edge=False, pad_edge=False)
            for name, justify in (
                ("order", "left"),
                ("stage", "left"),
                ("silent since", "left"),
                ("days", "right"),
                ("untold milestones", "right"),
                ("ended", "left"),
            ):
                table.add_column(name, justify=justify)  # type: ignore[arg-type]
            for gap in silent["longest"]:
                table.add_row(
                    gap["number"],
                    gap["stage"],
                    gap["since"][:16].replace("T", " "),
                    f"{gap['days']:.1f}",
                    str(gap["untold_milestones"]),
                    "still silent" if gap["ongoing"] else (gap["until"] or "")[:16].replace("T", " "),
                )
            console.print(table)

        late = data["late_unwarned"]
        console.print(
            f"\n[bold]Missed promises nobody explained[/bold]: {late['orders']:,} orders ({late['share']:.1%}) "
            "arrived after the promised date, or are still out past it, without a delay or exception "
            "message" + (f" (e.g. {', '.join(late['examples'])})." if late["examples"] else ".")
        )

        console.print("\n[bold]Recommendations[/bold]")
        for line in report.recommendations():
            console.print(f"- {line}", markup=False)
        console.print(f"\n{HOW_TO_READ}", markup=False)
