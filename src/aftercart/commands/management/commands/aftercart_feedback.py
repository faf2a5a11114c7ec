"""``aftercart feedback <subcommand>``: what customers say after delivery.

- ``aftercart feedback classify FILE.csv --json`` reads reviews in the Olist layout
  (``review_comment_message``; optional ``review_comment_title`` and ``review_score``; other columns
  ignored; a UTF-8 BOM is fine; empty messages are allowed) and prints one JSON object per input row,
  in order, one per line: ``{"row": i, "theme": ..., "reason": ..., "confidence": c}`` where ``row``
  is the 0-based index of the data row (the header is not a row). Without ``--json`` it prints a table.
- ``aftercart feedback train`` rebuilds the shipped model (``domain/feedback/reasons_model.json.gz``)
  from the Olist reviews in ``../shared/data`` and the hand-labelled files in
  ``tests/fixtures/feedback`` (needs scikit-learn, a development dependency); deterministic.

One more subcommand is one entry in :data:`SUBCOMMANDS`: a function that adds its parser and one that
runs it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from aftercart.domain.feedback.reasons import classify_many
from aftercart.feedback.reasons_training.corpus import parse_score
from aftercart.feedback.reasons_training.train import (
    DEFAULT_OUTPUT,
    OLIST_REVIEWS,
    SHARED_DATA,
    TrainingReport,
    labelled,
    train,
)
from aftercart.kernel.console import ConsoleStream

MESSAGE = "review_comment_message"
TITLE = "review_comment_title"
SCORE = "review_score"
BATCH = 2000

Runner = Callable[["Command", dict[str, Any]], None]


def feedback_rows(path: Path) -> Iterator[tuple[str, str | None, int | None]]:
    """``(message, title, score)`` of each data row of an Olist-layout review CSV, in order."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        if MESSAGE not in header:
            raise CommandError(
                f"{path}: no '{MESSAGE}' column (found: {', '.join(header) or 'no header'}). "
                f"Expected the Olist reviews layout: {MESSAGE}, optional {TITLE} and {SCORE}."
            )
        reader.fieldnames = header
        for row in reader:
            yield row.get(MESSAGE) or "", row.get(TITLE) or None, parse_score(row.get(SCORE))


def _add_classify(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE.csv")
    parser.add_argument("--json", action="store_true", help="One JSON object per input row, one per line.")


def _classify(command: Command, options: dict[str, Any]) -> None:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(f"{path} is not a file.")
    table = None if options["json"] else Table("row", "theme", "reason", "confidence", "message")
    batch: list[tuple[str, str | None, int | None]] = []
    row = 0

    def flush() -> None:
        nonlocal row
        for (message, _title, _score), label in zip(batch, classify_many(batch), strict=True):
            if table is None:
                record = {
                    "row": row,
                    "theme": label.theme,
                    "reason": label.reason,
                    "confidence": label.confidence,
                }
                command.stdout.write(json.dumps(record))
            else:
                table.add_row(str(row), label.theme, label.reason, f"{label.confidence:.2f}", message[:60])
            row += 1
        batch.clear()

    try:
        for item in feedback_rows(path):
            batch.append(item)
            if len(batch) >= BATCH:
                flush()
        flush()
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text ({exc.reason}).") from None
    if table is not None:
        Console(file=ConsoleStream(command.stdout), highlight=False, width=120).print(table)


def _add_train(parser: CommandParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=SHARED_DATA,
        metavar="DIR",
        help="The shared data folder holding olist/ (default: ../shared/data beside the repository).",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Where to write the model.")
    parser.add_argument(
        "--no-tune", action="store_true", help="Skip the dev-split grid; use the default settings."
    )
    parser.add_argument("--json", action="store_true", help="Print the training report as JSON.")


def _train(command: Command, options: dict[str, Any]) -> None:
    data: Path = options["data"]
    files = [data / path for path in OLIST_REVIEWS]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise CommandError(f"Olist reviews not found: {', '.join(missing)} (use --data DIR).")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise CommandError("Training needs scikit-learn: pip install -e '.[dev]'.") from None
    quiet = options["json"]
    report = train(
        review_files=files,
        hand_files=[labelled("labelled_pt_train.csv")],
        dev_file=labelled("labelled_pt_dev.csv"),
        check_files=[labelled("labelled_pt.csv"), labelled("labelled_en.csv")],
        output=options["output"],
        tune=not options["no_tune"],
        log=(lambda _line: None) if quiet else command.stdout.write,
    )
    if quiet:
        command.stdout.write(json.dumps(_report_json(report)))
        return
    command.stdout.write(
        f"wrote {options['output']} ({report.artifact_bytes:,} bytes, {report.terms:,} terms); "
        f"settings {report.settings}, temperature {report.temperature:g}"
    )
    for name, scores in report.evaluation.items():
        per_theme = ", ".join(
            f"{theme} P {s['precision']:.2f} R {s['recall']:.2f}" for theme, s in scores["per_theme"].items()
        )
        command.stdout.write(
            f"{name}: n={scores['n']} theme macro-F1 {scores['theme_macro_f1']:.3f} ({per_theme}); "
            f"reason macro-F1 {scores['reason_macro_f1']:.3f}; ECE {scores['expected_calibration_error']:.3f}"
        )


def _report_json(report: TrainingReport) -> dict[str, Any]:
    return {
        "corpus": report.corpus,
        "tuning": report.tuning,
        "settings": report.settings,
        "temperature": report.temperature,
        "evaluation": report.evaluation,
        "artifact_bytes": report.artifact_bytes,
        "terms": report.terms,
    }


#: name → (help, add arguments, run).
SUBCOMMANDS: dict[str, tuple[str, Callable[[CommandParser], None], Runner]] = {
    "classify": ("Theme and reason of each review in an Olist-layout CSV.", _add_classify, _classify),
    "train": ("Rebuild the shipped feedback model (deterministic; needs scikit-learn).", _add_train, _train),
}


class Command(BaseCommand):
    """``aftercart feedback classify|train ...``."""

    help = "What customers say after delivery (subcommands: " + ", ".join(SUBCOMMANDS) + ")."
    # Pure computation over files: no database, so no deployment checks standing in the way.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, (help_text, add, _run) in SUBCOMMANDS.items():
            add(subparsers.add_parser(name, help=help_text, description=help_text))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["subcommand"]][2](self, options)
