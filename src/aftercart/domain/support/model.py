"""The shipped intent model: what the artifact holds, and how it turns messages into probabilities.

The artifact is one ``.npz`` file (loaded with ``allow_pickle=False``: arrays of numbers and strings
only, nothing executable) holding

* ``word_vocab``/``word_idf`` and ``char_vocab``/``char_idf``: TF-IDF vocabularies of word 1-2-grams and
  character 2-5-grams (within word boundaries) over the canonical text (:mod:`.text`);
* ``coef`` (features x classes) and ``intercept``: a multinomial logistic regression over Bitext's
  fine-grained intents plus ``other`` (the fine intents outside our twelve add up to ``other``);
* ``temperature``: the softmax temperature that calibrates the probabilities on wording the model was
  not trained on (fitted on hand-written development paraphrases, see :mod:`.training`);
* ``unknown_factor``: how much the temperature grows with the share of words the model never saw;
* ``known_words``: the words seen in training, which the spelling corrector leaves alone.

scikit-learn's vectorizers do the featurisation both when training and here, so the two cannot drift.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from aftercart.domain.support.normalise import Speller, canonical

#: The feature spaces (shared with training, so both build the same vectorizers).
WORD_PARAMS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "token_pattern": r"[^ ]+",
    "lowercase": False,
    "sublinear_tf": True,
    "dtype": np.float32,
}
CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "lowercase": False,
    "sublinear_tf": True,
    "dtype": np.float32,
}
#: The character n-grams' share of the feature vector (the word n-grams have 1 - this).
CHAR_WEIGHT = 0.8


def features(word_vec: TfidfVectorizer, char_vec: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """The feature matrix of canonical texts: word and character TF-IDF side by side, weighted."""
    word = word_vec.transform(texts) * np.float32(1.0 - CHAR_WEIGHT)
    char = char_vec.transform(texts) * np.float32(CHAR_WEIGHT)
    return sparse.hstack([word, char], format="csr", dtype=np.float32)


def _vectorizer(params: dict[str, Any], vocab: np.ndarray, idf: np.ndarray) -> TfidfVectorizer:
    vec = TfidfVectorizer(vocabulary={str(term): i for i, term in enumerate(vocab)}, **params)
    vec.idf_ = idf.astype(np.float64)
    return vec


class _Part:
    """One vectorizer's TF-IDF weights of a document, as (column indices, values), L2-normalised and
    scaled by the part's weight, columns shifted by ``offset`` in the side-by-side feature vector."""

    def __init__(self, vec: TfidfVectorizer, offset: int, weight: float) -> None:
        self.analyze = vec.build_analyzer()
        self.vocabulary: dict[str, int] = vec.vocabulary_
        self.idf = vec.idf_.astype(np.float64)
        self.offset = offset
        self.weight = weight

    def weights(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for term in self.analyze(doc):
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        val = (1.0 + np.log(tf)) * self.idf[idx]
        val *= self.weight / np.sqrt(val @ val)
        return idx + self.offset, val.astype(np.float32)


@dataclass(frozen=True)
class IntentModel:
    """A loaded artifact: ``probabilities`` gives calibrated class probabilities per message."""

    classes: tuple[str, ...]
    word_vec: TfidfVectorizer
    char_vec: TfidfVectorizer
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    unknown_factor: float
    speller: Speller
    vocabulary: frozenset[str]
    sha256: str

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read the artifact (numbers and strings only: ``allow_pickle=False``)."""
        raw = path.read_bytes()
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return cls.from_arrays(arrays, sha256=hashlib.sha256(raw).hexdigest())

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], *, sha256: str = "") -> IntentModel:
        """A model from the artifact's arrays (as training produces them)."""
        speller = Speller(str(w) for w in arrays["known_words"])
        return cls(
            classes=tuple(str(c) for c in arrays["classes"]),
            word_vec=_vectorizer(WORD_PARAMS, arrays["word_vocab"], arrays["word_idf"]),
            char_vec=_vectorizer(CHAR_PARAMS, arrays["char_vocab"], arrays["char_idf"]),
            coef=arrays["coef"].astype(np.float32),
            intercept=arrays["intercept"].astype(np.float32),
            temperature=float(arrays["temperature"]),
            unknown_factor=float(arrays["unknown_factor"]),
            speller=speller,
            vocabulary=frozenset(str(w) for w in arrays["word_vocab"] if " " not in str(w)),
            sha256=sha256,
        )

    def canonical(self, texts: Sequence[str]) -> list[str]:
        """The canonical form of each message (with spelling correction)."""
        return [canonical(t, self.speller) for t in texts]

    def logits(self, texts: Sequence[str], canonical: Sequence[str] | None = None) -> np.ndarray:
        """Uncalibrated class scores, one row per message.

        The features are the vectorizers' own (same analyzers, vocabularies, sublinear TF, IDF, L2
        norm, weights) computed directly: scikit-learn's ``transform`` validates its inputs on every
        call, which costs more than the arithmetic for a single message.
        """
        docs = canonical or self.canonical(texts)
        indptr, indices, values = [0], [], []
        for doc in docs:
            for part in self._parts:
                idx, val = part.weights(doc)
                indices.append(idx)
                values.append(val)
            indptr.append(indptr[-1] + sum(len(i) for i in indices[-len(self._parts) :]))
        x = sparse.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.array(indptr),
            ),
            shape=(len(docs), self.coef.shape[0]),
        )
        return np.asarray(x @ self.coef) + self.intercept

    @cached_property
    def _parts(self) -> tuple[_Part, _Part]:
        n_word = len(self.word_vec.vocabulary_)
        return (
            _Part(self.word_vec, 0, 1.0 - CHAR_WEIGHT),
            _Part(self.char_vec, n_word, CHAR_WEIGHT),
        )

    def unknown_share(self, texts: Sequence[str], canonical: Sequence[str] | None = None) -> np.ndarray:
        """Per message, the share of its words (three letters or more) the model has never seen."""
        out = np.zeros(len(texts))
        for i, text in enumerate(canonical or self.canonical(texts)):
            toks = [t for t in text.split() if len(t) >= 3]
            if toks:
                out[i] = sum(t not in self.vocabulary for t in toks) / len(toks)
        return out

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1), columns in ``classes`` order.

        The temperature grows with the share of unknown words: a message whose key words the model
        never saw is classified from what is left, and says so with a lower confidence.
        """
        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float64)
        canon = self.canonical(texts)
        temperature = self.temperature * (1.0 + self.unknown_factor * self.unknown_share(texts, canon))
        return softmax(self.logits(texts, canon).astype(np.float64) / temperature[:, None])


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large scores."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
