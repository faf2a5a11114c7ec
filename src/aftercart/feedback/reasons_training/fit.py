"""Train the feedback classifier with scikit-learn and write it as a JSON artifact (no pickle).

Deterministic: the corpus is ordered by review-id hash, the solver (lbfgs) has no randomness, and the
artifact is written with sorted keys, rounded numbers and a fixed gzip timestamp, so the same inputs
give the same bytes.

scikit-learn is imported inside :func:`fit_linear` only: running the shipped model needs none of it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aftercart.domain.feedback.evaluation import class_scores, macro_f1
from aftercart.domain.feedback.model import LinearModel, softmax
from aftercart.domain.feedback.reasons import REASONS, THEMES, label_with
from aftercart.domain.feedback.text import features, review_text, text_terms
from aftercart.feedback.reasons_training.corpus import Review

CLASSES: tuple[str, ...] = tuple(REASONS)
DIGITS = 4
#: Share of training rows shown without their star score (see :func:`design`).
SCORE_DROPOUT = 0.3


@dataclass(frozen=True, slots=True)
class Settings:
    """The knobs tuned on the dev split."""

    c: float = 4.0
    class_weight: str = "balanced"
    min_df: int = 2
    #: Terms whose largest absolute coefficient is below this are dropped from the artifact.
    prune_below: float = 0.02
    #: Sample weight of a hand-labelled training row (a weakly labelled row weighs 1).
    hand_weight: float = 1.0


def document_frequencies(reviews: Sequence[Review]) -> Counter[str]:
    """In how many training texts each term occurs."""
    counts: Counter[str] = Counter()
    for review in reviews:
        counts.update(text_terms(review_text(review.message, review.title)))
    return counts


def idf_table(reviews: Sequence[Review], *, min_df: int) -> dict[str, float]:
    """Smoothed idf (as scikit-learn's ``TfidfVectorizer``) of the terms in at least ``min_df`` texts."""
    n = len(reviews)
    return {
        term: round(math.log((1 + n) / (1 + df)) + 1.0, DIGITS)
        for term, df in sorted(document_frequencies(reviews).items())
        if df >= min_df
    }


@dataclass(frozen=True)
class Design:
    """The training rows as features (computed once, shared by every setting tried)."""

    idf: dict[str, float]
    rows: list[dict[str, float]]
    labels: list[str]
    hand: list[bool]


def score_dropped(review: Review) -> bool:
    """Whether this training row is shown without its score (a fixed :data:`SCORE_DROPOUT` share)."""
    digest = hashlib.sha256(f"score-dropout\x00{review.review_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < SCORE_DROPOUT


def design(reviews: Sequence[Review], hand: Sequence[bool], *, min_df: int) -> Design:
    """Features of the training rows; ``hand`` marks the hand-labelled ones.

    A fixed share of rows is shown without its star score, so that the model also learns to read
    text alone (feedback from a form without stars, or an English e-mail).
    """
    idf = idf_table(reviews, min_df=min_df)
    rows = [
        features(r.message, title=r.title, score=None if score_dropped(r) else r.score, idf=idf)
        for r in reviews
    ]
    return Design(idf, rows, [r.reason for r in reviews], list(hand))


def fit_linear(data: Design, settings: Settings) -> dict[str, Any]:
    """Fit the multinomial logistic model; the artifact's ``terms``/``intercept``/``classes``."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    idf = data.idf
    vectoriser = DictVectorizer(sort=True)
    matrix = vectoriser.fit_transform(data.rows)
    labels = data.labels
    weights = [settings.hand_weight if hand else 1.0 for hand in data.hand]
    classifier = LogisticRegression(
        C=settings.c,
        class_weight="balanced" if settings.class_weight == "balanced" else None,
        max_iter=3000,
        solver="lbfgs",
    )
    classifier.fit(matrix, labels, sample_weight=weights)
    fitted = [str(c) for c in classifier.classes_]
    order = [fitted.index(c) for c in CLASSES if c in fitted]
    classes = [fitted[i] for i in order]
    coef = classifier.coef_[order]
    terms: dict[str, list[float]] = {}
    for j, name in enumerate(vectoriser.get_feature_names_out()):
        column = [float(coef[k, j]) for k in range(len(classes))]
        if max(abs(v) for v in column) < settings.prune_below:
            continue
        weight = 1.0 if not str(name).startswith(("w:", "b:", "c:")) else idf[str(name)]
        terms[str(name)] = [weight, *(round(v, DIGITS) for v in column)]
    intercept = [round(float(classifier.intercept_[i]), DIGITS) for i in order]
    return {"classes": classes, "terms": terms, "intercept": intercept, "temperature": 1.0}


def fit_temperature(model: LinearModel, dev: Sequence[Review]) -> float:
    """The temperature that minimises the theme log-loss on the dev split (grid 0.30..3.00)."""
    texted = [r for r in dev if text_terms(review_text(r.message, r.title))]
    logits = [model.logits(r.message, title=r.title, score=r.score) for r in texted]
    members = [[REASONS[c] == r.theme for c in model.classes] for r in texted]
    best, best_loss = 1.0, math.inf
    for step in range(30, 301, 5):
        temperature = step / 100
        loss = 0.0
        for row, mine in zip(logits, members, strict=True):
            probs = softmax(row, temperature)
            loss -= math.log(max(sum(p for p, m in zip(probs, mine, strict=True) if m), 1e-12))
        if loss < best_loss - 1e-12:
            best, best_loss = temperature, loss
    return best


def score_prior(labelled: Sequence[Review]) -> dict[str, dict[str, dict[str, float]]]:
    """Per star score (and "none" for all), the Laplace-smoothed theme and reason shares."""
    groups: dict[str, list[Review]] = {"none": list(labelled)}
    for review in labelled:
        if review.score is not None:
            groups.setdefault(str(review.score), []).append(review)
    out = {}
    for key, rows in sorted(groups.items()):
        themes = Counter(r.theme for r in rows)
        reasons = Counter(r.reason for r in rows)
        out[key] = {
            "themes": {t: round((themes[t] + 1) / (len(rows) + len(THEMES)), DIGITS) for t in THEMES},
            "reasons": {r: round((reasons[r] + 1) / (len(rows) + len(REASONS)), DIGITS) for r in REASONS},
        }
    return out


def evaluate(model: LinearModel, labelled: Sequence[Review]) -> dict[str, Any]:
    """Theme macro-F1, per-theme precision/recall, reason macro-F1 and calibration of one labelled set."""
    labels = [label_with(model, r.message, title=r.title, score=r.score) for r in labelled]
    themes_true = [r.theme for r in labelled]
    themes_pred = [label.theme for label in labels]
    reasons_true = [r.reason for r in labelled]
    reasons_pred = [label.reason for label in labels]
    per_theme = class_scores(themes_true, themes_pred, THEMES)
    return {
        "n": len(labelled),
        "theme_macro_f1": round(macro_f1(themes_true, themes_pred, THEMES), 4),
        "theme_accuracy": round(
            sum(t == p for t, p in zip(themes_true, themes_pred, strict=True)) / len(labelled), 4
        ),
        "per_theme": {
            name: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "support": s.support}
            for name, s in per_theme.items()
        },
        "reason_macro_f1": round(macro_f1(reasons_true, reasons_pred, tuple(REASONS)), 4),
        "expected_calibration_error": round(
            calibration_error(
                [label.confidence for label in labels],
                [t == p for t, p in zip(themes_true, themes_pred, strict=True)],
            ),
            4,
        ),
    }


def calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the mean |accuracy - confidence| over equal-width bins, weighted."""
    total = len(confidences)
    if not total:
        return 0.0
    error = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences) if low < c <= high or (b == 0 and c == 0)]
        if members:
            accuracy = sum(correct[i] for i in members) / len(members)
            mean_conf = sum(confidences[i] for i in members) / len(members)
            error += len(members) / total * abs(accuracy - mean_conf)
    return error


def write_artifact(document: Mapping[str, Any], path: Path) -> int:
    """Write the artifact deterministically; its size in bytes."""
    payload = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out,
    ):
        out.write(payload)
    return path.stat().st_size
