"""``aftercart eta <subcommand>``: delivery windows learned from history.

``aftercart eta backtest DIR --since YYYY-MM-DD [--json] [--share S]`` replays Olist-format CSVs
(DIR as for ``aftercart import olist``: the folder, missing tables looked for in its parent) in time
order through :class:`~aftercart.domain.eta.model.EtaModel` and scores the delivered orders purchased on
or after ``--since`` against the dataset's own ``order_estimated_delivery_date``. Definitions of
every figure are in :mod:`aftercart.domain.eta.backtest`. Nothing touches the database.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from aftercart.domain.eta.backtest import MATCH_MARGIN, BacktestResult, backtest, backtest_config
from aftercart.integrations.olist.eta_rows import read_orders
from aftercart.integrations.olist.parse import Malformed
from aftercart.kernel.console import ConsoleStream

HOW_TO_READ = (
    "How to read this: 'on time' = delivered on or before the promised latest date. Our promise is "
    "made at purchase from deliveries completed before it; the re-estimate at the carrier handoff. "
    "The baseline is the dataset's own estimated date. Better = on time at least as often, in fewer "
    "days. Days are calendar days from the purchase (or handoff) date to the latest date."
)


def _share(text: str) -> float | None:
    if text == "match":
        return None
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"--share must be 'match' or a number between 0.5 and 1, not {text!r}") from None
    if not 0.5 <= value < 1:
        raise CommandError(f"--share must be between 0.5 and 1, not {value}")
    return value


class Command(BaseCommand):
    """``aftercart eta backtest ...``."""

    help = "Delivery windows learned from history (subcommands: backtest)."
    # Pure computation over files: no database, so no deployment checks standing in the way.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sub = subparsers.add_parser(
            "backtest",
            help="Replay Olist-format CSVs in time order and score the promised delivery windows.",
            description="Replay Olist-format CSVs in DIR (missing tables looked for in its parent) in "
            "time order and score promises and handoff re-estimates against the dataset's own estimate.",
        )
        sub.add_argument("directory", type=Path, metavar="DIR")
        sub.add_argument(
            "--since",
            type=date.fromisoformat,
            required=True,
            metavar="YYYY-MM-DD",
            help="Score delivered orders purchased on or after this date (earlier ones are history).",
        )
        sub.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
        sub.add_argument(
            "--share",
            default="match",
            metavar="S",
            help="Share of deliveries the latest date is calibrated for: a number (e.g. 0.95), or "
            f"'match' (default): the store's own estimate's recent hit rate {MATCH_MARGIN:+.1%}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        share = _share(options["share"])
        malformed: list[Malformed] = []
        started = time.monotonic()
        try:
            orders = read_orders(directory, malformed.append)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        result = backtest(orders, since=options["since"], config=backtest_config(share))
        seconds = time.monotonic() - started
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json()))
            return
        self._report(result, options, share, seconds, len(orders), len(malformed))

    def _report(
        self,
        result: BacktestResult,
        options: dict[str, Any],
        share: float | None,
        seconds: float,
        read: int,
        malformed: int,
    ) -> None:
        console = Console(file=ConsoleStream(self.stdout), highlight=False, width=110)
        target = f"{share:.0%}" if share is not None else f"store's recent hit rate {MATCH_MARGIN:+.1%}"
        console.print(
            f"ETA backtest of {options['directory']}: {read:,} orders read"
            + (f" ({malformed:,} malformed rows skipped)" if malformed else "")
            + f", {result.orders:,} delivered since {options['since'].isoformat()} scored "
            f"in {seconds:.1f}s; calibrated to {target}."
        )
        table = Table(title="Promises against the store's own estimate")
        table.add_column("")
        table.add_column("on time", justify="right")
        table.add_column("median days", justify="right")
        table.add_column("mean days", justify="right")
        table.add_row(
            "our promise (at purchase)",
            f"{result.promise_on_time:.1%}",
            f"{result.promise_median_days:g}",
            f"{result.promise_mean_days:.1f}",
        )
        table.add_row(
            "baseline estimate",
            f"{result.baseline_on_time:.1%}",
            f"{result.baseline_median_days:g}",
            "",
        )
        table.add_row(
            "our re-estimate (at handoff)",
            f"{result.handoff_on_time:.1%}",
            f"{result.handoff_median_remaining:g} left",
            "",
        )
        table.add_row(
            "baseline at handoff",
            f"{result.baseline_on_time:.1%}",
            f"{result.baseline_handoff_median_remaining:g} left",
            "",
        )
        table.add_row(
            "our window \\[earliest, latest]",
            f"{result.window_coverage:.1%} inside",
            f"{result.window_median_width:g} wide",
            "",
        )
        console.print(table)
        if result.by_month:
            months = Table(title="By month of purchase")
            for name in ("month", "orders", "on time", "median days", "baseline on time", "baseline days"):
                months.add_column(name, justify="right")
            for row in result.by_month:
                months.add_row(
                    row["month"],
                    f"{row['orders']:,}",
                    f"{row['on_time_rate']:.1%}",
                    f"{row['median_days']:g}",
                    f"{row['baseline_on_time_rate']:.1%}",
                    f"{row['baseline_median_days']:g}",
                )
            console.print(months)
        console.print(HOW_TO_READ)
