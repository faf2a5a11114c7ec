"""Feedback text as model features: one definition shared by training and prediction.

The shipped classifier is a linear model over the features named here, so what training saw and what
prediction computes can never drift apart: both call :func:`features`.

- :func:`normalise` lower-cases, strips accents (``não`` → ``nao``, ``avaliação`` → ``avaliacao``), turns
  anything but letters and digits into spaces and squeezes a letter repeated three or more times
  (``muuuito`` → ``muito``, ``lixoooo`` → ``lixo``): Portuguese and English reviewers type fast.
- Words (``w:``) and word pairs (``b:``, which keep negations such as ``nao chegou`` and ``never
  arrived`` together) and character 3- to 5-grams inside each word (``c:``, padded with spaces, so
  typos and Portuguese inflections — ``atrasou``, ``atrasado``, ``atraso`` — share most of their
  features). Each group is weighted 1, scaled by the model's idf, then the text's vector is scaled to
  unit length.
- The star score, when known, is one more feature (``s:1`` .. ``s:5``) outside that normalisation;
  a review without text is the feature ``t:empty`` (and its score).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
#: Character n-gram lengths (inside words).
CHAR_SIZES = (3, 4, 5)


def normalise(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = _REPEATS.sub(r"\1", bare)
    return _NON_WORD.sub(" ", bare).strip()


def text_terms(text: str) -> set[str]:
    """The text features present in ``text`` (already normalised or not)."""
    words = normalise(text).split()
    terms: set[str] = set()
    for i, word in enumerate(words):
        terms.add("w:" + word)
        if i:
            terms.add(f"b:{words[i - 1]}_{word}")
        padded = f" {word} "
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                terms.add("c:" + padded[start : start + size])
    return terms


def review_text(message: str | None, title: str | None) -> str:
    """Title and message as one text (the title often says it all: "Não recebi", "Defeito")."""
    return " . ".join(part.strip() for part in (title or "", message or "") if part and part.strip())


def features(
    message: str | None, *, title: str | None, score: int | None, idf: Mapping[str, float]
) -> dict[str, float]:
    """The weighted feature vector of one review (terms the model does not know are dropped)."""
    out: dict[str, float] = {}
    terms = text_terms(review_text(message, title))
    weighted = {term: idf[term] for term in terms if term in idf}
    norm = sum(value * value for value in weighted.values()) ** 0.5
    if norm > 0:
        out = {term: value / norm for term, value in weighted.items()}
    if not terms:
        out["t:empty"] = 1.0
    if score is not None and 1 <= score <= 5:
        out[f"s:{score}"] = 1.0
    return out
