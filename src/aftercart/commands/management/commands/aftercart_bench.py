"""``aftercart bench <name> ...``: measure a hot path on a database of its own.

One subcommand per benchmark (``ingest`` today). Each runs in two processes: this one creates a
temporary database (a SQLite file, or ``aftercart_bench_<random>`` on the PostgreSQL server
``--database-url`` names) and drops it afterwards; a child process (this same command with the
hidden ``--in-child`` flag and ``DATABASE_URL`` pointing at that database) migrates it, measures and
prints its figures as one JSON line. The user's own database is never opened.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercart.benchmarks import RichReporter, database_label, run_child, temporary_database
from aftercart.kernel.console import ConsoleStream


class Benchmark:
    """One benchmark: its arguments, how the child measures, how the parent shows the result.
    Subclass and add to :data:`BENCHMARKS`."""

    name = ""
    help = ""

    def add_arguments(self, parser: CommandParser) -> None:
        """Arguments after ``aftercart bench <name>`` (besides the common ones)."""

    def child_argv(self, options: dict[str, Any]) -> list[str]:
        """The benchmark's own arguments, to pass on to the child process."""
        return []

    def measure(self, options: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        """Run in the child, on a fresh migrated database; return the JSON-safe figures."""
        raise NotImplementedError

    def render(self, command: Command, result: dict[str, Any]) -> None:  # pragma: no cover
        """Show the figures to a person."""
        raise NotImplementedError


class IngestBenchmark(Benchmark):
    """Carrier-webhook firehose through validation, ledger, projection and planner hook."""

    name = "ingest"
    help = (
        "Stream N canonical tracking events (1%% re-sent, 5%% late) through validation, ledger, "
        "projection and planner hook; compare with a plain executemany INSERT floor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``--events``, ``--batch``, ``--active``, ``--seed``."""
        parser.add_argument("--events", type=int, required=True, help="Tracking events to stream (N).")
        parser.add_argument("--batch", type=int, default=1000, help="Events per facts_record call.")
        parser.add_argument(
            "--active", type=int, default=2000, help="Parcels moving at once (batch locality)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Stream seed (runs are reproducible).")
        parser.add_argument(
            "--no-receivers",
            action="store_true",
            help="Unsubscribe the ledger events' handlers (e.g. notifications) to see what they cost.",
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Project every batch in its own transaction (facts_record, as API requests do) "
            "instead of appending and draining the projection every --drain-every batches.",
        )
        parser.add_argument(
            "--drain-every",
            type=int,
            default=10,
            help="Batches appended between projection drains (default 10: a second of feed at "
            "10,000 events/s).",
        )

    def child_argv(self, options: dict[str, Any]) -> list[str]:
        """Pass the stream's shape on."""
        return [
            f"--events={options['events']}",
            f"--batch={options['batch']}",
            f"--active={options['active']}",
            f"--seed={options['seed']}",
            *(["--no-receivers"] if options["no_receivers"] else []),
            *(["--sync"] if options["sync"] else []),
            f"--drain-every={options['drain_every']}",
        ]

    def measure(self, options: dict[str, Any]) -> dict[str, Any]:
        """Run :func:`run_ingest` with a progress bar on stderr."""
        from aftercart.benchmarks.ingest import IngestConfig, run_ingest
        from aftercart.kernel.gc_policy import tune_for_batch_work

        tune_for_batch_work()  # as the worker that drains a real feed runs
        config = IngestConfig(
            events=options["events"],
            batch=options["batch"],
            active=options["active"],
            seed=options["seed"],
            receivers=not options["no_receivers"],
            sync=options["sync"],
            drain_every=options["drain_every"],
        )
        return run_ingest(config, reporter=RichReporter()).to_json()

    def render(self, command: Command, result: dict[str, Any]) -> None:
        """A table of the figures and the issue's targets."""
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"aftercart bench ingest — {result['database']}", show_header=True)
        table.add_column("measure")
        table.add_column("value", justify="right")
        rows = [
            ("events", f"{result['events']:,}"),
            ("batch / active parcels", f"{result['batch']:,} / {result['active']:,}"),
            ("shipments set up", f"{result['shipments']:,}"),
            ("orders touched per batch", f"{result['orders_per_batch']:,.0f}"),
            ("re-sent (duplicates)", f"{result['duplicates']:,}"),
            ("out of order", f"{result['out_of_order']:,}"),
            ("end to end", f"{result['end_to_end_events_per_s']:,.0f} events/s"),
            ("  of which validate + event_fact", f"{result['parse_seconds']:.2f} s"),
            *(
                [("  of which facts_record", f"{result['record_seconds']:.2f} s")]
                if result.get("mode") != "deferred"
                else [
                    ("  of which facts_append", f"{result['record_seconds']:.2f} s"),
                    (
                        f"  of which projection_drain (every {result['drain_every']} batches)",
                        f"{result['drain_seconds']:.2f} s, {result['orders_per_drain']:,.0f} orders each",
                    ),
                ]
            ),
            ("floor (executemany INSERT)", f"{result['floor_events_per_s']:,.0f} events/s"),
            ("end to end / floor", f"{result['ratio']:.1%}"),
            ("timed seconds (end to end)", f"{result['seconds']:.2f}"),
            ("  CPU seconds of this process", f"{result['cpu_seconds']:.2f}"),
            ("peak RSS", f"{result['peak_rss_mb']:.0f} MB"),
            ("CPUs available", str(result["cpus"])),
            ("planner receivers", "\n".join(result["planner_receivers"]) or "none"),
        ]
        for row in rows:
            table.add_row(*row)
        # Through the command's stdout, so call_command(stdout=...) sees it too.
        console = Console(file=ConsoleStream(command.stdout), highlight=False)
        console.print(table)
        checks = [
            ("≥ 10,000 events/s end to end", result["end_to_end_events_per_s"] >= 10_000),
            ("≥ 10% of the floor", result["ratio"] >= 0.10),
            ("peak RSS < 500 MB", result["peak_rss_mb"] < 500),
        ]
        for label, met in checks:
            console.print(f"  target {label}: {'[green]met[/]' if met else '[red]not met[/]'}")


class TrackingBenchmark(Benchmark):
    """The customer's tracking page under load: gunicorn serving, a load generator in another process."""

    name = "tracking"
    help = (
        "Serve /t/<token> with gunicorn from a database of N orders and drive it from a second "
        "process: open loop at --rate with --clients clients, then closed loop for the maximum."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``--orders``, ``--clients``, ``--rate``, ``--seconds``, ``--workers``."""
        parser.add_argument("--orders", type=int, default=100_000, help="Orders in the database.")
        parser.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
        parser.add_argument("--rate", type=float, default=300.0, help="Open-loop requests/s in all.")
        parser.add_argument("--seconds", type=float, default=20.0, help="Length of each timed run.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")

    def child_argv(self, options: dict[str, Any]) -> list[str]:
        """Pass the shape of the run on."""
        names = ("orders", "clients", "rate", "seconds", "workers")
        return [f"--{name}={options[name]}" for name in names]

    def measure(self, options: dict[str, Any]) -> dict[str, Any]:
        """Seed, serve, load (see :mod:`aftercart.benchmarks.tracking`)."""
        from aftercart.benchmarks.tracking import TrackingConfig, run_tracking

        config = TrackingConfig(
            orders=options["orders"],
            clients=options["clients"],
            rate=options["rate"],
            seconds=options["seconds"],
            workers=options["workers"],
        )
        return run_tracking(config, reporter=RichReporter())

    def render(self, command: Command, result: dict[str, Any]) -> None:
        """Both runs side by side, and the targets."""
        from rich.console import Console
        from rich.table import Table

        title = f"aftercart bench tracking — {result['orders']:,} orders, {result['database']}"
        table = Table(title=title)
        table.add_column("measure")
        table.add_column(f"open loop, {result['at_rate']['target_rate']:,.0f} req/s", justify="right")
        table.add_column("closed loop (max)", justify="right")
        runs = (result["at_rate"], result["closed_loop"])
        for label, key, unit in (
            ("requests", "requests", ""),
            ("achieved", "achieved_rate", " req/s"),
            ("p50", "p50_ms", " ms"),
            ("p95", "p95_ms", " ms"),
            ("p99", "p99_ms", " ms"),
            ("errors", "errors", ""),
            ("server CPU per request", "server_cpu_ms_per_request", " ms"),
            ("load tool CPU", "cpu_seconds", " s"),
        ):
            table.add_row(label, *(f"{run[key]:,}{unit}" for run in runs))
        console = Console(file=ConsoleStream(command.stdout), highlight=False)
        console.print(table)
        console.print(
            f"  {result['clients']} clients, {result['workers']} gunicorn workers, "
            f"{result['sampled_pages']:,} different pages; seeding took {result['seed_seconds']:.0f} s"
        )
        at_rate = result["at_rate"]
        checks = [
            ("p95 ≤ 50 ms at the rate", at_rate["p95_ms"] <= 50 and at_rate["errors"] == 0),
            ("≥ 300 req/s", max(at_rate["achieved_rate"], result["closed_loop"]["achieved_rate"]) >= 300),
        ]
        for label, met in checks:
            console.print(f"  target {label}: {'[green]met[/]' if met else '[red]not met[/]'}")


class PlannerBenchmark(Benchmark):
    """The notification planner's decisions per state change, pure domain code on one core."""

    name = "planner"
    help = "Fold N state changes of synthetic journeys and decide each one's messages (CPU seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--changes``, ``--seed``."""
        parser.add_argument("--changes", type=int, default=200_000, help="State changes to decide.")
        parser.add_argument("--seed", type=int, default=1, help="Journey seed (runs are reproducible).")

    def child_argv(self, options: dict[str, Any]) -> list[str]:
        """Pass the run's size on."""
        return [f"--changes={options['changes']}", f"--seed={options['seed']}"]

    def measure(self, options: dict[str, Any]) -> dict[str, Any]:
        """See :mod:`aftercart.benchmarks.planner`."""
        from aftercart.benchmarks.planner import run_planner

        return run_planner(changes=options["changes"], seed=options["seed"]).to_json()

    def render(self, command: Command, result: dict[str, Any]) -> None:
        """The rate and the target."""
        from rich.console import Console

        console = Console(file=ConsoleStream(command.stdout), highlight=False)
        console.print(
            f"aftercart bench planner: {result['changes']:,} state changes of {result['orders']:,} orders, "
            f"{result['decisions']:,} channel decisions, {result['messages_planned']:,} messages planned"
        )
        console.print(
            f"  decided: {result['changes_per_s']:,.0f} changes/s ({result['decide_seconds']:.2f} CPU s); "
            f"with folding each fact into the state: {result['fold_and_decide_per_s']:,.0f} changes/s"
        )
        met = result["changes_per_s"] >= 20_000
        console.print(f"  target ≥ 20,000 changes/s decided: {'[green]met[/]' if met else '[red]not met[/]'}")


class WorkerBenchmark(Benchmark):
    """The outbox drained to a local SMTP server, as ``aftercart worker`` drains it."""

    name = "worker"
    help = "Record N orders with a due confirmation each, then deliver them all to a local SMTP sink."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--messages``."""
        parser.add_argument("--messages", type=int, default=5000, help="E-mails to deliver.")

    def child_argv(self, options: dict[str, Any]) -> list[str]:
        """Pass the run's size on."""
        return [f"--messages={options['messages']}"]

    def measure(self, options: dict[str, Any]) -> dict[str, Any]:
        """See :mod:`aftercart.benchmarks.worker`."""
        from aftercart.benchmarks.worker import run_worker

        return run_worker(messages=options["messages"], reporter=RichReporter()).to_json()

    def render(self, command: Command, result: dict[str, Any]) -> None:
        """The rate and the target."""
        from rich.console import Console

        console = Console(file=ConsoleStream(command.stdout), highlight=False)
        console.print(
            f"aftercart bench worker: {result['sent']:,} of {result['messages']:,} e-mails delivered in "
            f"{result['seconds']:.1f} s ({result['cpu_seconds']:.1f} CPU s in the worker), batches of {result['batch']}"
        )
        console.print(f"  {result['emails_per_s']:,.0f} e-mails/s")
        met = result["emails_per_s"] >= 200 and result["sent"] == result["messages"]
        console.print(f"  target ≥ 200 e-mails/s: {'[green]met[/]' if met else '[red]not met[/]'}")


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b for b in (IngestBenchmark(), TrackingBenchmark(), PlannerBenchmark(), WorkerBenchmark())
}


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Benchmarks, each on a temporary database of its own: " + ", ".join(BENCHMARKS) + "."
    # Nothing is served and the user's database is never opened: start-up checks only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
        for benchmark in BENCHMARKS.values():
            sub = subparsers.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help)
            benchmark.add_arguments(sub)
            sub.add_argument("--json", action="store_true", help="Print one JSON object, nothing else.")
            sub.add_argument(
                "--database-url",
                help="A PostgreSQL server to create a temporary database on, e.g. "
                "postgresql://postgres@127.0.0.1:5432/postgres. Default: a temporary SQLite file.",
            )
            # The child process: DATABASE_URL already names the fresh database.
            sub.add_argument("--in-child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        benchmark = BENCHMARKS[options["benchmark"]]
        if options["in_child"]:
            self._measure(benchmark, options)
            return
        try:
            database_label(options["database_url"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        argv = ["aftercart_bench", benchmark.name, *benchmark.child_argv(options), "--in-child"]
        # A plain `kill` must still drop the temporary database: turn SIGTERM into an exception so
        # the context managers below clean up (subprocess.run kills the child on the way out).
        signal.signal(signal.SIGTERM, _terminate)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="aftercart-bench-var-") as var_dir,
                temporary_database(options["database_url"]) as url,
            ):
                result = run_child(argv, url, var_dir)
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # e.g. psycopg cannot reach the server
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            benchmark.render(self, result)
        if not result.get("ok", True):
            problems = "\n  ".join(result.get("problems", []))
            raise CommandError(f"the final state is WRONG:\n  {problems}")

    def _measure(self, benchmark: Benchmark, options: dict[str, Any]) -> None:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        result = benchmark.measure(options)
        # One line on the real stdout: the parent reads the last line.
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
