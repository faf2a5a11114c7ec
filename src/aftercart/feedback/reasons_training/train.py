"""``aftercart feedback train``: build the corpus, tune on the dev split, fit, calibrate, evaluate, write.

1. Corpus: Olist reviews with text, weakly labelled (:mod:`.corpus`), minus every review_id of the
   hand-labelled check and dev files; plus the English sentences written for training
   (``english_train.csv``, hand-labelled).
2. Tune: each :data:`GRID` setting is fitted and scored by theme macro-F1 on the **dev** split only
   (the check sets are never looked at to choose anything).
3. Calibrate: the temperature minimising the dev split's theme log-loss; the score prior (for reviews
   without text) from the dev split's hand labels.
4. Evaluate the final model on dev and on the check sets (reported, stored in the artifact's
   provenance) and write the artifact.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aftercart.domain.feedback.model import ARTIFACT_NAME, LinearModel
from aftercart.feedback.reasons_training.corpus import (
    ENGLISH_TRAIN,
    Review,
    read_reviews,
    unique_reviews,
    weakly_labelled,
)
from aftercart.feedback.reasons_training.fit import (
    Settings,
    design,
    evaluate,
    fit_linear,
    fit_temperature,
    score_prior,
    write_artifact,
)

GRID: tuple[Settings, ...] = tuple(
    Settings(c=c, class_weight=weight, hand_weight=hand)
    for weight in ("balanced",)
    for hand in (1.0, 3.0)
    for c in (4.0, 16.0, 64.0)
)
#: Where the repository keeps the artifact (inside the package) and the hand-labelled files.
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "domain" / "feedback"
DEFAULT_OUTPUT = PACKAGE_DIR / ARTIFACT_NAME
REPO_ROOT = Path(__file__).resolve().parents[4]
LABELLED_DIR = REPO_ROOT / "tests" / "fixtures" / "feedback"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
OLIST_REVIEWS = (
    Path("olist/coherent_sample_15k_orders/olist_order_reviews_dataset.csv"),
    Path("olist/head_samples/olist_order_reviews_dataset__head_sample.csv"),
)


@dataclass
class TrainingReport:
    """What training did, printed by the command and stored as provenance."""

    corpus: dict[str, Any] = field(default_factory=dict)
    tuning: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    temperature: float = 1.0
    evaluation: dict[str, Any] = field(default_factory=dict)
    artifact_bytes: int = 0
    terms: int = 0


def file_digest(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256 (provenance)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def training_corpus(
    *, review_files: Sequence[Path], hand_files: Sequence[Path], held_out: set[str]
) -> tuple[list[Review], list[Review]]:
    """The weakly labelled and the hand-labelled training rows; no review_id of ``held_out`` in either."""
    hand = [r for path in hand_files for r in read_reviews(path) if r.review_id not in held_out]
    hand += list(read_reviews(ENGLISH_TRAIN))
    weak = weakly_labelled(unique_reviews(review_files), exclude_ids=held_out | {r.review_id for r in hand})
    return weak, hand


def train(
    *,
    review_files: Sequence[Path],
    hand_files: Sequence[Path],
    dev_file: Path,
    check_files: Sequence[Path],
    output: Path,
    tune: bool = True,
    log: Callable[[str], None] = lambda _line: None,
) -> TrainingReport:
    """Train and write the artifact (see the module doc); the report."""
    dev = list(read_reviews(dev_file))
    checks = {path.name: list(read_reviews(path)) for path in check_files}
    held_out = {r.review_id for r in dev} | {r.review_id for rows in checks.values() for r in rows}
    weak, hand = training_corpus(review_files=review_files, hand_files=hand_files, held_out=held_out)
    corpus = weak + hand
    report = TrainingReport()
    report.corpus = {
        "olist_weakly_labelled": len(weak),
        "hand_labelled": len(hand),
        "held_out_ids_excluded": len(held_out),
        "reasons": dict(sorted(Counter(r.reason for r in corpus).items())),
        "files": {
            path.name: file_digest(path)
            for path in [*review_files, *hand_files, ENGLISH_TRAIN, dev_file, *check_files]
        },
    }
    log(
        f"corpus: {len(weak)} weakly labelled Olist reviews + {len(hand)} hand-labelled (Portuguese and English)"
    )
    prior = score_prior(dev)
    data = design(corpus, [False] * len(weak) + [True] * len(hand), min_df=Settings().min_df)

    def build(settings: Settings) -> tuple[LinearModel, dict[str, Any]]:
        document = fit_linear(data, settings)
        document["score_prior"] = prior
        return LinearModel.from_document(document), document

    chosen = GRID[0] if tune else Settings()
    if tune:
        best = -1.0
        for settings in GRID:
            model, _ = build(settings)
            scores = evaluate(model, dev)
            report.tuning.append({**asdict(settings), "dev_theme_macro_f1": scores["theme_macro_f1"]})
            log(
                f"  C={settings.c:g} class_weight={settings.class_weight} hand_weight={settings.hand_weight:g}: dev theme macro-F1 {scores['theme_macro_f1']}"
            )
            if scores["theme_macro_f1"] > best:
                best, chosen = scores["theme_macro_f1"], settings
    model, document = build(chosen)
    temperature = fit_temperature(model, dev)
    document["temperature"] = temperature
    model = LinearModel.from_document(document)
    report.settings = asdict(chosen)
    report.temperature = temperature
    report.evaluation = {"dev": evaluate(model, dev)} | {
        name: evaluate(model, rows) for name, rows in checks.items()
    }
    report.terms = len(document["terms"])
    document["provenance"] = {
        "command": "aftercart feedback train",
        "corpus": report.corpus,
        "settings": report.settings,
        "tuning": report.tuning,
        "temperature": temperature,
        "evaluation": report.evaluation,
    }
    report.artifact_bytes = write_artifact(document, output)
    return report


def labelled(name: str) -> Path:
    """A hand-labelled file of the repository."""
    return LABELLED_DIR / name


__all__ = ["DEFAULT_OUTPUT", "OLIST_REVIEWS", "SHARED_DATA", "Review", "TrainingReport", "labelled", "train"]
