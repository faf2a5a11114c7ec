"""Scoring a classifier against labelled messages: the figures ``aftercart support eval`` prints.

Definitions (issue 15 §6):

* a message whose prediction is below the confidence threshold is *not answered*: it is neither a
  WISMO prediction nor a correct prediction of any intent (it still counts in every recall);
* a true label outside :data:`~.intents.INTENTS` counts as :data:`~.intents.OTHER`;
* WISMO precision and recall treat ``track_order`` and ``delivery_period`` as one class;
* ``macro_f1`` is the mean F1 over the twelve named intents (``other`` is reported, not averaged);
* a precision with nothing predicted, or a recall with nothing to find, is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aftercart.domain.support.intents import INTENTS, OTHER, WISMO_INTENTS


@dataclass(frozen=True)
class Scored:
    """One message: its true label (already mapped onto our intents) and the answer, if any."""

    truth: str
    answer: str | None


def coarse(label: str) -> str:
    """A dataset label on our intent list (unknown labels are ``other``)."""
    label = label.strip()
    return label if label in INTENTS else OTHER


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(rows: Sequence[Scored]) -> dict[str, Any]:
    """The evaluation figures (see the module docstring), as a JSON-ready dict."""
    n = len(rows)
    wismo_pred = sum(1 for r in rows if r.answer in WISMO_INTENTS)
    wismo_true = sum(1 for r in rows if r.truth in WISMO_INTENTS)
    wismo_hit = sum(1 for r in rows if r.answer in WISMO_INTENTS and r.truth in WISMO_INTENTS)
    per_intent: dict[str, dict[str, float | int]] = {}
    f1s: dict[str, float] = {}
    for intent in (*INTENTS, OTHER):
        predicted = sum(1 for r in rows if r.answer == intent)
        support = sum(1 for r in rows if r.truth == intent)
        correct = sum(1 for r in rows if r.answer == intent and r.truth == intent)
        precision, recall = _ratio(correct, predicted), _ratio(correct, support)
        f1s[intent] = _f1(precision, recall)
        per_intent[intent] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1s[intent], 4),
            "support": support,
        }
    macro = sum(f1s[i] for i in INTENTS) / len(INTENTS)
    return {
        "messages": n,
        "wismo": {
            "precision": round(_ratio(wismo_hit, wismo_pred), 4),
            "recall": round(_ratio(wismo_hit, wismo_true), 4),
        },
        "macro_f1": round(macro, 4),
        "unsure_rate": round(_ratio(sum(1 for r in rows if r.answer is None), n), 4),
        "per_intent": per_intent,
    }
