"""How well labels match hand labels: per-class precision/recall/F1 and the macro average."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClassScore:
    """One class's precision, recall and F1 (0 when undefined), and its number of true examples."""

    precision: float
    recall: float
    f1: float
    support: int


def class_scores(
    truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]
) -> dict[str, ClassScore]:
    """Per-class scores of ``predicted`` against ``truth`` (same length)."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted differ in length")
    out = {}
    for name in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == name and p == name)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != name and p == name)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == name and p != name)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = ClassScore(precision, recall, f1, tp + fn)
    return out


def macro_f1(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str] | None = None) -> float:
    """The unweighted mean F1 over ``classes`` (default: the classes present in ``truth``)."""
    names = list(classes) if classes is not None else sorted(set(truth))
    scores = class_scores(truth, predicted, names)
    present = [scores[name].f1 for name in names if scores[name].support > 0]
    return sum(present) / len(present) if present else 0.0
