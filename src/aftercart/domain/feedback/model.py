"""The shipped feedback model: a linear classifier stored as plain numbers, applied in pure Python.

The artifact (``reasons_model.json.gz`` beside this module, written by ``aftercart feedback train``)
is JSON, not a pickle: loading it runs no code. It holds

- ``classes``: the reasons, in the order of every coefficient row;
- ``terms``: feature name → ``[idf, w_1 .. w_k]`` (the feature's idf weight and its coefficient per
  reason); ``intercept``: one per reason; ``temperature``: the calibration fitted on the dev split
  (probabilities are ``softmax(logits / temperature)``);
- ``score_prior``: per star score, the theme and reason shares of hand-labelled reviews, the answer
  for a review without text;
- ``provenance``: how it was made (data, counts, settings, evaluation figures).
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aftercart.domain.feedback.text import features

ARTIFACT_NAME = "reasons_model.json.gz"


@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic model over :func:`~aftercart.domain.feedback.text.features`."""

    classes: tuple[str, ...]
    idf: Mapping[str, float]
    weights: Mapping[str, Sequence[float]]
    intercept: Sequence[float]
    temperature: float
    score_prior: Mapping[str, Mapping[str, Mapping[str, float]]]
    provenance: Mapping[str, Any]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> LinearModel:
        """The model from its JSON document (see the module doc)."""
        terms: dict[str, list[float]] = document["terms"]
        return cls(
            classes=tuple(document["classes"]),
            idf={term: row[0] for term, row in terms.items()},
            weights={term: row[1:] for term, row in terms.items()},
            intercept=tuple(document["intercept"]),
            temperature=float(document["temperature"]),
            score_prior=document.get("score_prior", {}),
            provenance=document.get("provenance", {}),
        )

    def logits(self, message: str | None, *, title: str | None, score: int | None) -> list[float]:
        """The uncalibrated score of each reason (in :attr:`classes` order)."""
        vector = features(message, title=title, score=score, idf=self.idf)
        logits = list(self.intercept)
        width = len(logits)
        for term, value in vector.items():
            row = self.weights.get(term)
            if row is None:
                continue
            for k in range(width):
                logits[k] += value * row[k]
        return logits

    def probabilities(self, message: str | None, *, title: str | None, score: int | None) -> dict[str, float]:
        """Calibrated probability of each reason for one review."""
        return dict(
            zip(
                self.classes,
                softmax(self.logits(message, title=title, score=score), self.temperature),
                strict=True,
            )
        )


def softmax(logits: Sequence[float], temperature: float = 1.0) -> list[float]:
    """``softmax(logits / temperature)``, computed without overflow."""
    top = max(logits)
    exps = [math.exp((logit - top) / temperature) for logit in logits]
    total = sum(exps)
    return [e / total for e in exps]


def read_artifact(path: Path) -> dict[str, Any]:
    """The artifact's JSON document."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@cache
def shipped_model() -> LinearModel:
    """The model shipped with the package (loaded once per process)."""
    source = resources.files("aftercart.domain.feedback").joinpath(ARTIFACT_NAME)
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
        return LinearModel.from_document(json.load(handle))
