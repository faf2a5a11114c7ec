"""``aftercart support <subcommand>``: the support intent classifier (issue 15 §2, §6).

* ``aftercart support eval FILE.csv [--json] [--threshold T]`` classifies every row of a CSV with
  columns ``utterance`` and ``intent`` (Bitext layout; other columns ignored, UTF-8 BOM tolerated)
  with the shipped model, without training on it, and prints the figures
  (:mod:`aftercart.domain.support.scoring`).
* ``aftercart support train [--data PATH] [--out PATH] [--seed N]`` rebuilds the shipped artifact
  from a Bitext-layout CSV (deterministic for a seed).
* ``aftercart support validate [--data PATH] [--protocol cv|flags|templates]`` runs the
  out-of-distribution checks of the training recipe (:mod:`aftercart.domain.support.validation`).

Pure computation over files: no database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from aftercart.domain.support.intents import (
    ARTIFACT,
    CONFIDENCE_THRESHOLD,
    INTENTS,
    OTHER,
    artifact_info,
    classify_many,
)
from aftercart.domain.support.scoring import Scored, coarse, score
from aftercart.domain.support.training import (
    DEFAULT_SEED,
    TEMPLATE_FILLS,
    DataError,
    read_csv,
    save_artifact,
    train,
)
from aftercart.domain.support.validation import PROTOCOLS, validate
from aftercart.kernel.console import ConsoleStream

#: Where ``train`` and ``validate`` look for the Bitext file when ``--data`` is not given.
DATA_ENV = "AFTERCART_SUPPORT_INTENTS_DATA"
DEFAULT_DATA = Path("../shared/data/support_intents/bitext_customer_service_8k_utterances.csv")
#: Hand-written development paraphrases (never trained on): they calibrate the confidence.
CALIBRATION = ARTIFACT.with_name("paraphrases_dev.csv")


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"--threshold must be a number between 0 and 1, not {text!r}") from None
    if not 0 <= value <= 1:
        raise CommandError(f"--threshold must be between 0 and 1, not {value}")
    return value


def _rows(path: Path) -> list[Any]:
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        return read_csv(path)
    except DataError as exc:
        raise CommandError(f"{path}: {exc}") from None


class Command(BaseCommand):
    """``aftercart support eval|train|validate ...``."""

    help = "The support intent classifier (subcommands: eval, train, validate)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        ev = subparsers.add_parser(
            "eval",
            help="Score the shipped model on a labelled CSV (columns utterance, intent).",
            description="Classify every row of FILE (columns 'utterance' and 'intent'; other columns "
            "ignored) with the shipped model and print WISMO precision/recall, macro-F1 over the twelve "
            "intents, the unsure rate and per-intent figures.",
        )
        ev.add_argument("file", type=Path, metavar="FILE.csv")
        ev.add_argument("--json", action="store_true", help="Print one JSON object.")
        ev.add_argument(
            "--threshold",
            type=_threshold,
            default=CONFIDENCE_THRESHOLD,
            help=f"Confidence below which a message is not answered (default {CONFIDENCE_THRESHOLD}).",
        )
        tr = subparsers.add_parser(
            "train",
            help="Rebuild the shipped model from a Bitext-layout CSV (deterministic).",
            description="Train the intent model on a Bitext-layout CSV plus the built-in phrasing "
            "templates, calibrate its confidence on the development paraphrases, and write the artifact.",
        )
        tr.add_argument(
            "--data", type=Path, help=f"Bitext-layout CSV (default: ${DATA_ENV} or {DEFAULT_DATA})."
        )
        tr.add_argument("--out", type=Path, default=ARTIFACT, help=f"Artifact path (default: {ARTIFACT}).")
        tr.add_argument("--seed", type=int, default=DEFAULT_SEED)
        tr.add_argument(
            "--template-fills",
            type=int,
            default=TEMPLATE_FILLS,
            help=f"Sentences drawn per phrasing template (default {TEMPLATE_FILLS}; smaller is faster).",
        )
        tr.add_argument(
            "--calibration", type=Path, default=CALIBRATION, help="Paraphrases fitting the confidence."
        )
        va = subparsers.add_parser(
            "validate",
            help="Out-of-distribution checks of the training recipe (slow: trains one model per fold).",
        )
        va.add_argument(
            "--data", type=Path, help=f"Bitext-layout CSV (default: ${DATA_ENV} or {DEFAULT_DATA})."
        )
        va.add_argument("--protocol", choices=PROTOCOLS, action="append", help="Repeatable; default all.")
        va.add_argument("--threshold", type=_threshold, default=CONFIDENCE_THRESHOLD)
        va.add_argument("--seed", type=int, default=DEFAULT_SEED)
        va.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["subcommand"]
        if sub == "eval":
            self._eval(options)
        elif sub == "train":
            self._train(options)
        else:
            self._validate(options)

    def _data(self, options: dict[str, Any]) -> Path:
        data: Path | None = options.get("data")
        return data or Path(os.environ.get(DATA_ENV) or DEFAULT_DATA)

    def _eval(self, options: dict[str, Any]) -> None:
        rows = _rows(options["file"])
        threshold: float = options["threshold"]
        preds = classify_many([r.utterance for r in rows])
        figures = score(
            [
                Scored(coarse(r.intent), p.intent if p.confidence >= threshold else None)
                for r, p in zip(rows, preds, strict=True)
            ]
        )
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        console = Console(file=ConsoleStream(self.stdout))
        info = artifact_info()
        console.print(
            f"{figures['messages']} messages, model {info['sha256'][:12]} (recipe {info['recipe_version']}), "
            f"threshold {threshold}"
        )
        console.print(
            f"WISMO precision {figures['wismo']['precision']:.3f}, recall {figures['wismo']['recall']:.3f}; "
            f"macro-F1 {figures['macro_f1']:.3f}; unsure {figures['unsure_rate']:.1%}"
        )
        table = Table("intent", "precision", "recall", "F1", "support")
        for intent in (*INTENTS, OTHER):
            row = figures["per_intent"][intent]
            table.add_row(
                intent,
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"{row['f1']:.3f}",
                str(row["support"]),
            )
        console.print(table)

    def _train(self, options: dict[str, Any]) -> None:
        data = self._data(options)
        rows = _rows(data)
        calibration = _rows(options["calibration"]) if options["calibration"] else []
        started = time.monotonic()
        arrays = train(
            rows, seed=options["seed"], calibration=calibration, template_fills=options["template_fills"]
        )
        out: Path = options["out"]
        digest = save_artifact(arrays, out, data_path=data, seed=options["seed"])
        self.stdout.write(
            f"wrote {out} ({out.stat().st_size:,} bytes, sha256 {digest[:12]}, "
            f"temperature {float(arrays['temperature']):.3f}) in {time.monotonic() - started:.0f} s"
        )

    def _validate(self, options: dict[str, Any]) -> None:
        rows = _rows(self._data(options))
        calibration = _rows(CALIBRATION)
        results = {}
        for protocol in options["protocol"] or PROTOCOLS:
            results[protocol] = validate(
                rows,
                protocol,
                calibration=calibration,
                threshold=options["threshold"],
                seed=options["seed"],
                progress=lambda line: print(line, file=sys.stderr, flush=True),
            )
        if options["json"]:
            self.stdout.write(json.dumps(results))
            return
        for protocol, figures in results.items():
            self.stdout.write(
                f"{protocol}: {figures['messages']} messages, WISMO P {figures['wismo']['precision']:.3f} "
                f"R {figures['wismo']['recall']:.3f}, macro-F1 {figures['macro_f1']:.3f}, "
                f"unsure {figures['unsure_rate']:.3f}"
            )
            for part, fig in figures["parts"].items():
                self.stdout.write(
                    f"  {part}: {fig['messages']} messages, WISMO P {fig['wismo']['precision']:.3f} "
                    f"R {fig['wismo']['recall']:.3f}, macro-F1 {fig['macro_f1']:.3f}, unsure {fig['unsure_rate']:.3f}"
                )
